'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const { createSession, WxSessionError } = require('../wxsession')
const { createFakeWx } = require('./fake-wx')

const BASE = 'https://svc.test'
const err = (statusCode, code) => ({ statusCode, data: { error: { code, message: code, request_id: 'r1' } } })

function service({ valid = () => true, delay = 0 } = {}) {
  let issued = 0
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
    if (o.url === `${BASE}/api/boom`) return err(503, 'store_unavailable')
    return { statusCode: 200, data: { ok: true, token } }
  }
  return { handler, logins, get issued() { return issued } }
}

test('login stores the token and sends the appid', async () => {
  const svc = service()
  const wx = createFakeWx({ handler: svc.handler })
  const s = createSession({ baseUrl: `${BASE}/`, appid: 'wxa', wx })
  const res = await s.login()
  assert.equal(res.session, 'tok-1')
  assert.equal(wx.getStorageSync('wxsession_token'), 'tok-1')
  assert.deepEqual(svc.logins[0], { code: 'code-1', appid: 'wxa' })
})

test('login with user info sends encryptedData, iv, rawData and signature', async () => {
  const svc = service()
  const wx = createFakeWx({ handler: svc.handler })
  wx.userInfo = () => ({ encryptedData: 'E', iv: 'I', rawData: '{}', signature: 'S' })
  const s = createSession({ baseUrl: BASE, wx, storageKey: 'k' })
  await s.login({ withUserInfo: true })
  assert.deepEqual(svc.logins[0], { code: 'code-1', encryptedData: 'E', iv: 'I', rawData: '{}', signature: 'S' })
  assert.equal(wx.getStorageSync('k'), 'tok-1')
})

test('concurrent callers share one in-flight login', async () => {
  const svc = service({ delay: 20 })
  const wx = createFakeWx({ handler: svc.handler })
  const s = createSession({ baseUrl: BASE, wx })
  const results = await Promise.all([1, 2, 3, 4, 5].map(() => s.request({ url: '/api/x' })))
  assert.equal(wx.loginCount, 1)
  assert.equal(svc.issued, 1)
  for (const r of results) assert.equal(r.data.token, 'tok-1')
})

test('a 401 invalid_session logs in again once and retries', async () => {
  const svc = service({ valid: (t) => t !== 'tok-1' })
  const wx = createFakeWx({ handler: svc.handler })
  const s = createSession({ baseUrl: BASE, wx })
  await s.login()
  const res = await s.request({ url: '/api/x' })
  assert.equal(res.data.token, 'tok-2')
  assert.equal(wx.loginCount, 2)
})

test('concurrent 401s share one re-login', async () => {
  const svc = service({ valid: (t) => t !== 'tok-1', delay: 10 })
  const wx = createFakeWx({ handler: svc.handler })
  const s = createSession({ baseUrl: BASE, wx })
  await s.login()
  const results = await Promise.all([1, 2, 3].map(() => s.request({ url: '/api/x' })))
  assert.equal(wx.loginCount, 2)
  for (const r of results) assert.equal(r.data.token, 'tok-2')
})

test('no retry loop when every token is rejected', async () => {
  const svc = service({ valid: () => false })
  const wx = createFakeWx({ handler: svc.handler })
  const s = createSession({ baseUrl: BASE, wx })
  await assert.rejects(s.request({ url: '/api/x' }), (e) => {
    assert.ok(e instanceof WxSessionError)
    assert.equal(e.code, 'invalid_session')
    assert.equal(e.status, 401)
    assert.equal(e.requestId, 'r1')
    return true
  })
  assert.equal(wx.loginCount, 2, 'one initial login and one retry, nothing more')
  const requests = wx.calls.filter((c) => c.url === `${BASE}/api/x`)
  assert.equal(requests.length, 2)
})

test('errors carry the service code; network and wx.login failures have their own', async () => {
  const svc = service()
  const wx = createFakeWx({ handler: svc.handler })
  const s = createSession({ baseUrl: BASE, wx })
  await assert.rejects(s.request({ url: '/api/boom' }), { code: 'store_unavailable', status: 503 })
  await assert.rejects(s.decrypt({ encryptedData: 'bad', iv: 'x' }), { code: 'decrypt_failed', status: 422 })
  assert.deepEqual(await s.decrypt({ encryptedData: 'ok', iv: 'x' }), { nickName: 'Alice' })

  const down = createFakeWx({ handler: () => Promise.reject(new Error('ECONNREFUSED')) })
  await assert.rejects(createSession({ baseUrl: BASE, wx: down }).login(), { code: 'network_error' })

  const noLogin = createFakeWx({ handler: svc.handler, codes: () => '' })
  await assert.rejects(createSession({ baseUrl: BASE, wx: noLogin }).login(), { code: 'wx_login_failed' })

  const rejecting = createFakeWx({ handler: () => err(401, 'invalid_code') })
  await assert.rejects(createSession({ baseUrl: BASE, wx: rejecting }).login(), { code: 'invalid_code' })
  assert.throws(() => createSession({}), TypeError)
})

test('whoami and logout', async () => {
  const svc = service()
  const wx = createFakeWx({ handler: svc.handler })
  const s = createSession({ baseUrl: BASE, wx })
  const me = await s.whoami()
  assert.equal(me.openid, 'o1')
  await s.logout()
  assert.equal(s.getToken(), '')
  const del = wx.calls.find((c) => c.method === 'DELETE')
  assert.equal(del.header.Authorization, 'Bearer tok-1')
  await s.logout() // nothing to do, no request
  assert.equal(wx.calls.filter((c) => c.method === 'DELETE').length, 1)
})
