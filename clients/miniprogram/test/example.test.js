'use strict'
// The example page rendered by miniprogram-simulate (Tencent's component test tool) in a jsdom
// window: it logs in silently and shows the openid; it asks wxsession for a remembered phone
// number before it shows the phone-number button (allowed, declined, quota spent), so a
// remembered user is never prompted twice; the avatar and nickname fill-in and the save through
// session.request work.
const test = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const { JSDOM } = require('jsdom')

// miniprogram-simulate renders into a DOM: give it jsdom's before it loads.
const dom = new JSDOM('<!doctype html><html><head></head><body></body></html>', { pretendToBeVisual: true })
// Node has its own Event and CustomEvent; jsdom's elements accept only jsdom's.
for (const name of ['window', 'document', 'navigator', 'Node', 'HTMLElement', 'Event', 'CustomEvent', 'getComputedStyle', 'requestAnimationFrame']) {
  Object.defineProperty(globalThis, name, { value: dom.window[name], configurable: true, writable: true })
}
const simulate = require('miniprogram-simulate')
const { createSession } = require('..')
const { createFake } = require('./fakes')

const BASE = 'https://login.test'
const page = path.join(__dirname, '../example/pages/index/index')

const NUMBER = { phoneNumber: '+86 13800000000', purePhoneNumber: '13800000000', countryCode: '86' }

// The service: one user; with `remember`, a number verified once is remembered (as with
// phone.remember_days) for every later session of the user.
function backend({ remember = false } = {}) {
  const seen = []
  let remembered = null
  let issued = 0
  const handler = async (o) => {
    seen.push(o)
    const bearer = (o.header.Authorization || '').replace('Bearer ', '')
    if (o.url === `${BASE}/v1/sessions`) {
      issued += 1
      return { statusCode: 201, data: { session: `tok-${issued}`, expires_in: 7200, appid: 'wxa', openid: 'o-example' } }
    }
    if (bearer !== `tok-${issued}`) return { statusCode: 401, data: { error: { code: 'invalid_session', message: '', request_id: 'r' } } }
    if (o.url === `${BASE}/v1/sessions/current`) {
      return { statusCode: 200, data: { appid: 'wxa', openid: 'o-example', created_at: 1, expires_in: 7200 } }
    }
    if (o.url === `${BASE}/v1/sessions/current/phone` && o.method === 'GET') {
      if (remembered) return { statusCode: 200, data: remembered }
      return { statusCode: 404, data: { error: { code: 'phone_unknown', message: '', request_id: 'r' } } }
    }
    if (o.url === `${BASE}/v1/sessions/current/phone` && o.method === 'POST') {
      if (remember) remembered = Object.assign({ verified_at: 1700000000 }, NUMBER)
      return { statusCode: 200, data: NUMBER }
    }
    if (o.url === 'https://api.example.com/profile') return { statusCode: 200, data: { ok: true } }
    return { statusCode: 404, data: { error: { code: 'not_found', message: '', request_id: 'r' } } }
  }
  return { handler, seen }
}

const settle = () => new Promise((r) => setTimeout(r, 50))

function render(svc, kind = 'wx') {
  const api = createFake(kind, { handler: svc.handler })
  const session = createSession({ baseUrl: BASE, api })
  globalThis.getApp = () => ({ session })
  const comp = simulate.render(simulate.load(page))
  comp.attach(document.createElement('parent-wrapper'))
  return { comp, api }
}

test('the example page logs in silently and shows the openid', async () => {
  const svc = backend()
  const { comp, api } = render(svc)
  await comp.instance.onLoad()
  await settle()
  assert.equal(api.loginCount, 1)
  assert.equal(comp.querySelector('.openid').dom.textContent, 'o-example')
  assert.equal(comp.querySelector('.error'), undefined)
})

const prompts = (svc) => svc.seen.filter((o) => o.url.endsWith('/v1/sessions/current/phone') && o.method === 'POST')

