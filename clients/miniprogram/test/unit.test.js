'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const { createSession, WxSessionError } = require('..')
const { KINDS, createFake } = require('./fakes')

const BASE = 'https://svc.test'
const err = (statusCode, code) => ({ statusCode, data: { error: { code, message: code, request_id: 'r1' } } })

function service({ valid = () => true, delay = 0 } = {}) {
  let issued = 0
  let remembered = null
  const logins = []
  const handler = async (o) => {
    if (delay) await new Promise((r) => setTimeout(r, delay))
    if (o.url === `${BASE}/v1/sessions` && o.method === 'POST') {
      issued += 1
      logins.push(o.data)
      return { statusCode: 201, data: { session: `tok-${issued}`, expires_in: 7200, appid: 'wxa', openid: 'o1' } }
    }
    const token = (o.header.Authorization || '').replace('Bearer ', '')
    if (!token || !valid(token)) return err(401, 'invalid_session')
    if (o.url === `${BASE}/v1/sessions/current`) {
      if (o.method === 'DELETE') return { statusCode: 204, data: '' }
      return { statusCode: 200, data: { appid: 'wxa', openid: 'o1', created_at: 1, expires_in: 7200, token } }
    }
    if (o.url === `${BASE}/v1/sessions/current/decrypt`) {
      if (o.data.encryptedData === 'bad') return err(422, 'decrypt_failed')
      return { statusCode: 200, data: { data: { nickName: 'Alice' } } }
    }
    if (o.url === `${BASE}/v1/sessions/current/phone` && o.method === 'GET') {
      if (!remembered) return err(404, 'phone_unknown')
      return { statusCode: 200, data: remembered }
    }
    if (o.url === `${BASE}/v1/sessions/current/phone` && o.method === 'DELETE') {
      remembered = null
      return { statusCode: 204, data: '' }
    }
    if (o.url === `${BASE}/v1/sessions/current/phone`) {
      if (o.data.code === 'spent') return err(422, 'invalid_phone_code')
      remembered = { phoneNumber: '+8613800000000', purePhoneNumber: '13800000000', countryCode: '86', verified_at: 1700000000 }
      return { statusCode: 200, data: { phoneNumber: '+8613800000000', purePhoneNumber: '13800000000', countryCode: '86', code: o.data.code } }
    }
    if (o.url === `${BASE}/v1/sessions/current/key-status`) return { statusCode: 200, data: { valid: true } }
    if (o.url === `${BASE}/api/boom`) return err(503, 'store_unavailable')
    return { statusCode: 200, data: { ok: true, token } }
  }
  return { handler, logins, get issued() { return issued } }
}

