'use strict'
// The client against a real `wxsession dev` (in-memory store, built-in simulator) over HTTP,
// through each platform adapter: wx (callbacks), uni (callbacks and [err, res] promises), Taro
// (promises only).
const test = require('node:test')
const assert = require('node:assert/strict')
const { startDev } = require('../../test-support/dev-service')
const { createSession } = require('..')
const { KINDS, createFake, httpHandler } = require('./fakes')

const APPID = 'wx1234567890abcdef'
const ADMIN = 'integration-test-admin-token-0123'
let service = null
let dev = null

// One `wxsession dev` for the file: its API and simulator URLs.
test.before(async () => {
  dev = await startDev(ADMIN)
  service = { baseUrl: dev.baseUrl, simUrl: dev.simUrl }
})
test.after(() => dev && dev.stop())

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

    // The simulator's phone buttons: what `e.detail` carries, charged by WeChat when they
    // succeed. A real-time verification works like a quick one; with the quota spent the
    // button fails with errno 1400001. `wxsession dev` remembers no number (it has no
    // key-encryption keys), so the page would always ask.
    const sim = async (path, body) => {
      const res = await fetch(`${simUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(Object.assign({ appid: APPID }, body)),
      })
      assert.ok(res.ok, path)
      return res.status === 204 ? null : res.json()
    }
    assert.equal(await session.knownPhoneNumber(), null)
    const realtime = await sim('/__sim/phone-button', { user, realtime: true })
    assert.equal(realtime.errMsg, 'getRealtimePhoneNumber:ok')
    const viaRealtime = await session.phoneNumberFromEvent({ type: 'getrealtimephonenumber', detail: realtime })
    assert.equal(viaRealtime.purePhoneNumber, phone.purePhoneNumber)
    await sim('/__sim/phone-quota', { all: 0 })
    try {
      const spent = await sim('/__sim/phone-button', { user })
      assert.equal(spent.errno, 1400001)
      await assert.rejects(session.phoneNumberFromEvent({ type: 'getphonenumber', detail: spent }), {
        code: 'phone_quota_exhausted',
      })
    } finally {
      await sim('/__sim/phone-quota', { all: null })
    }

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

for (const kind of KINDS) {
  test(`${kind}: a template with appid 'auto' logs in to the app it runs as (added at runtime) against wxsession dev`, { timeout: 60000 }, async () => {
    const { baseUrl } = service
    const [appid, secret] = ['wx00000000000000d1', 'd1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1']
    const put = await fetch(`${baseUrl}/v1/admin/apps/${appid}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` },
      body: JSON.stringify({ kind: 'miniprogram', secret }),
    })
    assert.ok([200, 201].includes(put.status), `PUT ${put.status}`)
    const user = `auto${kind}${Date.now()}`
    let n = 0
    const api = createFake(kind, { handler: httpHandler, codes: () => `user:${user}:${++n}` })
    api.getAccountInfoSync = () => ({ miniProgram: { appId: appid, envVersion: 'release' } })
    const session = createSession({ baseUrl, api, appid: 'auto', storageKey: `auto-${kind}` })
    const login = await session.login()
    assert.equal(login.appid, appid)
    assert.equal((await session.whoami()).appid, appid)
  })
}
