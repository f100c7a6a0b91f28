// Type declarations for wxsession-miniprogram. Checked against miniprogram-api-typings by
// test/types/usage.ts (`tsc --noEmit`, run by scripts/test.sh).

/** The callback object every platform call takes. */
export interface PlatformCallbacks<T> {
  success?: (result: T) => void
  fail?: (error: { errMsg: string }) => void
}

/**
 * What the SDK needs of the platform object: `wx`, uni-app's `uni` or Taro's `Taro` (each has
 * these calls; callback style, promise style, or both).
 */
export interface PlatformApi {
  login(options: PlatformCallbacks<{ code: string }>): unknown
  request(
    options: {
      url: string
      method?: any
      data?: any
      header?: Record<string, string>
    } & PlatformCallbacks<any>,
  ): unknown
  getStorageSync(key: string): any
  setStorageSync(key: string, value: any): void
  removeStorageSync(key: string): void
  /** Only for `login({ withUserInfo: true })`. */
  getUserInfo?(options: { withCredentials?: boolean } & PlatformCallbacks<any>): unknown
}

export interface SessionOptions {
  /** The wxsession service, e.g. "https://login.example.com". */
  baseUrl: string
  /**
   * The appid to log in to; optional when the service has one app. `'auto'`: the running
   * mini-program's own (`getAccountInfoSync().miniProgram.appId`, else the ext config's
   * `appid`) — one template for every merchant of a third-party platform.
   */
  appid?: string | 'auto'
  /** Storage key of the token (default "wxsession_token"). */
  storageKey?: string
  /** The platform object: `wx` (default: the global), `uni` or `Taro`. */
  api?: PlatformApi
  /** Former name of `api`. */
  wx?: PlatformApi
}

export interface LoginResult {
  session: string
  expires_in: number
  appid: string
  openid: string
  unionid?: string
  user?: Record<string, unknown>
  user_error?: { code: string; message: string }
}

export interface Identity {
  appid: string
  openid: string
  unionid?: string
  created_at: number
  expires_in: number
}

export interface RequestOptions {
  /** Absolute, or relative to baseUrl. */
  url: string
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH' | 'HEAD' | 'OPTIONS'
  data?: unknown
}

export interface Response<T = unknown> {
  statusCode: number
  data: T
  header: Record<string, string>
}

export interface EncryptedData {
  encryptedData: string
  iv: string
  rawData?: string
  signature?: string
}

/** `POST /v1/sessions/current/phone`. */
export interface PhoneNumber {
  /** With the country code, e.g. "+8613800000000" (as WeChat gives it). */
  phoneNumber: string
  purePhoneNumber: string
  countryCode: string
}

/** `GET /v1/sessions/current/phone`: a number the service remembers (`phone.remember_days`). */
export interface RememberedPhoneNumber extends PhoneNumber {
  /** When WeChat verified it, unix seconds. */
  verified_at: number
}

/**
 * The event of `<button open-type="getPhoneNumber">` (`getphonenumber`) or of
 * `<button open-type="getRealtimePhoneNumber">` (`getrealtimephonenumber`): `detail.code` when
 * the user allowed; `detail.errno` 1400001 when the app's phone-number quota is spent.
 */
export interface PhoneNumberEvent {
  type?: string
  detail: { code?: string; errMsg?: string; errno?: number }
}

/** WeChat's `e.detail.errno` when the app's phone-number quota is spent. */
export declare const PHONE_QUOTA_ERRNO: 1400001

export interface Session {
  login(options?: { withUserInfo?: boolean }): Promise<LoginResult>
  request<T = unknown>(options: RequestOptions): Promise<Response<T>>
  decrypt<T = Record<string, unknown>>(data: EncryptedData): Promise<T>
  getPhoneNumber(options: { code: string }): Promise<PhoneNumber>
  /** The remembered number, or null (404 phone_unknown): show the phone button only then. */
  knownPhoneNumber(): Promise<RememberedPhoneNumber | null>
  /** Makes the service forget the remembered number. */
  forgetPhoneNumber(): Promise<void>
  /**
   * Rejects with code `phone_declined` when the user declined, `phone_quota_exhausted` when
   * WeChat refused for lack of quota (errno 1400001).
   */
  phoneNumberFromEvent(event: PhoneNumberEvent): Promise<PhoneNumber>
  keyStatus(): Promise<{ valid: boolean }>
  whoami(): Promise<Identity>
  logout(): Promise<void>
  getToken(): string
}

export declare class WxSessionError extends Error {
  /**
   * The service's error code (invalid_session, decrypt_failed, invalid_phone_code, …), or one of
   * the SDK's: network_error, wx_login_failed, phone_declined, phone_quota_exhausted,
   * invalid_request, http_error.
   */
  code: string
  status: number
  requestId: string
}

export declare function createSession(options: SessionOptions): Session