for (const kind of KINDS) {
  test(`${kind}: login stores the token and sends the appid`, async () => {
    const svc = service()
    const api = createFake(kind, { handler: svc.handler })
    const s = createSession({ baseUrl: `${BASE}/`, appid: 'wxa', api })
    const res = await s.login()
    assert.equal(res.session, 'tok-1')
    assert.equal(api.getStorageSync('wxsession_token'), 'tok-1')
    assert.deepEqual(svc.logins[0], { code: 'code-1', appid: 'wxa' })
  })

  test(`${kind}: login with user info sends encryptedData, iv, rawData and signature`, async () => {
    const svc = service()
    const api = createFake(kind, { handler: svc.handler })
    api.userInfo = () => ({ encryptedData: 'E', iv: 'I', rawData: '{}', signature: 'S' })
    const s = createSession({ baseUrl: BASE, api, storageKey: 'k' })
    await s.login({ withUserInfo: true })
    assert.deepEqual(svc.logins[0], { code: 'code-1', encryptedData: 'E', iv: 'I', rawData: '{}', signature: 'S' })
    assert.equal(api.getStorageSync('k'), 'tok-1')
  })

  test(`${kind}: concurrent callers share one in-flight login`, async () => {
    const svc = service({ delay: 20 })
    const api = createFake(kind, { handler: svc.handler })
    const s = createSession({ baseUrl: BASE, api })
    const results = await Promise.all([1, 2, 3, 4, 5].map(() => s.request({ url: '/api/x' })))
    assert.equal(api.loginCount, 1)
    assert.equal(svc.issued, 1)
    for (const r of results) assert.equal(r.data.token, 'tok-1')
  })

  test(`${kind}: a 401 invalid_session logs in again once and retries`, async () => {
    const svc = service({ valid: (t) => t !== 'tok-1' })
    const api = createFake(kind, { handler: svc.handler })
    const s = createSession({ baseUrl: BASE, api })
    await s.login()
    const res = await s.request({ url: '/api/x' })
    assert.equal(res.data.token, 'tok-2')
    assert.equal(api.loginCount, 2)
  })

  test(`${kind}: concurrent 401s share one re-login`, async () => {
    const svc = service({ valid: (t) => t !== 'tok-1', delay: 10 })
    const api = createFake(kind, { handler: svc.handler })
    const s = createSession({ baseUrl: BASE, api })
    await s.login()
    const results = await Promise.all([1, 2, 3].map(() => s.request({ url: '/api/x' })))
    assert.equal(api.loginCount, 2)
    for (const r of results) assert.equal(r.data.token, 'tok-2')
  })

  test(`${kind}: no retry loop when every token is rejected`, async () => {
    const svc = service({ valid: () => false })
    const api = createFake(kind, { handler: svc.handler })
    const s = createSession({ baseUrl: BASE, api })
    await assert.rejects(s.request({ url: '/api/x' }), (e) => {
      assert.ok(e instanceof WxSessionError)
      assert.equal(e.code, 'invalid_session')
      assert.equal(e.status, 401)
      assert.equal(e.requestId, 'r1')
      return true
    })
    assert.equal(api.loginCount, 2, 'one initial login and one retry, nothing more')
    const requests = api.calls.filter((c) => c.url === `${BASE}/api/x`)
    assert.equal(requests.length, 2)
  })

  test(`${kind}: errors carry the service code; network and api.login failures have their own`, async () => {
    const svc = service()
    const api = createFake(kind, { handler: svc.handler })
    const s = createSession({ baseUrl: BASE, api })
    await assert.rejects(s.request({ url: '/api/boom' }), { code: 'store_unavailable', status: 503 })
    await assert.rejects(s.decrypt({ encryptedData: 'bad', iv: 'x' }), { code: 'decrypt_failed', status: 422 })
    assert.deepEqual(await s.decrypt({ encryptedData: 'ok', iv: 'x' }), { nickName: 'Alice' })

    const down = createFake(kind, { handler: () => Promise.reject(new Error('ECONNREFUSED')) })
    await assert.rejects(createSession({ baseUrl: BASE, api: down }).login(), { code: 'network_error' })

    const noLogin = createFake(kind, { handler: svc.handler, codes: () => '' })
    await assert.rejects(createSession({ baseUrl: BASE, api: noLogin }).login(), { code: 'wx_login_failed' })

    const rejecting = createFake(kind, { handler: () => err(401, 'invalid_code') })
    await assert.rejects(createSession({ baseUrl: BASE, api: rejecting }).login(), { code: 'invalid_code' })
    assert.throws(() => createSession({}), TypeError)
  })

  test(`${kind}: whoami and logout`, async () => {
    const svc = service()
    const api = createFake(kind, { handler: svc.handler })
    const s = createSession({ baseUrl: BASE, api })
    const me = await s.whoami()
    assert.equal(me.openid, 'o1')
    await s.logout()
    assert.equal(s.getToken(), '')
    const del = api.calls.find((c) => c.method === 'DELETE')
    assert.equal(del.header.Authorization, 'Bearer tok-1')
    await s.logout() // nothing to do, no request
    assert.equal(api.calls.filter((c) => c.method === 'DELETE').length, 1)
  })

  test(`${kind}: the phone number from a code or a button event; a declined button`, async () => {
    const svc = service({ valid: (t) => t !== 'tok-1' })
    const api = createFake(kind, { handler: svc.handler })
    const s = createSession({ baseUrl: BASE, api })
    await s.login()
    // The stale token is replaced once, and the code is sent once more with the new one.
    const phone = await s.getPhoneNumber({ code: 'c1' })
    assert.equal(phone.purePhoneNumber, '13800000000')
    assert.equal(api.loginCount, 2)
    const fromEvent = await s.phoneNumberFromEvent({ type: 'getphonenumber', detail: { errMsg: 'getPhoneNumber:ok', code: 'c2' } })
    assert.equal(fromEvent.code, 'c2')
    await assert.rejects(
      s.phoneNumberFromEvent({ detail: { errMsg: 'getPhoneNumber:fail user deny' } }),
      { code: 'phone_declined', message: 'getPhoneNumber:fail user deny' },
    )
    await assert.rejects(s.getPhoneNumber({}), { code: 'invalid_request' })
    await assert.rejects(s.getPhoneNumber({ code: 'spent' }), { code: 'invalid_phone_code', status: 422 })
    const phoneCalls = api.calls.filter((c) => c.url.endsWith('/phone'))
    assert.deepEqual(phoneCalls.map((c) => c.data.code), ['c1', 'c1', 'c2', 'spent'])
    assert.deepEqual(await s.keyStatus(), { valid: true })
  })

  test(`${kind}: a real-time verification event; the quota spent (errno 1400001) is its own error`, async () => {
    const svc = service()
    const api = createFake(kind, { handler: svc.handler })
    const s = createSession({ baseUrl: BASE, api })
    const realtime = await s.phoneNumberFromEvent({
      type: 'getrealtimephonenumber',
      detail: { errMsg: 'getRealtimePhoneNumber:ok', code: 'rt1' },
    })
    assert.equal(realtime.code, 'rt1')
    for (const type of ['getphonenumber', 'getrealtimephonenumber']) {
      await assert.rejects(
        s.phoneNumberFromEvent({ type, detail: { errMsg: `${type}:fail`, errno: 1400001 } }),
        (e) => e instanceof WxSessionError && e.code === 'phone_quota_exhausted' && e.message === `${type}:fail`,
      )
    }
    await assert.rejects(
      s.phoneNumberFromEvent({ type: 'getrealtimephonenumber', detail: { errMsg: 'getRealtimePhoneNumber:fail user deny' } }),
      { code: 'phone_declined' },
    )
    const sent = api.calls.filter((c) => c.url.endsWith('/phone')).map((c) => c.data.code)
    assert.deepEqual(sent, ['rt1'], 'nothing sent for a refused button')
  })

  test(`${kind}: knownPhoneNumber is null until a number is remembered, and null again once forgotten`, async () => {
    const svc = service()
    const api = createFake(kind, { handler: svc.handler })
    const s = createSession({ baseUrl: BASE, api })
    assert.equal(await s.knownPhoneNumber(), null)
    await s.getPhoneNumber({ code: 'c1' })
    const known = await s.knownPhoneNumber()
    assert.equal(known.purePhoneNumber, '13800000000')
    assert.equal(known.verified_at, 1700000000)
    await s.forgetPhoneNumber()
    assert.equal(await s.knownPhoneNumber(), null)
    // Other errors are errors, not "unknown".
    const down = createFake(kind, { handler: async () => err(503, 'store_unavailable') })
    await assert.rejects(createSession({ baseUrl: BASE, api: down }).knownPhoneNumber(), { code: 'store_unavailable' })
  })
}

