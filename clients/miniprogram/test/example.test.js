'use strict'
// The example page rendered by miniprogram-simulate (Tencent's component test tool) in a jsdom
// window: it logs in silently and shows the openid; the phone-number button (allowed and
// declined), the avatar and nickname fill-in and the save through session.request work.
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

function backend() {
  const seen = []
  const handler = async (o) => {
    seen.push(o)
    const bearer = (o.header.Authorization || '').replace('Bearer ', '')
    if (o.url === `${BASE}/v1/sessions`) {
      return { statusCode: 201, data: { session: 'tok-1', expires_in: 7200, appid: 'wxa', openid: 'o-example' } }
    }
    if (bearer !== 'tok-1') return { statusCode: 401, data: { error: { code: 'invalid_session', message: '', request_id: 'r' } } }
    if (o.url === `${BASE}/v1/sessions/current`) {
      return { statusCode: 200, data: { appid: 'wxa', openid: 'o-example', created_at: 1, expires_in: 7200 } }
    }
    if (o.url === `${BASE}/v1/sessions/current/phone`) {
      return { statusCode: 200, data: { phoneNumber: '+86 13800000000', purePhoneNumber: '13800000000', countryCode: '86' } }
    }
    if (o.url === 'https://api.example.com/profile') return { statusCode: 200, data: { ok: true } }
    return { statusCode: 404, data: { error: { code: 'not_found', message: '', request_id: 'r' } } }
  }
  return { handler, seen }
}

const settle = () => new Promise((r) => setTimeout(r, 50))

function render(svc) {
  const api = createFake('wx', { handler: svc.handler })
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

test('the phone button: allowed shows the number, declined is not an error', async () => {
  const svc = backend()
  const { comp } = render(svc)
  const button = comp.querySelector('.phone-button')
  button.dispatchEvent('getphonenumber', { detail: { errMsg: 'getPhoneNumber:ok', code: 'phone-code-1' } })
  await settle()
  assert.equal(comp.querySelector('.phone').dom.textContent, '+86 13800000000')
  const sent = svc.seen.find((o) => o.url.endsWith('/v1/sessions/current/phone'))
  assert.deepEqual(sent.data, { code: 'phone-code-1' })

  button.dispatchEvent('getphonenumber', { detail: { errMsg: 'getPhoneNumber:fail user deny' } })
  await settle()
  assert.equal(comp.querySelector('.error').dom.textContent, 'No phone number: that is fine.')
  assert.equal(svc.seen.filter((o) => o.url.endsWith('/phone')).length, 1, 'nothing sent when declined')
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
