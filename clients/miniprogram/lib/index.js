/**
 * wxsession mini-program client: login, auto re-login, decrypt and the phone number against a
 * wxsession service, on raw `wx`, uni-app (`uni`) or Taro (`Taro`). Dependency-free; CommonJS
 * so that the mini-program runtime, DevTools' npm build and Node (tests) all load it.
 *
 *   const { createSession } = require('wxsession-miniprogram')
 *   const session = createSession({ baseUrl: 'https://login.example.com' })      // wx
 *   const session = createSession({ baseUrl: 'https://login.example.com', api: uni })
 *   const session = createSession({ baseUrl: 'https://login.example.com', api: Taro })
 *   const res = await session.request({ url: '/api/orders' })   // logs in when needed
 */
'use strict'

const { invoke, storage } = require('./platform')

/** WeChat's `e.detail.errno` when the app's phone-number quota is spent (its docs: 1400001). */
const PHONE_QUOTA_ERRNO = 1400001

/** An error carrying the service's error `code` (see SPEC section 5). */
class WxSessionError extends Error {
  constructor(code, message, { status = 0, requestId = '', cause } = {}) {
    super(message)
    this.name = 'WxSessionError'
    this.code = code
    this.status = status
    this.requestId = requestId
    if (cause !== undefined) this.cause = cause
  }
}

function errorFromResponse(res) {
  const err = res && res.data && res.data.error
  if (err && typeof err.code === 'string') {
    return new WxSessionError(err.code, err.message || err.code, {
      status: res.statusCode,
      requestId: err.request_id || '',
    })
  }
  return new WxSessionError('http_error', `HTTP ${res.statusCode}`, { status: res.statusCode })
}

/**
 * The running mini-program's own appid, for a template that a third-party platform runs for
 * many merchants: `getAccountInfoSync().miniProgram.appId` (wx, uni-app and Taro all have it),
 * else an `appid` in the platform's ext config (`getExtConfigSync()`), else undefined.
 */
function accountAppid(api) {
  try {
    const info = api && typeof api.getAccountInfoSync === 'function' && api.getAccountInfoSync()
    const id = info && info.miniProgram && info.miniProgram.appId
    if (typeof id === 'string' && id) return id
  } catch (e) {
    // Not available on this platform or version: try the ext config.
  }
  try {
    const ext = api && typeof api.getExtConfigSync === 'function' && api.getExtConfigSync()
    if (ext && typeof ext.appid === 'string' && ext.appid) return ext.appid
  } catch (e) {
    // No ext config.
  }
  return undefined
}

/**
 * Creates a session client. `appid: 'auto'` sends the running mini-program's own appid
 * (`getAccountInfoSync`, else the ext config's `appid`): one template for every merchant of a
 * third-party platform.
 * @param {{baseUrl: string, appid?: string, storageKey?: string, api?: object, wx?: object}} options
 */