test('an answer given twice (callback and promise) counts once; a missing call is a TypeError', async () => {
  const { invoke } = require('../lib/platform')
  let calls = 0
  const both = {
    login(o) {
      calls += 1
      o.success({ code: 'a' })
      o.success({ code: 'b' })
      return Promise.resolve({ code: 'c' })
    },
  }
  assert.deepEqual(await invoke(both, 'login', {}), { code: 'a' })
  assert.equal(calls, 1)
  const vue2 = { login: () => Promise.resolve([{ errMsg: 'login:fail' }, undefined]) }
  await assert.rejects(invoke(vue2, 'login', {}), { errMsg: 'login:fail' })
  const throwing = { login: () => { throw new Error('sync') } }
  await assert.rejects(invoke(throwing, 'login', {}), /sync/)
  await assert.rejects(invoke({}, 'login', {}), TypeError)
})

test('the global wx is the default platform', async () => {
  const svc = service()
  const api = createFake('wx', { handler: svc.handler })
  globalThis.wx = api
  try {
    const s = createSession({ baseUrl: BASE })
    await s.login()
    assert.equal(api.getStorageSync('wxsession_token'), 'tok-1')
  } finally {
    delete globalThis.wx
  }
})

for (const kind of KINDS) {
  test(`${kind}: appid 'auto' sends the running mini-program's own appid (a platform's template)`, async () => {
    const svc = service()
    const api = createFake(kind, { handler: svc.handler })
    api.getAccountInfoSync = () => ({ miniProgram: { appId: 'wxmerchant01', envVersion: 'release' } })
    const s = createSession({ baseUrl: BASE, appid: 'auto', api })
    await s.login()
    assert.deepEqual(svc.logins[0], { code: 'code-1', appid: 'wxmerchant01' })
    // Without the account API, the platform's ext config names it.
    delete api.getAccountInfoSync
    api.getExtConfigSync = () => ({ appid: 'wxmerchant02' })
    await createSession({ baseUrl: BASE, appid: 'auto', api, storageKey: 'k2' }).login()
    assert.deepEqual(svc.logins[1], { code: 'code-2', appid: 'wxmerchant02' })
    // Neither: a clear error, no login sent.
    delete api.getExtConfigSync
    await assert.rejects(
      createSession({ baseUrl: BASE, appid: 'auto', api, storageKey: 'k3' }).login(),
      (e) => e.code === 'no_appid',
    )
    assert.equal(svc.logins.length, 2)
  })
}
