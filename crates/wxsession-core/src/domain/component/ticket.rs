//! The platform's `component_verify_ticket`: stored without a TTL with the time it was
//! received, sealed under the key-encryption keys (a ticket and the platform's secret make the
//! platform's token). WeChat pushes one every ten minutes and each lives twelve hours; with no
//! ticket at start-up, one replica asks WeChat to push one.

use secrecy::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Serialize};

use super::platform;
use crate::domain::Error;
use crate::domain::wechat::{call, client_error};
use crate::metrics::labels::{StoreOp, WechatApi};
use crate::state::AppState;

/// The purpose the sealed ticket is bound to.
const PURPOSE: &str = "wxsession/component-verify-ticket/v1";
/// At most one `api_start_push_ticket` per fleet in this many seconds.
const ASK_EVERY_SECS: u64 = 60;

/// The stored record (format 1).
#[derive(Debug, Serialize, Deserialize)]
struct Stored {
    v: u8,
    /// The ticket, sealed.
    ticket: String,
    /// Received, unix seconds.
    received_at: i64,
}

/// The newest ticket and when it was received.
#[derive(Debug)]
pub struct Ticket {
    /// The ticket (a secret).
    pub ticket: SecretString,
    /// Received, unix seconds.
    pub received_at: i64,
}

/// Keeps a pushed ticket. Written whatever the store's durability: WeChat pushes a new one
/// every ten minutes, so a lost ticket costs at most that wait (refresh tokens, which cannot be
/// rebuilt, are refused instead).
pub async fn keep(state: &AppState, ticket: &SecretString) -> Result<(), Error> {
    let c = platform(state)?;
    let sealed = state
        .keyring
        .seal_for(
            PURPOSE,
            ticket.expose_secret().as_bytes(),
            c.appid.as_str(),
            "",
        )
        .ok_or_else(|| anyhow::anyhow!("sealing the verify ticket failed"))?;
    let now = state.now_unix();
    let record = Stored {
        v: 1,
        ticket: sealed,
        received_at: now,
    };
    let bytes = serde_json::to_vec(&record).map_err(anyhow::Error::from)?;
    state
        .timed(
            StoreOp::AccessToken,
            state.store.put_component_ticket(&bytes),
        )
        .await?;
    seen(state, Some(now));
    Ok(())
}

/// What this replica last read of the stored ticket, exported: its receive time (`None`: no
/// readable ticket stored, `component_ticket_missing` 1) and its age now.
fn seen(state: &AppState, received_at: Option<i64>) {
    let m = &state.metrics;
    m.component_ticket_missing
        .set(i64::from(received_at.is_none()));
    m.component_ticket_received_timestamp_seconds
        .set(received_at.unwrap_or(0));
    export_age(state);
}

/// Sets `component_ticket_age_seconds` from the receive time this replica last read and the
/// clock, at every scrape: the age grows while no push arrives, without a store read. 0 with
/// no platform or no ticket.
pub fn export_age(state: &AppState) {
    let received_at = state
        .metrics
        .component_ticket_received_timestamp_seconds
        .get();
    let age = if state.component.is_some() && received_at > 0 {
        state.now_unix().saturating_sub(received_at).max(0)
    } else {
        0
    };
    state.metrics.component_ticket_age_seconds.set(age);
}

/// The stored ticket, if any (and the ticket's gauges updated).
pub async fn current(state: &AppState) -> Result<Option<Ticket>, Error> {
    let c = platform(state)?;
    let Some(bytes) = state
        .timed(StoreOp::AccessToken, state.store.component_ticket())
        .await?
    else {
        seen(state, None);
        return Ok(None);
    };
    // A ticket that cannot be read counts as none (the missing-ticket alert sees it, and a
    // replica asks WeChat for a push, which replaces it).
    let Ok(stored) = serde_json::from_slice::<Stored>(&bytes) else {
        tracing::warn!("the stored verify ticket is malformed");
        seen(state, None);
        return Ok(None);
    };
    let opened = state
        .keyring
        .open_for(PURPOSE, &stored.ticket, c.appid.as_str(), "");
    let Some(plain) = opened else {
        tracing::warn!("no key in store.key_encryption_key_files opens the stored verify ticket");
        seen(state, None);
        return Ok(None);
    };
    let Ok(ticket) = String::from_utf8(plain) else {
        tracing::warn!("the stored verify ticket is malformed");
        seen(state, None);
        return Ok(None);
    };
    seen(state, Some(stored.received_at));
    Ok(Some(Ticket {
        ticket: SecretString::from(ticket),
        received_at: stored.received_at,
    }))
}

/// With no ticket stored, asks WeChat to push one (`api_start_push_ticket`): one replica per
/// minute for the fleet (a store lock). True when asked.
pub async fn ask_if_none(state: &AppState) -> Result<bool, Error> {
    let c = platform(state)?;
    if current(state).await?.is_some() {
        return Ok(false);
    }
    let ours = state
        .timed(
            StoreOp::AccessToken,
            state.store.try_lock("component-ask-ticket", ASK_EVERY_SECS),
        )
        .await?
        .is_some();
    if !ours {
        return Ok(false);
    }
    let fut = state.wechat.start_push_ticket(c.appid.as_str(), &c.secret);
    call(&state.metrics, WechatApi::StartPushTicket, fut)
        .await
        .map_err(|err| client_error(c.appid.as_str(), &err))?;
    tracing::info!("no verify ticket stored: asked WeChat to push one");
    Ok(true)
}

/// How often each replica re-reads the stored ticket (its age gauge, the alert's input) and,
/// with none stored, asks for one.
const WATCH_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// At start-up and then every minute, for as long as the servers hold the state: the stored
/// ticket's age exported, and WeChat asked for pushes when none is stored (one replica per
/// minute for the fleet). Failures are logged (never the ticket); the next round tries again.
pub fn watch(state: std::sync::Weak<AppState>) {
    if state.upgrade().is_none_or(|s| s.component.is_none()) {
        return;
    }
    tokio::spawn(async move {
        loop {
            let Some(state) = state.upgrade() else { return };
            if let Err(err) = ask_if_none(&state).await {
                tracing::warn!(error = %crate::telemetry::error_chain(&err), "reading the verify ticket or asking for one failed");
            }
            drop(state);
            tokio::time::sleep(WATCH_EVERY).await;
        }
    });
}
