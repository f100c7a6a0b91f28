//! The login rules: a code (`wx.login`, or a mobile app's, website's or official account's
//! OAuth code) is exchanged once however often it is presented ([`super::once`]); the newest
//! `session_key` wins and the previous one is kept; the optional one-request decrypt never fails
//! the login; a login with a unionid is recorded in the unionid index.

use std::time::Instant;

use secrecy::ExposeSecret as _;
use wechat_client::{Code2SessionError as Refusal, Error as WxError};

mod answer;
mod browser;
mod identify;

use self::answer::{ACCESS_DENIED, Outcome, SNAPSHOT_USER};
pub use self::answer::{LoginAnswer, UserDataError};
pub use self::browser::login_for_state;
pub use self::identify::Identity;
use self::identify::identify;
use super::Error;
use super::ids::AppId;
use super::once::{Answer, Done, Purpose, once};
use super::token::Token;
use super::user_data::{UserData, count_bad_input};
use crate::metrics::labels::{ExchangeResult, StoreOp};
use crate::state::{AppEntry, AppState};
use crate::store::{NewSession, SessionRecord, UnionAccount};

/// Codes from WeChat are short (32 characters); anything over this many characters is not one.
const MAX_CODE_LEN: usize = 256;

/// A login to perform.
#[derive(Debug)]
pub struct LoginRequest<'a> {
    /// The resolved appid.
    pub appid: &'a AppId,
    /// Its secret and call bound.
    pub app: &'a AppEntry,
    /// The `wx.login` code, checked by [`check_code`].
    pub code: &'a str,
    /// Optional one-request decrypt; an error here does not fail the login.
    pub user_data: Result<Option<UserData<'a>>, Error>,
}

/// Checks a presented code: present, not absurdly long, no control characters.
pub fn check_code(code: Option<&str>) -> Result<&str, Error> {
    let code = code
        .filter(|c| !c.is_empty())
        .ok_or_else(|| Error::InvalidInput("code is required".into()))?;
    if code.chars().count() > MAX_CODE_LEN || code.chars().any(char::is_control) {
        return Err(Error::InvalidInput("code is malformed".into()));
    }
    Ok(code)
}

/// Logs in, or returns the answer an earlier presentation of the same code got.
pub async fn login(state: &AppState, req: LoginRequest<'_>) -> Result<LoginAnswer, Error> {
    let answer = once(state, Purpose::Login, req.appid.as_str(), req.code, || {
        exchange(state, &req)
    })
    .await?;
    match answer {
        Answer::Fresh(answer) => answer,
        Answer::Replayed(outcome) => replay(state, outcome).await,
    }
}

async fn replay(state: &AppState, outcome: Outcome) -> Result<LoginAnswer, Error> {
    let (token, user, user_error) = match outcome {
        Outcome::Session {
            token,
            user,
            user_error,
        } => (token, user, user_error),
        Outcome::Failed(code) => {
            return Err(match code.as_str() {
                "invalid_code" => Error::InvalidCode,
                "user_blocked" => Error::UserBlocked,
                SNAPSHOT_USER => Error::SnapshotUser,
                ACCESS_DENIED => Error::AccessDenied,
                _ => Error::CodeUsed,
            });
        }
    };
    let id = Token::parse(&token)
        .ok_or_else(|| anyhow::anyhow!("a sealed token is malformed"))?
        .id();
    let touched = state
        .timed(
            StoreOp::TouchSession,
            state.store.touch_session(&id, state.idle_ttl_secs),
        )
        .await?
        // The session of this code was logged out or expired since: the code is spent.
        .ok_or(Error::CodeUsed)?;
    let r = touched.record;
    Ok(LoginAnswer {
        session: token,
        expires_in: touched.ttl_secs,
        appid: r.appid,
        openid: r.openid,
        unionid: r.unionid,
        user,
        user_error,
    })
}

type Exchanged = Done<Outcome, Result<LoginAnswer, Error>>;

/// The one WeChat call of a code. `Err` is transient (the code is released for a retry); a
/// final refusal is sealed like a session.
async fn exchange(state: &AppState, req: &LoginRequest<'_>) -> Result<Exchanged, Error> {
    let Some(permit) = req.app.call_permit() else {
        return Err(crate::domain::wechat::refused_call(
            &state.metrics,
            req.appid.as_str(),
        ));
    };
    let started = Instant::now();
    let result = identify(state, req.appid.as_str(), req.app, req.code).await;
    drop(permit);
    state
        .metrics
        .code_exchange_duration_seconds
        .observe(started.elapsed().as_secs_f64());
    let session = match result {
        Ok(session) => session,
        Err(err) => return refused(state, req.appid.as_str(), &err),
    };
    state
        .metrics
        .exchange(req.appid.as_str(), ExchangeResult::Ok);
    if session.snapshot_user {
        return Ok(Done {
            sealed: Outcome::Failed(SNAPSHOT_USER.to_owned()),
            fresh: Err(Error::SnapshotUser),
        });
    }
    let answer = create(state, req, &session).await?;
    let sealed = Outcome::Session {
        token: answer.session.clone(),
        user: answer.user.clone(),
        user_error: answer.user_error.clone(),
    };
    Ok(Done {
        sealed,
        fresh: Ok(answer),
    })
}

