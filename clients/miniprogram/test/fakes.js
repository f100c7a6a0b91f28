'use strict'
// Fakes of the three platform objects the SDK runs on, differing where the real ones do — in
// how a call answers:
//   wx   — callbacks only (`success`/`fail`); returns a task object, not a promise.
//   uni  — calls the callbacks and also returns a promise of `[err, res]` (uni-app under Vue 2):
//          the SDK must take the first answer once.
//   taro — promise only: the callbacks are ignored, the promise resolves or rejects.
// Behind them: storage in a Map, login codes from a counter, requests answered by a handler
// (unit tests) or by real HTTP (integration tests).

const KINDS = ['wx', 'uni', 'taro']

function createFake(kind, { handler, codes } = {}) {
  if (!KINDS.includes(kind)) throw new Error(`unknown platform ${kind}`)
  const storage = new Map()
  let loginCount = 0
  const calls = []

  // `work` produces the success result (or throws the failure); answered the platform's way.
  function answer(options, work) {
    const settled = Promise.resolve().then(work)
    if (kind === 'taro') return settled
    settled.then(
      (res) => options.success && options.success(res),
      (e) => options.fail && options.fail(e),
    )
    if (kind === 'uni') return settled.then((res) => [null, res], (e) => [e, undefined])
    return { abort() {} }
  }

  const api = {
    kind,
    storage,
    calls,
    get loginCount() {
      return loginCount
    },
    getStorageSync: (k) => (storage.has(k) ? storage.get(k) : ''),
    setStorageSync: (k, v) => storage.set(k, v),
    removeStorageSync: (k) => storage.delete(k),
    login(options) {
      return answer(options, async () => {
        loginCount += 1
        const code = codes ? codes(loginCount) : `code-${loginCount}`
        api.lastCode = code
        await new Promise((r) => setTimeout(r, 5))
        if (!code) throw { errMsg: 'login:fail' }
        return { code, errMsg: 'login:ok' }
      })
    },
    getUserInfo(options) {
      return answer(options, async () => {
        const info = api.userInfo ? await api.userInfo(api.lastCode) : null
        if (!info) throw { errMsg: 'getUserInfo:fail' }
        return info
      })
    },
    request(options) {
      calls.push({ url: options.url, method: options.method, header: options.header, data: options.data })
      return answer(options, async () => {
        try {
          return Object.assign({ header: {} }, await handler(options))
        } catch (e) {
          throw { errMsg: `request:fail ${e && e.message}` }
        }
      })
    },
  }
  return api
}

/** A request handler over real HTTP with Node's fetch, answering as the platforms do. */
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

module.exports = { KINDS, createFake, httpHandler }
