//! `wxsession component recover`: for a Redis that lost merchants' refresh tokens, best effort
//! from WeChat's own list (`api_get_authorizer_list`, paged): every merchant it lists with a
//! refresh token is stored again (sealed, durable or refused), its app registered active.
//! Merchants WeChat lists without a token, or that the config file or the admin API manage,
//! are left as they are and counted.

use wechat_client::AuthorizerKind;

use super::platform;
use super::tokens::{component_error, component_token};
use crate::domain::Error;
use crate::domain::apps::AppSource;
use crate::domain::apps::manage::require_durable;
use crate::domain::apps::record::AppRecord;
use crate::domain::ids::AppId;
use crate::domain::wechat::{call, client_error};
use crate::metrics::labels::{StoreOp, WechatApi};
use crate::settings::AppKind;
use crate::state::AppState;

/// A page of `api_get_authorizer_list` (WeChat's maximum).
const PAGE: u32 = 500;

/// What a recovery did.
#[derive(Debug, Default, serde::Serialize)]
pub struct Recovered {
    /// Merchants WeChat listed.
    pub listed: u64,
    /// Refresh tokens stored (their apps registered active).
    pub stored: Vec<String>,
    /// Listed without a refresh token, malformed, or managed elsewhere: left as they are.
    pub skipped: Vec<String>,
}

/// Pages WeChat's list of the platform's merchants and stores the refresh tokens it returns.
pub async fn recover(state: &AppState) -> Result<Recovered, Error> {
    let c = platform(state)?;
    if !state.keyring.is_enabled() {
        return Err(Error::StoreNotDurable(
            "merchants' refresh tokens need store.key_encryption_key_files".into(),
        ));
    }
    require_durable(state).await?;
    let component = component_token(state).await?;
    let mut done = Recovered::default();
    let mut offset = 0u32;
    loop {
        let page = state
            .wechat
            .authorizer_list(c.appid.as_str(), &component.token, offset, PAGE)
            .await
            .map_err(|err| client_error(c.appid.as_str(), &err))?;
        done.listed = page.total_count;
        let count = u32::try_from(page.list.len()).unwrap_or(u32::MAX);
        for merchant in page.list {
            let name = merchant.authorizer_appid.clone();
            let stored = match (AppId::parse(&name), merchant.refresh_token) {
                (Ok(appid), Some(refresh)) => keep(state, &appid, &refresh).await?,
                _ => false,
            };
            if stored {
                done.stored.push(name);
            } else {
                done.skipped.push(name);
            }
        }
        offset = offset.saturating_add(count);
        if count == 0 || u64::from(offset) >= page.total_count {
            return Ok(done);
        }
    }
}

/// Stores one merchant's refresh token; false when the app is managed elsewhere.
async fn keep(
    state: &AppState,
    appid: &AppId,
    refresh: &secrecy::SecretString,
) -> Result<bool, Error> {
    use secrecy::ExposeSecret as _;
    let c = platform(state)?;
    if state.apps.is_config(appid.as_str()) {
        return Ok(false);
    }
    let existing = state
        .timed(StoreOp::Apps, state.store.app_record(appid))
        .await?
        .and_then(|bytes| AppRecord::decode(&bytes).ok());
    if existing
        .as_ref()
        .is_some_and(|r| r.source != AppSource::Component)
    {
        return Ok(false);
    }
    let (kind, func_info) = match &existing {
        Some(r) => (r.kind, r.func_info.clone()),
        None => {
            let component = component_token(state).await?;
            let fut =
                state
                    .wechat
                    .authorizer_info(c.appid.as_str(), &component.token, appid.as_str());
            let info = call(&state.metrics, WechatApi::AuthorizerInfo, fut)
                .await
                .map_err(|err| component_error(c.appid.as_str(), &err))?;
            let kind = match info.kind {
                AuthorizerKind::MiniProgram => AppKind::Miniprogram,
                _ => AppKind::OfficialAccount,
            };
            (kind, info.func_info)
        }
    };
    let sealed = AppRecord::seal_refresh_token(&state.keyring, appid, refresh.expose_secret())
        .ok_or_else(|| anyhow::anyhow!("sealing a refresh token failed"))?;
    let now = state.now_unix();
    let record = AppRecord::merchant(kind, sealed, func_info, existing.as_ref(), now);
    state
        .timed(StoreOp::Apps, state.store.put_app(appid, &record.encode()))
        .await?;
    Ok(true)
}
