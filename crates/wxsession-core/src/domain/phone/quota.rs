//! The phone-number quota, watched: WeChat checks the quota when the user taps the button and,
//! when it is spent, the button fails (`errno` 1400001) and the user sees "该功能使用次数已达
//! 当前小程序上限". To see that coming, one replica per app and period (a store lock, as for
//! the access_token) reads `wxa/charge/usage/get` and stores the reading; every replica exports
//! the stored reading as `wxsession_phone_quota_remaining{appid}` (and its time), so that every
//! scrape of every replica agrees.
//!
//! What is left: the sum over the packages in force (`detailList[].status == 1`) of
//! `all − used`; an answer without `detailList` gives `all − effectiveUse` (`all` is the total
//! of the packages in force, `effectiveUse` what was used of them).

use std::sync::Arc;
use std::time::Duration;

use wechat_client::{PACKAGE_ACTIVE, PAGE_LIMIT, Usage};

use crate::domain::credentials::{self, CallError};
use crate::domain::ids::AppId;
use crate::domain::{Error, wechat};
use crate::metrics::labels::{StoreOp, WechatApi};
use crate::settings::AccessTokenMode;
use crate::state::AppState;

/// The reading format this release writes and reads: `v1|remaining|unix time`.
const VERSION: &str = "v1";
/// How often a replica looks for a fresh reading, at most.
const LOOK_SECS: u64 = 15;
/// The most pages of packages read (20 a page).
const MAX_PAGES: u64 = 50;

/// Starts the fleet's quota watch on this replica (nothing when `phone.quota_poll_secs` is 0).
pub fn spawn(state: Arc<AppState>) {
    let period = state.phone.quota_poll_secs;
    if period == 0 {
        return;
    }
    let look = Duration::from_secs(period.clamp(1, LOOK_SECS));
    tokio::spawn(async move {
        loop {
            for appid in watched(&state) {
                tick(&state, &appid, period).await;
            }
            tokio::time::sleep(look).await;
        }
    });
}

/// The apps whose quota is read: mini-programs with an access_token and a metric label of
/// their own (apps from the config, `metrics.per_app_labels`) — a gauge per app must not grow
/// with the number of runtime apps.
fn watched(state: &AppState) -> Vec<AppId> {
    let others = state.apps.others();
    state
        .apps
        .config_apps()
        .chain(others.values())
        .filter(|app| app.access_token != AccessTokenMode::Off && app.kind.has_session_key())
        .filter(|app| state.metrics.app(app.appid.as_str()) == app.appid.as_str())
        .map(|app| app.appid.clone())
        .collect()
}

/// Reads WeChat if this replica holds the app's lock for this period, then exports the stored
/// reading. Failures are logged; the next period tries again.
async fn tick(state: &AppState, appid: &AppId, period: u64) {
    let lock = format!("phone-quota:{appid}");
    let ours = state
        .timed(StoreOp::Phone, state.store.try_lock(&lock, period))
        .await
        .is_ok_and(|owner| owner.is_some());
    if ours {
        match read(state, appid).await {
            Ok(remaining) => {
                let reading = format!("{VERSION}|{remaining}|{}", state.now_unix());
                let ttl = period.saturating_mul(3).max(60);
                let _ = state
                    .timed(
                        StoreOp::Phone,
                        state.store.put_phone_quota(appid, reading.as_bytes(), ttl),
                    )
                    .await;
            }
            Err(err) => {
                tracing::warn!(%appid, error = %err, "reading the phone-number quota failed");
            }
        }
    }
    let stored = state
        .timed(StoreOp::Phone, state.store.phone_quota(appid))
        .await;
    if let Ok(Some(reading)) = stored
        && let Some((remaining, at)) = parse(&reading)
    {
        let label = [appid.as_str()];
        state
            .metrics
            .phone_quota_remaining
            .with_label_values(&label)
            .set(remaining);
        state
            .metrics
            .phone_quota_read_timestamp_seconds
            .with_label_values(&label)
            .set(at);
    }
}

/// A stored reading: what was left, and when it was read.
fn parse(reading: &[u8]) -> Option<(i64, i64)> {
    let text = std::str::from_utf8(reading).ok()?;
    let mut parts = text.split('|');
    if parts.next()? != VERSION {
        return None;
    }
    let remaining = parts.next()?.parse().ok()?;
    let at = parts.next()?.parse().ok()?;
    Some((remaining, at))
}

/// What is left of the app's packages, from every page WeChat lists.
async fn read(state: &AppState, appid: &AppId) -> Result<i64, Error> {
    let spu = state.phone.quota_spu_id.as_str();
    let mut pages = Vec::new();
    let mut offset = 0;
    for _ in 0..MAX_PAGES {
        let page = page(state, appid, spu, offset).await?;
        let (listed, total) = (page.detail_list.len() as u64, page.total);
        pages.push(page);
        offset += listed;
        if listed == 0 || offset >= total {
            break;
        }
    }
    Ok(remaining(&pages))
}

async fn page(state: &AppState, appid: &AppId, spu: &str, offset: u64) -> Result<Usage, Error> {
    let result = credentials::call(state, appid.as_str(), |token| async move {
        let fut = state.wechat.charge_usage(&token, spu, offset, PAGE_LIMIT);
        wechat::call(&state.metrics, WechatApi::ChargeUsage, fut).await
    })
    .await;
    match result {
        Ok(usage) => Ok(usage),
        Err(CallError::Token(err)) => Err(err),
        Err(CallError::Call(err)) => {
            tracing::warn!(%appid, error = %crate::telemetry::error_chain(&err), "wxa/charge/usage/get failed");
            Err(wechat::client_error(appid.as_str(), &err))
        }
    }
}

/// `Σ (all − used)` over the packages in force, or `all − effectiveUse` when none is listed.
fn remaining(pages: &[Usage]) -> i64 {
    let listed: Vec<_> = pages.iter().flat_map(|p| &p.detail_list).collect();
    let left = if listed.is_empty() {
        pages
            .first()
            .map_or(0, |p| p.all.saturating_sub(p.effective_use))
    } else {
        listed
            .iter()
            .filter(|p| p.status == PACKAGE_ACTIVE)
            .map(|p| p.all.saturating_sub(p.used))
            .fold(0u64, u64::saturating_add)
    };
    i64::try_from(left).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage(json: &str) -> Usage {
        serde_json::from_str(json).expect("usage")
    }

    #[test]
    fn what_is_left_counts_the_packages_in_force() {
        let pages = [usage(
            r#"{"all":"1500","effectiveUse":"700","total":3,"detailList":[
                {"status":1,"all":"1000","used":"700"},
                {"status":1,"all":"500","used":"0"},
                {"status":3,"all":"2000","used":"2000"}]}"#,
        )];
        assert_eq!(remaining(&pages), 800);
        assert_eq!(
            remaining(&[usage(r#"{"all":"1000","effectiveUse":"999"}"#)]),
            1
        );
        assert_eq!(remaining(&[usage(r#"{"all":"5","effectiveUse":"9"}"#)]), 0);
        assert_eq!(remaining(&[]), 0);
        assert_eq!(parse(b"v1|800|1700000000"), Some((800, 1_700_000_000)));
        assert_eq!(parse(b"v2|800|1700000000"), None);
        assert_eq!(parse(b"v1|x|1"), None);
    }
}
