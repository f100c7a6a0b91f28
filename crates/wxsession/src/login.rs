//! The login rules: one code, one exchange, one answer (single-flighted across replicas through
//! the store, the answer sealed with a key derived from the code), and newest key wins.

use std::time::{Duration, Instant};

use secrecy::ExposeSecret as _;
use serde::{Deserialize, Serialize};
use wechat_client::Error as WxError;

use crate::error::ApiError;
use crate::routes::decrypt::UserData;
use crate::seal::CodeSeal;
use crate::state::{AppEntry, AppState, CODE_ANSWER_TTL_SECS};
use crate::store::{CodeClaim, NewSession, SessionRecord, now_unix};
use crate::token::Token;

/// A login to perform.
#[derive(Debug)]
pub struct LoginRequest<'a> {
    /// The resolved appid.
    pub appid: &'a str,
    /// Its secret and call bound.
    pub app: &'a AppEntry,
    /// The `wx.login` code.
    pub code: &'a str,
    /// Optional one-request decrypt; an error here does not fail the login.
    pub user_data: Result<Option<UserData<'a>>, ApiError>,
}

/// The `201` body.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoginAnswer {
    session: String,
    expires_in: u64,
    appid: String,
    openid: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    unionid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_error: Option<UserError>,
}

/// Why the one-request decrypt failed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserError {
    code: String,
    message: String,
}

/// What a code's exchange ended in; sealed in the store for the code's lifetime. Kept small:
/// a replay rebuilds the rest of the answer from the session itself.
#[derive(Debug, Serialize, Deserialize)]
enum Outcome {
    Session {
        #[serde(rename = "t")]
        token: String,
        #[serde(rename = "u", default, skip_serializing_if = "Option::is_none")]
        user: Option<serde_json::Value>,
        #[serde(rename = "e", default, skip_serializing_if = "Option::is_none")]
        user_error: Option<UserError>,
    },
    Failed(String),
}

/// Logs in, or returns the answer an earlier presentation of the same code got.
pub async fn login(state: &AppState, req: LoginRequest<'_>) -> Result<LoginAnswer, ApiError> {
    let seal = CodeSeal::new(req.appid, req.code);
    let lock_ttl = state.code_wait.as_secs().max(1) + 5;
    let deadline = Instant::now() + state.code_wait;
    let mut pause = Duration::from_millis(10);
    loop {
        let claim = state
            .store_op("claim_code", state.store.claim_code(seal.id(), lock_ttl))
            .await?;
        match claim {
            CodeClaim::Acquired => return exchange(state, &req, &seal).await,
            CodeClaim::Done(sealed) => return replay(state, &seal, &sealed).await,
            CodeClaim::Pending if Instant::now() >= deadline => {
                return Err(ApiError::WechatUnavailable);
            }
            CodeClaim::Pending => {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_millis(200));
            }
        }
    }
}

