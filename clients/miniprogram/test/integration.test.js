'use strict'
// The client against a real `wxsession dev` (in-memory store, built-in simulator) over HTTP,
// through each platform adapter: wx (callbacks), uni (callbacks and [err, res] promises), Taro
// (promises only).
const test = require('node:test')
const assert = require('node:assert/strict')
const { spawn } = require('node:child_process')
const net = require('node:net')
const path = require('node:path')
const fs = require('node:fs')
const { createSession } = require('..')
const { KINDS, createFake, httpHandler } = require('./fakes')

const APPID = 'wx1234567890abcdef'
const ADMIN = 'integration-test-admin-token-0123'
const root = path.resolve(__dirname, '../../..')
const bin = process.env.WXSESSION_BIN || path.join(root, 'target/debug/wxsession')

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address()
      srv.close(() => resolve(port))
    })
    srv.on('error', reject)
  })
}

async function waitFor(port, deadlineMs) {
  const deadline = Date.now() + deadlineMs
  for (;;) {
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy()
        resolve(true)
      })
      s.on('error', () => resolve(false))
    })
    if (ok) return
    if (Date.now() > deadline) throw new Error(`port ${port} did not open`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

let service = null
let child = null

// One `wxsession dev` for the file: its API and simulator URLs.
test.before(async () => {
  assert.ok(fs.existsSync(bin), `build the service first (cargo build -p wxsession): ${bin}`)
  const [api, sim] = [await freePort(), await freePort()]
  child = spawn(bin, ['dev', '--bind', `127.0.0.1:${api}`, '--mock-bind', `127.0.0.1:${sim}`, '--admin-token', ADMIN], {
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  await waitFor(api, 20000)
  service = { baseUrl: `http://127.0.0.1:${api}`, simUrl: `http://127.0.0.1:${sim}` }
})
test.after(() => child && child.kill('SIGTERM'))

for (const kind of KINDS) {
  test(`${kind}: login, decrypt, phone, re-login after a revoke, logout against wxsession dev`, { timeout: 60000 }, async () => {
    const { baseUrl, simUrl } = service
    const user = `${kind}${Date.now()}`

    const encrypt = async (body) => {
      const res = await fetch(`${simUrl}/__sim/encrypt`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(Object.assign({ appid: APPID }, body)),
      })
      assert.equal(res.status, 200)
      return res.json()
    }
    let n = 0
    const api = createFake(kind, { handler: httpHandler, codes: () => `user:${user}:${++n}` })
    // getUserInfo after login: data encrypted with the key that login's code carries.
    api.userInfo = (code) => encrypt({ code, data: { nickName: 'Node' } })
    const session = createSession({ baseUrl, api, appid: APPID })

    const login = await session.login({ withUserInfo: true })
    assert.match(login.session, /^wxs_[A-Za-z0-9_-]{43}$/)
    assert.equal(login.user.nickName, 'Node')
    assert.equal(login.user.watermark.appid, APPID)
    assert.equal(api.getStorageSync('wxsession_token'), login.session, 'kept in the platform storage')

    const me = await session.whoami()
    assert.equal(me.appid, APPID)
    assert.equal(me.openid, login.openid)

    const enc = await encrypt({ user, data: { phoneNumber: '+8613800000000' } })
    const data = await session.decrypt(enc)
    assert.equal(data.phoneNumber, '+8613800000000')

    // The phone number button: a code the simulator issues for this user.
    const phone = await session.phoneNumberFromEvent({
      type: 'getphonenumber',
      detail: { errMsg: 'getPhoneNumber:ok', code: `phone:${user}:${Date.now()}` },
    })
    assert.match(phone.purePhoneNumber, /^\d{11}$/)
    assert.equal(phone.countryCode, '86')
    await assert.rejects(
      session.phoneNumberFromEvent({ detail: { errMsg: 'getPhoneNumber:fail user deny' } }),
      { code: 'phone_declined' },
    )
    assert.deepEqual(await session.keyStatus(), { valid: true })

    // Revoked through the admin API: the next request logs in again by itself.
    const revoke = await fetch(`${baseUrl}/v1/admin/apps/${APPID}/users/${login.openid}/sessions`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${ADMIN}` },
    })
    assert.deepEqual(await revoke.json(), { revoked: 1 })
    const before = session.getToken()
    const again = await session.request({ url: '/v1/sessions/current' })
    assert.equal(again.data.openid, login.openid)
    assert.notEqual(session.getToken(), before)
    assert.equal(api.loginCount, 2)

    const current = session.getToken()
    await session.logout()
    assert.equal(session.getToken(), '')
    for (const token of [before, current]) {
      const dead = await fetch(`${baseUrl}/v1/auth`, { headers: { authorization: `Bearer ${token}` } })
      assert.equal(dead.status, 401)
    }
  })
}
