// Type declarations for the wxsession mini-program client.

export interface SessionOptions {
  /** The wxsession service, e.g. "https://login.example.com". */
  baseUrl: string
  /** The appid to log in to; optional when the service has one app. */
  appid?: string
  /** Storage key of the token (default "wxsession_token"). */
  storageKey?: string
  /** The `wx` object (default: the global `wx`). */
  wx?: unknown
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

export interface Session {
  login(options?: { withUserInfo?: boolean }): Promise<LoginResult>
  request<T = unknown>(options: RequestOptions): Promise<Response<T>>
  decrypt<T = Record<string, unknown>>(data: EncryptedData): Promise<T>
  whoami(): Promise<Identity>
  logout(): Promise<void>
  getToken(): string
}

export declare class WxSessionError extends Error {
  /** The service's error code (invalid_session, decrypt_failed, …), or network_error, wx_login_failed, http_error. */
  code: string
  status: number
  requestId: string
}

export declare function createSession(options: SessionOptions): Session
