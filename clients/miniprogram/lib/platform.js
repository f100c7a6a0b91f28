/**
 * The platform object — `wx`, uni-app's `uni` or Taro's `Taro` — behind one promise API.
 *
 * All three take `success`/`fail` callbacks; some calls (Taro's, uni-app's without callbacks,
 * promisified wrappers teams write) also or only return a promise, and uni-app under Vue 2
 * resolves `[err, res]`. `invoke` passes the callbacks and honours a returned promise: the
 * first answer wins, so a platform that does both is not counted twice.
 */
'use strict'

function isErrRes(value) {
  return Array.isArray(value) && value.length === 2 &&
    (value[0] === null || value[0] === undefined || (typeof value[0] === 'object' && 'errMsg' in value[0]))
}

/** Calls `api[name](options)`; resolves with the success result, rejects with the failure. */
function invoke(api, name, options) {
  const fn = api && api[name]
  if (typeof fn !== 'function') {
    return Promise.reject(new TypeError(`the platform object has no ${name}()`))
  }
  return new Promise((resolve, reject) => {
    let done = false
    const ok = (value) => {
      if (done) return
      done = true
      if (isErrRes(value)) {
        if (value[0]) reject(value[0])
        else resolve(value[1])
      } else {
        resolve(value)
      }
    }
    const ko = (e) => {
      if (done) return
      done = true
      reject(e)
    }
    let returned
    try {
      returned = fn.call(api, Object.assign({}, options, { success: ok, fail: ko }))
    } catch (e) {
      ko(e)
      return
    }
    if (returned && typeof returned.then === 'function') returned.then(ok, ko)
  })
}

/** Storage through the platform's own synchronous calls (`getStorageSync`, …). */
function storage(api, key) {
  return {
    get() {
      try {
        return api().getStorageSync(key) || ''
      } catch (e) {
        return ''
      }
    },
    set(value) {
      if (value) api().setStorageSync(key, value)
      else api().removeStorageSync(key)
    },
  }
}

module.exports = { invoke, storage }