test('the phone button: allowed shows the number, declined is not an error', async () => {
  const svc = backend()
  const { comp } = render(svc)
  await comp.instance.onLoad()
  await settle()
  const button = comp.querySelector('.phone-button')
  button.dispatchEvent('getphonenumber', { detail: { errMsg: 'getPhoneNumber:ok', code: 'phone-code-1' } })
  await settle()
  assert.equal(comp.querySelector('.phone').dom.textContent, '+86 13800000000')
  assert.deepEqual(prompts(svc).map((o) => o.data), [{ code: 'phone-code-1' }])

  button.dispatchEvent('getphonenumber', { detail: { errMsg: 'getPhoneNumber:fail user deny' } })
  await settle()
  assert.equal(comp.querySelector('.error').dom.textContent, 'No phone number: that is fine.')
  assert.equal(prompts(svc).length, 1, 'nothing sent when declined')
})

for (const kind of ['wx', 'uni', 'taro']) {
  test(`${kind}: a remembered user never sees a second prompt`, async () => {
    const svc = backend({ remember: true })
    // First visit: nothing remembered, so the page shows the button; the user allows.
    const first = render(svc, kind)
    await first.comp.instance.onLoad()
    await settle()
    const button = first.comp.querySelector('.phone-button')
    assert.ok(button, 'the button, since no number is known')
    button.dispatchEvent('getphonenumber', { detail: { errMsg: 'getPhoneNumber:ok', code: 'phone-code-1' } })
    await settle()
    assert.equal(first.comp.querySelector('.phone-button'), undefined, 'gone once the number is known')
    // Later visits, in new sessions (a new login each): the number comes from wxsession and
    // the button is never rendered, so WeChat charges nothing more.
    for (let visit = 0; visit < 3; visit += 1) {
      const again = render(svc, kind)
      await again.comp.instance.onLoad()
      await settle()
      assert.equal(again.comp.querySelector('.phone-button'), undefined, `visit ${visit + 2}: no button`)
      assert.equal(again.comp.querySelector('.phone').dom.textContent, '+86 13800000000')
      assert.equal(again.api.loginCount, 1, 'a new session')
    }
    assert.equal(prompts(svc).length, 1, 'one prompt, one exchange, for four visits')
  })
}

test('the phone button with the quota spent: no exchange, the button goes, a message instead', async () => {
  const svc = backend()
  const { comp } = render(svc)
  await comp.instance.onLoad()
  await settle()
  comp.querySelector('.phone-button').dispatchEvent('getphonenumber', {
    detail: { errMsg: 'getPhoneNumber:fail no quota', errno: 1400001 },
  })
  await settle()
  assert.equal(comp.querySelector('.error').dom.textContent, 'Phone verification is unavailable right now.')
  assert.equal(comp.querySelector('.phone-button'), undefined)
  assert.equal(prompts(svc).length, 0)
})

test('avatar and nickname are filled in and saved through session.request', async () => {
  const svc = backend()
  const { comp } = render(svc)
  comp.querySelector('.avatar').dispatchEvent('chooseavatar', { detail: { avatarUrl: 'wxfile://tmp_avatar.png' } })
  comp.querySelector('.nickname').dispatchEvent('change', { detail: { value: 'Mei' } })
  await settle()
  // Built-in components (image, input) render as bare tags here: their state is the page's data.
  assert.equal(comp.data.avatarUrl, 'wxfile://tmp_avatar.png')
  assert.equal(comp.data.nickname, 'Mei')
  comp.querySelector('.save').dispatchEvent('tap')
  await settle()
  assert.ok(comp.querySelector('.saved'), 'shows Saved')
  const save = svc.seen.find((o) => o.url === 'https://api.example.com/profile')
  assert.equal(save.method, 'POST')
  assert.equal(save.header.Authorization, 'Bearer tok-1')
  assert.deepEqual(save.data, { nickname: 'Mei', avatarUrl: 'wxfile://tmp_avatar.png' })
})
