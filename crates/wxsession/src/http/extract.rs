//! Who is asking, as extractors: [`CurrentSession`] (a bearer token or the web session cookie,
//! validated and slid), [`Bearer`] (the token alone, for logout), [`Admin`] (the admin
//! credential) and [`ClientIp`] (the client's address through trusted proxies). Handlers never
//! read these headers themselves.

use std::future::{Ready, ready};
use std::net::IpAddr;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{FromRequest, HttpRequest, web};
use secrecy::{ExposeSecret as _, SecretString};
use sha2::Digest as _;
use subtle::ConstantTimeEq as _;

use super::cookies;
use super::error::{ApiError, Code};
use crate::domain::session::{self, Current};
use crate::domain::token::Token;
use crate::state::AppState;

type LocalFuture<T> = Pin<Box<dyn std::future::Future<Output = Result<T, ApiError>>>>;

fn state(req: &HttpRequest) -> Result<web::Data<AppState>, ApiError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| {
            ApiError::from(crate::domain::Error::Unexpected(anyhow::anyhow!(
                "no app state"
            )))
        })
}

/// The text after `Bearer ` in `Authorization`. Tokens are only ever read from this header,
/// never from the URL.
fn bearer_text(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Whether a method changes nothing (a cookie is sent with it from any site, so only these may
/// go without an allowed `Origin`).
fn is_safe(method: &str) -> bool {
    matches!(method, "GET" | "HEAD" | "OPTIONS")
}

/// Whether the request — or, behind forward auth, the original request it stands for — is a
/// state change. nginx's `auth_request` subrequest is a `GET` whatever the original method: the
/// proxy names that in `X-Forwarded-Method` (Traefik, the shipped nginx template) or
/// `X-Original-Method` (ingress-nginx). A header can only make a request count as a state
/// change, never the other way round.
fn is_state_change(req: &HttpRequest) -> bool {
    if !is_safe(req.method().as_str()) {
        return true;
    }
    ["x-forwarded-method", "x-original-method"]
        .into_iter()
        .flat_map(|name| req.headers().get_all(name))
        .any(|value| value.to_str().map_or(true, |m| !is_safe(m.trim())))
}

/// The session token of a request and whether it came in the cookie: the bearer header, else
/// the web session cookie. A state change authenticated by the cookie must come from an
/// allowed origin (`Origin` in `web.allowed_origins` or the service's own): a cross-site form
/// or script gets `403`, as the browser would attach the cookie to it.
fn session_token(req: &HttpRequest, state: &AppState) -> Result<Bearer, ApiError> {
    if let Some(text) = bearer_text(req) {
        return Ok(Bearer {
            token: Token::parse(text),
            by_cookie: false,
        });
    }
    let cookie = cookies::SESSION
        .read(req)
        .map_err(|_| ApiError::from(Code::InvalidSession))?;
    let Some(cookie) = cookie else {
        return Ok(Bearer {
            token: None,
            by_cookie: false,
        });
    };
    if is_state_change(req) {
        let origin = req
            .headers()
            .get(actix_web::http::header::ORIGIN)
            .and_then(|o| o.to_str().ok());
        let allowed = origin.is_some_and(|o| state.web.allowed_origins.iter().any(|a| a == o));
        if !allowed {
            return Err(Code::Forbidden.into());
        }
    }
    Ok(Bearer {
        token: Token::parse(&cookie),
        by_cookie: true,
    })
}

/// The well-formed session token of a request, if any (not yet looked up): the bearer header
/// or the web session cookie (with the origin check of a state change).
#[derive(Debug)]
pub struct Bearer {
    /// The token.
    pub token: Option<Token>,
    /// It came in the web session cookie.
    pub by_cookie: bool,
}

impl FromRequest for Bearer {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(state(req).and_then(|state| session_token(req, &state)))
    }
}

/// The session of a request: its bearer token or web session cookie, validated in one store
/// round trip, its idle expiry slid. `401 invalid_session` otherwise — also for a cookie that
/// holds the session of an app kind that never issues cookies (a mini-program's bearer token).
#[derive(Debug)]
pub struct CurrentSession(pub Current);

impl FromRequest for CurrentSession {
    type Error = ApiError;
    type Future = LocalFuture<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let found = state(req).and_then(|state| Ok((session_token(req, &state)?, state)));
        Box::pin(async move {
            let (bearer, state) = found?;
            let current = session::authenticate(&state, bearer.token).await?;
            if bearer.by_cookie && !state.issues_cookies(current.touched.record.appid.as_str()) {
                return Err(Code::InvalidSession.into());
            }
            Ok(Self(current))
        })
    }
}

