'use strict'
// A fake `wx` global: storage in a Map, login codes from a counter, request answered by a
// handler function (unit tests) or by real HTTP (integration tests).

function createFakeWx({ handler, codes } = {}) {
  const storage = new Map()
  let loginCount = 0
  const calls = []
  const wx = {
    storage,
    calls,
    get loginCount() {
      return loginCount
    },
    getStorageSync: (k) => (storage.has(k) ? storage.get(k) : ''),
    setStorageSync: (k, v) => storage.set(k, v),
    removeStorageSync: (k) => storage.delete(k),
    login({ success, fail }) {
      loginCount += 1
      const code = codes ? codes(loginCount) : `code-${loginCount}`
      wx.lastCode = code
      setTimeout(() => (code ? success({ code }) : fail({ errMsg: 'login:fail' })), 5)
    },
    getUserInfo({ success, fail }) {
      Promise.resolve(wx.userInfo ? wx.userInfo(wx.lastCode) : null).then(
        (info) => (info ? success(info) : fail({ errMsg: 'getUserInfo:fail' })),
        (e) => fail({ errMsg: String(e) }),
      )
    },
    request(options) {
      calls.push({ url: options.url, method: options.method, header: options.header, data: options.data })
      Promise.resolve()
        .then(() => handler(options))
        .then(
          (res) => options.success(Object.assign({ header: {} }, res)),
          (e) => options.fail({ errMsg: `request:fail ${e && e.message}` }),
        )
    },
  }
  return wx
}

/** wx.request over real HTTP with Node's fetch. */
async function httpHandler(options) {
  const init = { method: options.method || 'GET', headers: options.header || {} }
  if (options.data !== undefined && init.method !== 'GET') init.body = JSON.stringify(options.data)
  const res = await fetch(options.url, init)
  const text = await res.text()
  let data = text
  try {
    data = text ? JSON.parse(text) : ''
  } catch (e) {
    // Not JSON: keep the text, as wx.request does.
  }
  const header = {}
  res.headers.forEach((v, k) => {
    header[k] = v
  })
  return { statusCode: res.status, data, header }
}

module.exports = { createFakeWx, httpHandler }