async fn replay(state: &AppState, seal: &CodeSeal, sealed: &[u8]) -> Result<LoginAnswer, ApiError> {
    let plain = seal
        .open(sealed)
        .ok_or_else(|| anyhow::anyhow!("a sealed code answer did not authenticate"))?;
    let outcome: Outcome =
        serde_json::from_slice(&plain).map_err(|e| anyhow::anyhow!("sealed answer: {e}"))?;
    match outcome {
        Outcome::Session {
            token,
            user,
            user_error,
        } => {
            let id = Token::parse(&token)
                .ok_or_else(|| anyhow::anyhow!("a sealed token is malformed"))?
                .id();
            let touched = state
                .store_op(
                    "touch_session",
                    state.store.touch_session(&id, state.idle_ttl_secs),
                )
                .await?
                // The session of this code was logged out or expired since: the code is spent.
                .ok_or(ApiError::CodeUsed)?;
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
        Outcome::Failed(code) => Err(match code.as_str() {
            "invalid_code" => ApiError::InvalidCode,
            "user_blocked" => ApiError::UserBlocked,
            _ => ApiError::CodeUsed,
        }),
    }
}

async fn exchange(
    state: &AppState,
    req: &LoginRequest<'_>,
    seal: &CodeSeal,
) -> Result<LoginAnswer, ApiError> {
    let Some(permit) = req.app.call_permit() else {
        let _ = state
            .store_op("release_code", state.store.release_code(seal.id()))
            .await;
        state
            .metrics
            .wechat_calls_refused_total
            .with_label_values(&[req.appid])
            .inc();
        return Err(ApiError::WechatUnavailable);
    };
    let started = Instant::now();
    let result = state
        .wechat
        .code2session(req.appid, &req.app.secret, req.code)
        .await;
    drop(permit);
    state
        .metrics
        .code_exchange_duration_seconds
        .observe(started.elapsed().as_secs_f64());
    let session = match result {
        Ok(session) => session,
        Err(err) => return fail(state, req.appid, seal, err).await,
    };
    state
        .metrics
        .code_exchanges_total
        .with_label_values(&[req.appid, "ok"])
        .inc();
    match create(state, req, &session).await {
        Ok(answer) => {
            // The session exists whatever happens here; a failure only costs replays.
            let outcome = Outcome::Session {
                token: answer.session.clone(),
                user: answer.user.clone(),
                user_error: answer.user_error.clone(),
            };
            remember(state, seal, &outcome).await;
            Ok(answer)
        }
        Err(err) => {
            let _ = state
                .store_op("release_code", state.store.release_code(seal.id()))
                .await;
            Err(err)
        }
    }
}

async fn create(
    state: &AppState,
    req: &LoginRequest<'_>,
    session: &wechat_client::Code2Session,
) -> Result<LoginAnswer, ApiError> {
    let key_text = session.session_key.expose_secret();
    let Ok(key) = wechat_crypto::SessionKey::from_base64(key_text) else {
        tracing::warn!(appid = req.appid, "WeChat returned a malformed session_key");
        return Err(ApiError::WechatError);
    };
    let now = now_unix();
    let record = SessionRecord {
        appid: req.appid.to_owned(),
        openid: session.openid.clone(),
        unionid: session.unionid.clone(),
        created_at: now,
        deadline: now.saturating_add(i64::try_from(state.max_lifetime_secs).unwrap_or(i64::MAX)),
    };
    if !record.is_storable() {
        tracing::warn!(
            appid = req.appid,
            "WeChat returned an openid or unionid we cannot store"
        );
        return Err(ApiError::WechatError);
    }
    let token = Token::mint().map_err(|e| anyhow::anyhow!("OS random source failed: {e}"))?;
    let id = token.id();
    let stored_key = state
        .keyring
        .seal(key.expose_base64(), &record.appid, &record.openid)
        .ok_or_else(|| anyhow::anyhow!("sealing the session_key failed"))?;
    state
        .store_op(
            "create_session",
            state.store.create_session(NewSession {
                id: &id,
                record: &record,
                session_key: &stored_key,
                idle_ttl_secs: state.idle_ttl_secs,
                max_sessions: state.max_sessions_per_user,
            }),
        )
        .await?;
    state
        .metrics
        .sessions_created_total
        .with_label_values(&[req.appid])
        .inc();
    let (user, user_error) = match &req.user_data {
        Ok(None) => (None, None),
        Ok(Some(data)) => match data.decrypt(state, req.appid, &[key_text.to_owned()]) {
            Ok(user) => (Some(user), None),
            Err(err) => (None, Some(user_error(&err))),
        },
        Err(err) => {
            crate::routes::decrypt::count_bad_input(state, req.appid);
            (None, Some(user_error(err)))
        }
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

fn user_error(err: &ApiError) -> UserError {
    UserError {
        code: err.code().to_owned(),
        message: err.to_string(),
    }
}

/// Maps a WeChat failure, counts it, and either seals it (final answers) or releases the code so
/// that a retry can try again (transient ones).
async fn fail(
    state: &AppState,
    appid: &str,
    seal: &CodeSeal,
    err: WxError,
) -> Result<LoginAnswer, ApiError> {
    let (result, api, is_final) = match &err {
        WxError::InvalidCode => ("invalid_code", ApiError::InvalidCode, true),
        WxError::CodeUsed => ("code_used", ApiError::CodeUsed, true),
        WxError::UserBlocked => ("user_blocked", ApiError::UserBlocked, true),
        WxError::RateLimited => (
            "rate_limited",
            ApiError::RateLimited { retry_after: 1 },
            false,
        ),
        WxError::Timeout => ("timeout", ApiError::WechatTimeout, false),
        WxError::SystemBusy | WxError::Transport(_) => {
            ("unavailable", ApiError::WechatUnavailable, false)
        }
        WxError::HttpStatus(s) if *s >= 500 => ("unavailable", ApiError::WechatUnavailable, false),
        WxError::InvalidAppId | WxError::InvalidSecret => {
            tracing::error!(appid, error = %err, "WeChat rejected the app's credentials: check the configuration");
            ("wechat_error", ApiError::WechatError, false)
        }
        _ => ("wechat_error", ApiError::WechatError, false),
    };
    state
        .metrics
        .code_exchanges_total
        .with_label_values(&[appid, result])
        .inc();
    tracing::warn!(appid, result, error = %crate::error::error_chain(&err), "code exchange failed");
    if is_final {
        remember(state, seal, &Outcome::Failed(api.code().to_owned())).await;
    } else {
        let _ = state
            .store_op("release_code", state.store.release_code(seal.id()))
            .await;
    }
    Err(api)
}

/// Seals an outcome under the code's key and keeps it for the code's lifetime. Best effort: a
/// store failure is logged and counted by `store_op`.
async fn remember(state: &AppState, seal: &CodeSeal, outcome: &Outcome) {
    let Some(sealed) = serde_json::to_vec(outcome)
        .ok()
        .and_then(|plain| seal.seal(&plain))
    else {
        return;
    };
    let _ = state
        .store_op(
            "finish_code",
            state
                .store
                .finish_code(seal.id(), &sealed, CODE_ANSWER_TTL_SECS),
        )
        .await;
}