async fn create(
    state: &AppState,
    req: &LoginRequest<'_>,
    session: &Identity,
) -> Result<LoginAnswer, Error> {
    let key_text = session.session_key.as_ref().map(|k| k.expose_secret());
    let key = match key_text.map(wechat_crypto::SessionKey::from_base64) {
        None => None,
        Some(Ok(key)) => Some(key),
        Some(Err(_)) => {
            tracing::warn!(appid = %req.appid, "WeChat returned a malformed session_key");
            return Err(Error::WechatError);
        }
    };
    let Some((appid, openid, unionid)) = session.ids(req.appid) else {
        return Err(Error::WechatError);
    };
    let now = state.now_unix();
    let record = SessionRecord {
        appid,
        openid,
        unionid,
        created_at: now,
        deadline: now.saturating_add(i64::try_from(state.max_lifetime_secs).unwrap_or(i64::MAX)),
    };
    let token = Token::mint().map_err(|e| anyhow::anyhow!("OS random source failed: {e}"))?;
    let id = token.id();
    let stored_key = match &key {
        Some(key) => Some(
            state
                .keyring
                .seal(
                    key.expose_base64(),
                    record.appid.as_str(),
                    record.openid.as_str(),
                )
                .ok_or_else(|| anyhow::anyhow!("sealing the session_key failed"))?,
        ),
        None => None,
    };
    let new = NewSession {
        id: &id,
        record: &record,
        session_key: stored_key.as_deref(),
        idle_ttl_secs: state.idle_ttl_secs,
        max_sessions: state.max_sessions_per_user,
    };
    state
        .timed(StoreOp::CreateSession, state.store.create_session(new))
        .await?;
    state
        .metrics
        .sessions_created_total
        .with_label_values(&[state.metrics.app(req.appid.as_str())])
        .inc();
    link_union(state, &record).await;
    let decrypted = match (&req.user_data, key_text) {
        (Ok(None), _) => Ok(None),
        (Ok(Some(data)), Some(key_text)) => data
            .decrypt(&state.metrics, req.appid.as_str(), &[key_text.to_owned()])
            .map(Some)
            .map_err(|err| UserDataError::of(&err)),
        // No key to decrypt with (the routes refuse user data for these app kinds).
        (Ok(Some(_)), None) => Err(UserDataError::of(&Error::UnsupportedForApp)),
        (Err(err), _) => {
            count_bad_input(&state.metrics, req.appid.as_str());
            Err(UserDataError::of(err))
        }
    };
    let (user, user_error) = match decrypted {
        Ok(user) => (user, None),
        Err(err) => (None, Some(err)),
    };
    Ok(LoginAnswer {
        session: token.expose().to_owned(),
        expires_in: state.first_ttl(),
        appid: record.appid,
        openid: record.openid,
        unionid: record.unionid,
        user,
        user_error,
    })
}

/// Records the login in the person's unionid index. The session stands whatever happens here:
/// a failure is logged, and the next login records it again.
async fn link_union(state: &AppState, record: &SessionRecord) {
    let Some(unionid) = &record.unionid else {
        return;
    };
    let account = UnionAccount {
        appid: record.appid.clone(),
        openid: record.openid.clone(),
        last_login: record.created_at,
    };
    let linked = state
        .timed(
            StoreOp::Union,
            state
                .store
                .link_account(unionid, &account, state.max_lifetime_secs),
        )
        .await;
    if linked.is_err() {
        tracing::warn!(appid = %record.appid, "the login was not recorded in the unionid index");
    }
}

/// Maps a WeChat failure and counts it: a final one is sealed as the code's answer, a
/// transient one releases the code (`Err`) so that a retry can try again.
fn refused(state: &AppState, appid: &str, err: &Refusal) -> Result<Exchanged, Error> {
    let (result, error, is_final) = match err {
        Refusal::InvalidCode => (ExchangeResult::InvalidCode, Error::InvalidCode, true),
        Refusal::CodeUsed => (ExchangeResult::CodeUsed, Error::CodeUsed, true),
        Refusal::UserBlocked => (ExchangeResult::UserBlocked, Error::UserBlocked, true),
        Refusal::NotAuthorized => (ExchangeResult::WechatError, Error::AppUnauthorized, false),
        Refusal::Wechat(WxError::RateLimited) => (
            ExchangeResult::RateLimited,
            Error::RateLimited { retry_after: 1 },
            false,
        ),
        Refusal::Wechat(WxError::Timeout) => (ExchangeResult::Timeout, Error::WechatTimeout, false),
        Refusal::Wechat(WxError::SystemBusy | WxError::Transport(_)) => {
            (ExchangeResult::Unavailable, Error::WechatUnavailable, false)
        }
        Refusal::Wechat(WxError::HttpStatus(s)) if *s >= 500 => {
            (ExchangeResult::Unavailable, Error::WechatUnavailable, false)
        }
        Refusal::Wechat(WxError::BadCredentials(_)) => {
            tracing::error!(appid, error = %err, "WeChat rejected the app's credentials: check the configuration");
            (ExchangeResult::WechatError, Error::WechatError, false)
        }
        _ => (ExchangeResult::WechatError, Error::WechatError, false),
    };
    state.metrics.exchange(appid, result);
    tracing::warn!(
        appid,
        result = result.as_str(),
        error = %crate::telemetry::error_chain(err),
        "code exchange failed"
    );
    if !is_final {
        return Err(error);
    }
    Ok(Done {
        sealed: Outcome::Failed(result.as_str().to_owned()),
        fresh: Err(error),
    })
}
