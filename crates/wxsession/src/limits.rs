//! Rate limits shared by every replica through the store: logins per client IP and decrypt
//! failures per session, in fixed one-minute windows.

use std::net::IpAddr;

use actix_web::HttpRequest;
use ipnet::IpNet;

use crate::error::ApiError;
use crate::state::AppState;
use crate::store::now_unix;
use crate::token::SessionId;

const WINDOW_SECS: u64 = 60;

/// The configured limits; 0 disables one.
#[derive(Debug, Clone, Default)]
pub struct Limits {
    /// Logins per client IP per minute.
    pub login_per_ip: u64,
    /// Failed decrypts per session per minute.
    pub decrypt_failures_per_session: u64,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpNet>,
}

/// The current window's index and the seconds left in it.
fn window() -> (i64, u64) {
    let now = now_unix();
    let secs = WINDOW_SECS as i64;
    (now / secs, (secs - now.rem_euclid(secs)).unsigned_abs())
}

impl Limits {
    /// The client's address: the peer, or — when the peer is a trusted proxy — the rightmost
    /// address in `X-Forwarded-For` that is not a trusted proxy.
    pub fn client_ip(&self, req: &HttpRequest) -> Option<IpAddr> {
        let peer = req.peer_addr()?.ip();
        if !self.is_trusted(peer) {
            return Some(peer);
        }
        let mut client = peer;
        let hops: Vec<IpAddr> = req
            .headers()
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map_while(|hop| hop.trim().parse().ok())
            .collect();
        for hop in hops.into_iter().rev() {
            client = hop;
            if !self.is_trusted(hop) {
                break;
            }
        }
        Some(client)
    }

    fn is_trusted(&self, ip: IpAddr) -> bool {
        self.trusted_proxies.iter().any(|net| net.contains(&ip))
    }
}

/// Counts a login from `ip`; `429` once the minute's budget is spent.
pub async fn login_attempt(state: &AppState, req: &HttpRequest) -> Result<(), ApiError> {
    let limit = state.limits.login_per_ip;
    if limit == 0 {
        return Ok(());
    }
    let Some(ip) = state.limits.client_ip(req) else {
        return Ok(());
    };
    let (index, left) = window();
    let key = format!("ip:{ip}:{index}");
    let count = state
        .store_op("rate_limit", state.store.hit(&key, WINDOW_SECS))
        .await?;
    if count > limit {
        return Err(ApiError::RateLimited { retry_after: left });
    }
    Ok(())
}

fn failure_key(id: &SessionId) -> (String, u64) {
    let (index, left) = window();
    (format!("df:{}:{index}", id.as_str()), left)
}

/// `429` when the session has used up its decrypt failures for this minute.
pub async fn check_decrypt(state: &AppState, id: &SessionId) -> Result<(), ApiError> {
    let limit = state.limits.decrypt_failures_per_session;
    if limit == 0 {
        return Ok(());
    }
    let (key, left) = failure_key(id);
    let count = state
        .store_op("rate_limit", state.store.count(&key))
        .await?;
    if count >= limit {
        return Err(ApiError::RateLimited { retry_after: left });
    }
    Ok(())
}

/// Counts a failed decrypt of the session.
pub async fn decrypt_failed(state: &AppState, id: &SessionId) {
    if state.limits.decrypt_failures_per_session == 0 {
        return;
    }
    let (key, _) = failure_key(id);
    let _ = state
        .store_op("rate_limit", state.store.hit(&key, WINDOW_SECS))
        .await;
}