function createSession(options) {
  const opts = options || {}
  if (!opts.baseUrl) throw new TypeError('createSession: baseUrl is required')
  const baseUrl = String(opts.baseUrl).replace(/\/+$/, '')
  const appid = opts.appid
  // The platform object, looked up at each call so that a global defined later is found.
  const api = () => opts.api || opts.wx || globalThis.wx
  const token = storage(api, opts.storageKey || 'wxsession_token')
  const getToken = token.get
  const setToken = token.set
  let inflight = null

  function call(method, url, data, bearer) {
    const header = { 'content-type': 'application/json' }
    if (bearer) header.Authorization = `Bearer ${bearer}`
    return invoke(api(), 'request', {
      url: /^https?:\/\//.test(url) ? url : baseUrl + url,
      method,
      data,
      header,
    }).catch((e) => {
      throw new WxSessionError('network_error', (e && e.errMsg) || 'request failed', { cause: e })
    })
  }

  async function doLogin(withUserInfo) {
    let code
    try {
      code = (await invoke(api(), 'login', {})).code
    } catch (e) {
      throw new WxSessionError('wx_login_failed', (e && e.errMsg) || 'login failed', { cause: e })
    }
    if (!code) throw new WxSessionError('wx_login_failed', 'login gave no code')
    const body = { code }
    if (appid === 'auto') {
      const own = accountAppid(api())
      if (!own) {
        throw new WxSessionError('no_appid', 'appid "auto": neither getAccountInfoSync nor the ext config gave an appid')
      }
      body.appid = own
    } else if (appid) {
      body.appid = appid
    }
    if (withUserInfo) {
      const info = await invoke(api(), 'getUserInfo', { withCredentials: true })
      body.encryptedData = info.encryptedData
      body.iv = info.iv
      if (info.rawData && info.signature) {
        body.rawData = info.rawData
        body.signature = info.signature
      }
    }
    const res = await call('POST', '/v1/sessions', body)
    if (res.statusCode !== 201) throw errorFromResponse(res)
    setToken(res.data.session)
    return res.data
  }

  /** Logs in; concurrent callers share one in-flight login. */
  function login(loginOptions) {
    const withUserInfo = !!(loginOptions && loginOptions.withUserInfo)
    if (!inflight) {
      inflight = doLogin(withUserInfo).finally(() => {
        inflight = null
      })
    }
    return inflight
  }

  async function ensureToken() {
    const token = getToken()
    if (token) return token
    await login()
    return getToken()
  }

  function isInvalidSession(res) {
    return res.statusCode === 401 && res.data && res.data.error &&
      res.data.error.code === 'invalid_session'
  }

  /**
   * wx.request with `Authorization: Bearer`; on `401 invalid_session` logs in again once and
   * retries. Resolves with `{statusCode, data, header}` for 2xx, rejects with WxSessionError.
   */
  async function request(reqOptions) {
    const o = reqOptions || {}
    const method = (o.method || 'GET').toUpperCase()
    let sent = await ensureToken()
    let res = await call(method, o.url, o.data, sent)
    if (isInvalidSession(res)) {
      // Log in again unless another caller already did (then its fresh token is used); callers
      // that arrive while a login is in flight join it.
      const current = getToken()
      if (current === sent) setToken('')
      if (current === sent || !current) await login()
      sent = getToken()
      res = await call(method, o.url, o.data, sent)
    }
    if (res.statusCode < 200 || res.statusCode >= 300) throw errorFromResponse(res)
    return res
  }

  /**
   * The phone number for a `getPhoneNumber` or `getRealtimePhoneNumber` code (one WeChat call
   * per code, server-side). WeChat has charged for it already: it charges when the button's
   * success callback reaches the page, whether or not the code is exchanged.
   */
  async function getPhoneNumber(phoneOptions) {
    const code = phoneOptions && phoneOptions.code
    if (typeof code !== 'string' || !code) {
      throw new WxSessionError('invalid_request', 'getPhoneNumber needs the code from the button event')
    }
    const res = await request({ url: '/v1/sessions/current/phone', method: 'POST', data: { code } })
    return res.data
  }

  return {
    login,
    request,
    getToken,
    getPhoneNumber,
    /**
     * The user's phone number if the service remembers it (`phone.remember_days`), else null:
     * ask this first and show the (paid) phone button only when it is null.
     */
    async knownPhoneNumber() {
      try {
        return (await request({ url: '/v1/sessions/current/phone' })).data
      } catch (e) {
        if (e instanceof WxSessionError && e.code === 'phone_unknown') return null
        throw e
      }
    },
    /** Makes the service forget the user's remembered phone number (erasure). */
    async forgetPhoneNumber() {
      await request({ url: '/v1/sessions/current/phone', method: 'DELETE' })
    },
    /**
     * Takes the event of `<button open-type="getPhoneNumber" bindgetphonenumber="…">` or of
     * `<button open-type="getRealtimePhoneNumber" bindgetrealtimephonenumber="…">`: the phone
     * number when the user allowed it; `WxSessionError('phone_quota_exhausted')` when WeChat
     * refused because the app's phone-number quota is spent (`e.detail.errno === 1400001`);
     * `WxSessionError('phone_declined')` when the user declined (no `e.detail.code`; `errMsg`
     * says why, e.g. "getPhoneNumber:fail user deny").
     */
    async phoneNumberFromEvent(e) {
      const detail = (e && e.detail) || {}
      if (detail.errno === PHONE_QUOTA_ERRNO) {
        throw new WxSessionError('phone_quota_exhausted', detail.errMsg || 'the phone-number quota is spent')
      }
      if (!detail.code) {
        throw new WxSessionError('phone_declined', detail.errMsg || 'the phone button gave no code')
      }
      return getPhoneNumber({ code: detail.code })
    },
    /** Whether WeChat still holds the session's key (`{valid}`); false: log in again before
     * fetching encrypted data. */
    async keyStatus() {
      return (await request({ url: '/v1/sessions/current/key-status' })).data
    },
    /** Decrypts data from wx.getUserInfo, getPhoneNumber, getWeRunData, … */
    async decrypt(data) {
      const res = await request({ url: '/v1/sessions/current/decrypt', method: 'POST', data })
      return res.data.data
    },
    /** The current session: appid, openid, unionid, created_at, expires_in. */
    async whoami() {
      return (await request({ url: '/v1/sessions/current' })).data
    },
    /** Logs out on the server and forgets the token. */
    async logout() {
      const current = getToken()
      setToken('')
      if (!current) return
      const res = await call('DELETE', '/v1/sessions/current', undefined, current)
      if (res.statusCode !== 204 && !isInvalidSession(res)) throw errorFromResponse(res)
    },
  }
}

module.exports = { createSession, WxSessionError, PHONE_QUOTA_ERRNO }
