/**
 * wxsession mini-program client: login, auto re-login and decrypt against a wxsession service.
 * Dependency-free; CommonJS so that the mini-program runtime (and Node, for tests) can load it.
 *
 *   const { createSession } = require('./wxsession')
 *   const session = createSession({ baseUrl: 'https://login.example.com' })
 *   const res = await session.request({ url: '/api/orders' })   // logs in when needed
 */
'use strict'

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

function promisify(fn, options) {
  return new Promise((resolve, reject) => {
    fn(Object.assign({}, options, {
      success: resolve,
      fail: (e) => reject(e),
    }))
  })
}

/**
 * Creates a session client.
 * @param {{baseUrl: string, appid?: string, storageKey?: string, wx?: object}} options
 */
function createSession(options) {
  const opts = options || {}
  if (!opts.baseUrl) throw new TypeError('createSession: baseUrl is required')
  const baseUrl = String(opts.baseUrl).replace(/\/+$/, '')
  const storageKey = opts.storageKey || 'wxsession_token'
  const appid = opts.appid
  const wxApi = () => opts.wx || globalThis.wx
  let inflight = null

  function getToken() {
    try {
      return wxApi().getStorageSync(storageKey) || ''
    } catch (e) {
      return ''
    }
  }

  function setToken(token) {
    if (token) wxApi().setStorageSync(storageKey, token)
    else wxApi().removeStorageSync(storageKey)
  }

  function call(method, url, data, token) {
    const header = { 'content-type': 'application/json' }
    if (token) header.Authorization = `Bearer ${token}`
    return promisify(wxApi().request, {
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
      code = (await promisify(wxApi().login, {})).code
    } catch (e) {
      throw new WxSessionError('wx_login_failed', (e && e.errMsg) || 'wx.login failed', { cause: e })
    }
    const body = { code }
    if (appid) body.appid = appid
    if (withUserInfo) {
      const info = await promisify(wxApi().getUserInfo, { withCredentials: true })
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
    let token = await ensureToken()
    let res = await call(method, o.url, o.data, token)
    if (isInvalidSession(res)) {
      // Log in again unless another caller already did (then its fresh token is used); callers
      // that arrive while a login is in flight join it.
      const current = getToken()
      if (current === token) setToken('')
      if (current === token || !current) await login()
      token = getToken()
      res = await call(method, o.url, o.data, token)
    }
    if (res.statusCode < 200 || res.statusCode >= 300) throw errorFromResponse(res)
    return res
  }

  return {
    login,
    request,
    getToken,
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
      const token = getToken()
      setToken('')
      if (!token) return
      const res = await call('DELETE', '/v1/sessions/current', undefined, token)
      if (res.statusCode !== 204 && !isInvalidSession(res)) throw errorFromResponse(res)
    },
  }
}

module.exports = { createSession, WxSessionError }
