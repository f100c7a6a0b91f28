//! A merchant's authorization: the code from the `authorized`/`updateauthorized` push or the
//! browser's return exchanged (`api_query_auth`) once per code for the fleet, the refresh
//! token stored sealed in the app's record (durable or refused), the app registered with
//! source `component` (its revocation and the like: `status`).

use std::time::{Duration, Instant};

use secrecy::{ExposeSecret as _, SecretString};
use sha2::Digest as _;
use wechat_client::AuthorizerKind;

use super::platform;
use super::status::{apply, drop_token};
use super::tokens::{component_error, component_token};
use crate::domain::Error;
use crate::domain::apps::AppSource;
use crate::domain::apps::manage::require_durable;
use crate::domain::apps::record::AppRecord;
use crate::domain::ids::AppId;
use crate::domain::wechat::call;
use crate::metrics::labels::{StoreOp, WechatApi};
use crate::settings::AppKind;
use crate::state::AppState;
use crate::store::CodeClaim;

/// How long the answer of an exchanged code is kept (WeChat's codes live 10 minutes).
const DONE_TTL_SECS: u64 = 600;

/// The store id of an authorization code: never the code itself.
fn code_id(code: &SecretString) -> String {
    let digest = sha2::Sha256::digest(code.expose_secret().as_bytes());
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("cauth:{hex}")
}

/// Exchanges an authorization code, once for the fleet: a second exchange of the same code
/// (the push and the browser's return) waits for the first and answers its appid.
pub async fn exchange(state: &AppState, code: &SecretString) -> Result<AppId, Error> {
    platform(state)?;
    if !state.keyring.is_enabled() {
        return Err(Error::StoreNotDurable(
            "merchants' refresh tokens need store.key_encryption_key_files".into(),
        ));
    }
    // Refused before anything is asked or written: nothing half-done.
    require_durable(state).await?;
    let id = code_id(code);
    let lock_ttl = state.code_wait.as_secs() * 3 + 1;
    let deadline = Instant::now() + state.code_wait * 3;
    loop {
        let claim = state
            .timed(StoreOp::ClaimCode, state.store.claim_code(&id, lock_ttl))
            .await?;
        match claim {
            CodeClaim::Acquired => break,
            CodeClaim::Done(appid) => {
                let appid = String::from_utf8(appid)
                    .ok()
                    .and_then(|a| AppId::parse(&a).ok())
                    .ok_or_else(|| anyhow::anyhow!("a malformed exchanged authorization"))?;
                return Ok(appid);
            }
            CodeClaim::Pending if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            CodeClaim::Pending => return Err(Error::WechatUnavailable),
        }
    }
    match register(state, code).await {
        Ok(appid) => {
            state
                .timed(
                    StoreOp::ClaimCode,
                    state
                        .store
                        .finish_code(&id, appid.as_str().as_bytes(), DONE_TTL_SECS),
                )
                .await?;
            Ok(appid)
        }
        Err(err) => {
            let _ = state
                .timed(StoreOp::ClaimCode, state.store.release_code(&id))
                .await;
            Err(err)
        }
    }
}

async fn register(state: &AppState, code: &SecretString) -> Result<AppId, Error> {
    let c = platform(state)?;
    let component = component_token(state).await?;
    let fut = state
        .wechat
        .query_auth(c.appid.as_str(), &component.token, code);
    let auth = call(&state.metrics, WechatApi::QueryAuth, fut)
        .await
        .map_err(|err| match err {
            wechat_client::ComponentError::InvalidAuthCode(_) => {
                Error::InvalidInput("the authorization code is invalid or expired".into())
            }
            err => component_error(c.appid.as_str(), &err),
        })?;
    let appid = AppId::parse(&auth.authorizer_appid)
        .map_err(|_| anyhow::anyhow!("WeChat answered a malformed authorizer_appid"))?;
    let Some(refresh) = auth.refresh_token.as_ref() else {
        return Err(Error::InvalidInput(
            "the merchant granted no API rights: nothing to keep".into(),
        ));
    };
    let fut = state
        .wechat
        .authorizer_info(c.appid.as_str(), &component.token, appid.as_str());
    let info = call(&state.metrics, WechatApi::AuthorizerInfo, fut)
        .await
        .map_err(|err| component_error(c.appid.as_str(), &err))?;
    if state.apps.is_config(appid.as_str()) {
        return Err(Error::AppManagedElsewhere);
    }
    let existing = state
        .timed(StoreOp::Apps, state.store.app_record(&appid))
        .await?
        .and_then(|bytes| AppRecord::decode(&bytes).ok());
    if existing
        .as_ref()
        .is_some_and(|r| r.source != AppSource::Component)
    {
        return Err(Error::AppManagedElsewhere);
    }
    let now = state.now_unix();
    let sealed = AppRecord::seal_refresh_token(&state.keyring, &appid, refresh.expose_secret())
        .ok_or_else(|| anyhow::anyhow!("sealing a refresh token failed"))?;
    let kind = match info.kind {
        AuthorizerKind::MiniProgram => AppKind::Miniprogram,
        _ => AppKind::OfficialAccount,
    };
    let record = AppRecord::merchant(kind, sealed, auth.func_info.clone(), existing.as_ref(), now);
    let since = state.apps.rev();
    state
        .timed(StoreOp::Apps, state.store.put_app(&appid, &record.encode()))
        .await?;
    // The old authorizer token goes for the whole fleet: the new one (or none) replaces it.
    match &auth.access_token {
        Some(token) => {
            let ttl = if token.expires_in > 600 {
                token.expires_in - 300
            } else {
                (token.expires_in / 2).max(1)
            };
            state
                .timed(
                    StoreOp::AccessToken,
                    state
                        .store
                        .put_access_token(&appid, token.token.expose_secret(), ttl),
                )
                .await?;
        }
        None => drop_token(state, &appid).await?,
    }
    apply(state, &appid, &record, since).await?;
    tracing::info!(appid = %appid, kind = kind.as_str(), "a merchant authorized the platform");
    Ok(appid)
}
