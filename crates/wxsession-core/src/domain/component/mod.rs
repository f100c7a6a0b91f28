//! The third-party platform (component) mode: merchants authorize the vendor's platform, and
//! the service logs their mini-programs' users in with the platform's credentials.
//!
//! - [`events`]: WeChat's pushes to `POST /v1/component/events` (verified, decrypted, replays
//!   dropped), the verify ticket kept in [`ticket`];
//! - [`tokens`]: the platform's token and one token per merchant, with §9's guarantees;
//! - [`authorize`]: a merchant's authorization exchanged (from the push or the browser's
//!   return) into an app of source `component`, and its revocation;
//! - [`portal`]: the authorization page's address for the vendor's site, and the browser's return;
//! - [`status`]: a merchant's app revoked (`unauthorized`) or stopped by a refused refresh
//!   token (`reauthorization_required`).

pub mod authorize;
pub mod events;
pub mod portal;
pub mod recover;
mod rotated;
pub mod status;
pub mod ticket;
pub mod tokens;

use super::Error;
use crate::settings::Component;
use crate::state::AppState;

/// The platform, or `invalid_request` when the service runs none (the routes exist either
/// way, as the route table says).
pub fn platform(state: &AppState) -> Result<&Component, Error> {
    state.component.as_ref().ok_or_else(|| {
        Error::InvalidInput("this service runs no third-party platform ([component])".into())
    })
}

/// The `info_type` label of a push: the known ones, `other` for any other.
fn info_label(info_type: &str) -> &'static str {
    match info_type {
        "component_verify_ticket" => "component_verify_ticket",
        "authorized" => "authorized",
        "updateauthorized" => "updateauthorized",
        "unauthorized" => "unauthorized",
        _ => "other",
    }
}

/// Counts one push.
fn count_event(state: &AppState, info_type: &str, result: &str) {
    state
        .metrics
        .component_events_total
        .with_label_values(&[info_label(info_type), result])
        .inc();
}
