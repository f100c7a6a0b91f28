//! Redis' eviction policy, watched: every key has a TTL, so any `volatile-*` or `allkeys-*`
//! policy would silently log users out as Redis fills. Only `noeviction` (writes refused at
//! `maxmemory`, answered `503 store_full`, existing sessions working) is safe. Checked at
//! start-up and by every `/readyz`; exported as a metric, warned about in the log.

use super::Error;
use crate::metrics::labels::{EvictionPolicy, StoreOp};
use crate::state::AppState;

/// Reads the policy, sets `wxsession_store_eviction_policy`, and warns when it is not
/// `noeviction` (once per change). `None` for a store without one (memory).
pub async fn check(state: &AppState) -> Result<Option<String>, Error> {
    let policy = state
        .timed(StoreOp::Ping, state.store.eviction_policy())
        .await?;
    let Some(name) = policy.as_deref() else {
        return Ok(None);
    };
    let label = EvictionPolicy::of(name);
    for other in EvictionPolicy::ALL {
        state
            .metrics
            .store_eviction_policy
            .with_label_values(&[other.as_str()])
            .set(i64::from(*other == label));
    }
    let mut last = state
        .eviction_policy
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    if last.as_deref() != Some(name) {
        if label != EvictionPolicy::NoEviction {
            tracing::warn!(
                policy = name,
                "Redis evicts keys when full (maxmemory-policy): sessions would be dropped silently; set maxmemory-policy noeviction"
            );
        }
        *last = Some(name.to_owned());
    }
    Ok(policy)
}
