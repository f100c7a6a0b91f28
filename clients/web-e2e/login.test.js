'use strict'
// The web logins in a real browser: Debian's headless Chromium, driven by playwright-core
// (no browser download), against `wxsession dev` (built-in simulator, one app of each kind).
// Logs in on the demo page through the simulator's QR page, sees its unionid; the same person
// logs in to the mini-program through the API with the same unionid; an admin log-out by
// unionid ends both; then the official-account flow and the page's own logout button.
const test = require('node:test')
const assert = require('node:assert/strict')
const { root, startDev } = require('../test-support/dev-service')
const path = require('node:path')
const fs = require('node:fs')
const { chromium } = require('playwright-core')

const browserPath = process.env.CHROMIUM || '/usr/bin/chromium'
const ADMIN = 'browser-test-admin-token-0123456789'
const MINI = 'wx1234567890abcdef'
const shots = path.join(root, 'target')

test('browser logins through the simulator, linked to the mini-program by unionid', { timeout: 120000 }, async (t) => {
  assert.ok(fs.existsSync(browserPath), `install Chromium first (apt-get install chromium): ${browserPath}`)
  const dev = await startDev(ADMIN)
  t.after(() => dev.stop())
  const base = dev.baseUrl

  const browser = await chromium.launch({
    executablePath: browserPath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--no-first-run'],
  })
  t.after(() => browser.close())
  const page = await browser.newPage()
  const user = `browser${Date.now()}`

  // The demo page: not logged in, two "Log in with WeChat" buttons.
  await page.goto(`${base}/`)
  await page.waitForSelector('#state:has-text("Not logged in")')
  // Website: the simulator's QR page, a person typed in, Allow.
  await page.click('#login-website')
  await page.waitForURL(/\/connect\/qrconnect\?/)
  assert.match(await page.textContent('h1'), /scan/)
  await page.fill('#other', user)
  await page.click('#allow')
  await page.waitForURL(`${base}/`)
  await page.waitForSelector('#state:has-text("Logged in")')
  const unionid = await page.textContent('#unionid')
  const appid = await page.textContent('#appid')
  assert.equal(appid, 'wxdemowebsite0001')
  assert.match(unionid, /^u[A-Za-z0-9_-]{27}$/)
  fs.mkdirSync(shots, { recursive: true })
  await page.screenshot({ path: path.join(shots, 'web-login.png'), fullPage: true })
  // The session cookie is HttpOnly: the page's scripts cannot read it.
  assert.equal(await page.evaluate(() => document.cookie.includes('wxs_session')), false)

  // The same person in the mini-program, through the API: the same unionid.
  const mini = await fetch(`${base}/v1/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ appid: MINI, code: `user:${user}:1` }),
  }).then((r) => r.json())
  assert.equal(mini.unionid, unionid)

  // The admin sees one person with two accounts and logs them out everywhere.
  const admin = (method, p) => fetch(`${base}${p}`, { method, headers: { authorization: `Bearer ${ADMIN}` } })
  const person = await admin('GET', `/v1/admin/unions/${unionid}`).then((r) => r.json())
  assert.deepEqual(person.accounts.map((a) => a.kind).sort(), ['miniprogram', 'website'])
  assert.equal(person.sessions, 2)
  assert.deepEqual(await admin('DELETE', `/v1/admin/unions/${unionid}/sessions`).then((r) => r.json()), { revoked: 2 })
  await page.reload()
  await page.waitForSelector('#state:has-text("Not logged in")')
  const auth = await fetch(`${base}/v1/auth`, { headers: { authorization: `Bearer ${mini.session}` } })
  assert.equal(auth.status, 401)

  // The official account's page, then the demo page's own logout (a same-origin form POST).
  await page.click('#login-official_account')
  await page.waitForURL(/\/connect\/oauth2\/authorize\?/)
  await page.fill('#other', user)
  await page.click('#allow')
  await page.waitForSelector('#state:has-text("Logged in")')
  assert.equal(await page.textContent('#unionid'), unionid)
  assert.equal(await page.textContent('#appid'), 'wxdemoofficial001')
  await page.screenshot({ path: path.join(shots, 'web-login-official-account.png'), fullPage: true })
  await page.click('#logout button')
  await page.waitForSelector('#state:has-text("Not logged in")')

  // Declining at WeChat comes back without a session.
  await page.click('#login-website')
  await page.waitForURL(/\/connect\/qrconnect\?/)
  await page.click('#deny')
  await page.waitForSelector('#state:has-text("you declined")')
})