/// The admin credential, checked in constant time: both sides are hashed first, so neither the
/// comparison nor its timing depends on the token's length. A disabled admin API is a 404; no
/// credential at all a 401, as HTTP wants; a wrong one a 403.
#[derive(Debug)]
pub struct Admin {
    /// `admin:<fingerprint>`, for the audit log.
    pub id: String,
}

/// The fingerprint of a presented token, safe to log: a hash with its own label, cut short.
pub fn credential_id(kind: &str, token: &str) -> String {
    let digest = sha2::Sha256::digest(format!("wxsession/credential-id/v1\0{token}"));
    format!(
        "{kind}:{}",
        hex::encode(digest.get(..6).unwrap_or_default())
    )
}

/// Whether `given` is `expected`, comparing hashes in constant time (no length leak).
fn same_secret(given: &str, expected: &SecretString) -> bool {
    let given = sha2::Sha256::digest(given.as_bytes());
    let expected = sha2::Sha256::digest(expected.expose_secret().as_bytes());
    bool::from(given.as_slice().ct_eq(expected.as_slice()))
}

/// The admin credential of a request.
fn admin(req: &HttpRequest, state: &AppState) -> Result<Admin, ApiError> {
    let expected = state.admin_token.as_ref().ok_or(Code::NotFound)?;
    let given = bearer_text(req).ok_or(Code::InvalidSession)?;
    if same_secret(given, expected) {
        Ok(Admin {
            id: credential_id("admin", given),
        })
    } else {
        Err(Code::Forbidden.into())
    }
}

/// A refused attempt: its audit line (none for a disabled admin API), then its error.
/// `credential` names what was presented; by default the fingerprint of the bearer token.
fn refused(
    req: &HttpRequest,
    state: &AppState,
    err: impl Into<ApiError>,
    credential: Option<String>,
) -> ApiError {
    let err = err.into();
    if err.code() != Code::NotFound {
        let presented = || bearer_text(req).map(|given| credential_id("refused", given));
        let credential = credential.or_else(presented);
        super::caller::refused(req, state, credential.as_deref());
    }
    err
}

impl FromRequest for Admin {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            state(req).and_then(|state| {
                admin(req, &state).map_err(|err| refused(req, &state, err, None))
            }),
        )
    }
}

/// The admin credential or one of `admin.credential_readers`: least privilege for the team's
/// other backends, which may read and invalidate access tokens and nothing else, and only of
/// their apps (`apps`; every app without it): another app's is `403`.
#[derive(Debug)]
pub struct CredentialReader {
    /// `admin:<fingerprint>` or `reader:<name>`, for the audit log.
    pub id: String,
}

impl FromRequest for CredentialReader {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(state(req).and_then(|state| {
            let given = bearer_text(req);
            // Every reader is compared, so that timing does not tell which one matched.
            let reader = given.and_then(|given| {
                state.credential_readers.iter().fold(None, |found, reader| {
                    let matched = same_secret(given, &reader.token);
                    found.or(matched.then_some(reader))
                })
            });
            match (reader, admin(req, &state)) {
                (Some(reader), _) => {
                    let id = format!("reader:{}", reader.name);
                    let appid = req.match_info().get("appid").unwrap_or_default();
                    if !reader.may_act_on(appid) {
                        return Err(refused(req, &state, Code::Forbidden, Some(id)));
                    }
                    Ok(Self { id })
                }
                (None, Ok(admin)) => Ok(Self { id: admin.id }),
                // No admin token configured: readers alone may still be configured.
                (None, Err(err))
                    if err.code() == Code::NotFound && !state.credential_readers.is_empty() =>
                {
                    let code = if given.is_some() {
                        Code::Forbidden
                    } else {
                        Code::InvalidSession
                    };
                    Err(refused(req, &state, code, None))
                }
                (None, Err(err)) => Err(refused(req, &state, err, None)),
            }
        }))
    }
}

/// The client's address as the rate limits see it (`domain::limits::Limits::client_ip`): the
/// peer, or what trusted proxies say in `X-Forwarded-For` (see `caller::client`).
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub Option<IpAddr>);

impl FromRequest for ClientIp {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(state(req).map(|state| Self(super::caller::client(req, &state))))
    }
}
