'use strict'
// The client against a real `wxsession dev` (in-memory store, built-in simulator) over HTTP.
const test = require('node:test')
const assert = require('node:assert/strict')
const { spawn } = require('node:child_process')
const net = require('node:net')
const path = require('node:path')
const fs = require('node:fs')
const { createSession } = require('../wxsession')
const { createFakeWx, httpHandler } = require('./fake-wx')

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

test('the full seed flow against wxsession dev', { timeout: 60000 }, async (t) => {
  assert.ok(fs.existsSync(bin), `build the service first (cargo build -p wxsession): ${bin}`)
  const [api, sim] = [await freePort(), await freePort()]
  const child = spawn(bin, ['dev', '--bind', `127.0.0.1:${api}`, '--mock-bind', `127.0.0.1:${sim}`, '--admin-token', ADMIN], {
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  t.after(() => child.kill('SIGTERM'))
  await waitFor(api, 20000)
  const baseUrl = `http://127.0.0.1:${api}`
  const simUrl = `http://127.0.0.1:${sim}`
  const user = `node${Date.now()}`

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
  const wx = createFakeWx({ handler: httpHandler, codes: () => `user:${user}:${++n}` })
  // wx.getUserInfo after wx.login: data encrypted with the key that login's code carries.
  wx.userInfo = (code) => encrypt({ code, data: { nickName: 'Node' } })
  const session = createSession({ baseUrl, wx })

  const login = await session.login({ withUserInfo: true })
  assert.match(login.session, /^wxs_[A-Za-z0-9_-]{43}$/)
  assert.equal(login.user.nickName, 'Node')
  assert.equal(login.user.watermark.appid, APPID)

  const me = await session.whoami()
  assert.equal(me.appid, APPID)
  assert.equal(me.openid, login.openid)

  const enc = await encrypt({ user, data: { phoneNumber: '+8613800000000' } })
  const data = await session.decrypt(enc)
  assert.equal(data.phoneNumber, '+8613800000000')

  // Revoked through the admin API: the next request logs in again by itself.
  const revoke = await fetch(`${baseUrl}/v1/admin/apps/${APPID}/users/${login.openid}/sessions`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${ADMIN}` },
  })
  assert.deepEqual(await revoke.json(), { revoked: 1 })
  const before = session.getToken()
  const again = await session.whoami()
  assert.equal(again.openid, login.openid)
  assert.notEqual(session.getToken(), before)
  assert.equal(wx.loginCount, 2)

  await session.logout()
  assert.equal(session.getToken(), '')
  const dead = await fetch(`${baseUrl}/v1/auth`, { headers: { authorization: `Bearer ${before}` } })
  assert.equal(dead.status, 401)
})
