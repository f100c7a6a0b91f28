//! A push to the platform's event URL: checked in the order that costs least (query, clock,
//! size, envelope, signature and decryption, inner XML, appid), dropped when it is a replay
//! (same `msg_signature` within ten minutes, entered only once the push was processed, so that
//! WeChat's retry of a failed push works), then acted on. Every refusal is `invalid_request`
//! (a 4xx, no state change) and counted; an InfoType the service does not know is acknowledged
//! and counted as ignored.

use wechat_client::{ComponentEvent, ComponentPush};

use super::{authorize, count_event, platform, ticket};
use crate::domain::Error;
use crate::metrics::labels::StoreOp;
use crate::state::AppState;

/// How far a push's `timestamp` may be from the replica's clock, and how long a processed
/// push's `msg_signature` is remembered.
pub const WINDOW_SECS: i64 = 600;
/// The largest push body.
pub const MAX_BODY: usize = 64 * 1024;

/// The query string of a push.
#[derive(Debug, Default, serde::Deserialize)]
pub struct PushQuery {
    /// Unix seconds, as WeChat signed it.
    pub timestamp: Option<String>,
    /// As WeChat signed it.
    pub nonce: Option<String>,
    /// `aes`.
    pub encrypt_type: Option<String>,
    /// SHA-1 over the Token, timestamp, nonce and `Encrypt`.
    pub msg_signature: Option<String>,
    /// The plain-mode signature (not used: the pushes are encrypted).
    pub signature: Option<String>,
}

/// What was done with a push.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handled {
    /// Acted on.
    Processed,
    /// A replay of a processed push: nothing done.
    Replay,
    /// An InfoType the service does not act on.
    Ignored,
}

fn refuse(state: &AppState, info_type: &str, result: &str, why: &str) -> Error {
    count_event(state, info_type, result);
    tracing::info!(result, "a push to the platform's event URL was refused");
    Error::InvalidInput(why.into())
}

/// Receives one push.
pub async fn receive(state: &AppState, q: &PushQuery, body: &[u8]) -> Result<Handled, Error> {
    let c = platform(state)?;
    let unknown = "unknown";
    let (Some(timestamp), Some(nonce), Some(signature)) = (
        q.timestamp.as_deref(),
        q.nonce.as_deref(),
        q.msg_signature.as_deref(),
    ) else {
        return Err(refuse(
            state,
            unknown,
            "bad_request",
            "timestamp, nonce and msg_signature are required",
        ));
    };
    if q.encrypt_type.as_deref() != Some("aes") {
        return Err(refuse(
            state,
            unknown,
            "bad_request",
            "encrypt_type must be aes",
        ));
    }
    let shaped = signature.len() == 40 && signature.bytes().all(|b| b.is_ascii_hexdigit());
    if !shaped || nonce.len() > 64 {
        return Err(refuse(
            state,
            unknown,
            "bad_signature",
            "the push's signature does not verify",
        ));
    }
    let Ok(sent) = timestamp.parse::<i64>() else {
        return Err(refuse(
            state,
            unknown,
            "bad_request",
            "timestamp must be unix seconds",
        ));
    };
    if (state.now_unix() - sent).abs() > WINDOW_SECS {
        return Err(refuse(
            state,
            unknown,
            "stale",
            "the push's timestamp is more than 10 minutes from this server's clock",
        ));
    }
    if body.len() > MAX_BODY {
        return Err(refuse(
            state,
            unknown,
            "bad_xml",
            "the push is larger than 64 KiB",
        ));
    }
    let Ok(envelope) = wechat_crypto::xml::parse_envelope(body) else {
        return Err(refuse(
            state,
            unknown,
            "bad_xml",
            "the push is not a WeChat envelope",
        ));
    };
    let plain = match c.crypt.open(signature, timestamp, nonce, &envelope.encrypt) {
        Ok(plain) => plain,
        Err(wechat_crypto::Error::MessageRejected(wechat_crypto::FailureReason::AppId)) => {
            return Err(refuse(
                state,
                unknown,
                "wrong_appid",
                "the push is not for this platform",
            ));
        }
        Err(_) => {
            return Err(refuse(
                state,
                unknown,
                "bad_signature",
                "the push's signature or encryption does not verify",
            ));
        }
    };
    let Ok(push) = ComponentPush::parse(&plain.message) else {
        return Err(refuse(
            state,
            unknown,
            "bad_xml",
            "the push's message is not WeChat's XML",
        ));
    };
    if push.app_id != c.appid.as_str() {
        return Err(refuse(
            state,
            push.info_type(),
            "wrong_appid",
            "the push is not for this platform",
        ));
    }
    let info_type = push.info_type().to_owned();
    // Claimed before acting (two deliveries at once act once), released if acting fails.
    let seen = format!("cpush:{}", signature.to_ascii_lowercase());
    let Some(owner) = state
        .timed(
            StoreOp::AccessToken,
            state.store.try_lock(&seen, WINDOW_SECS.unsigned_abs()),
        )
        .await?
    else {
        count_event(state, &info_type, "replay");
        return Ok(Handled::Replay);
    };
    match act(state, push.event).await {
        Ok(handled) => {
            let result = if handled == Handled::Ignored {
                "ignored"
            } else {
                "ok"
            };
            count_event(state, &info_type, result);
            Ok(handled)
        }
        Err(err) => {
            let _ = state
                .timed(StoreOp::AccessToken, state.store.unlock(&seen, &owner))
                .await;
            count_event(state, &info_type, "failed");
            tracing::warn!(info_type = super::info_label(&info_type), error = %err, "acting on a push failed: WeChat will retry it");
            Err(err)
        }
    }
}

async fn act(state: &AppState, event: ComponentEvent) -> Result<Handled, Error> {
    match event {
        ComponentEvent::VerifyTicket { ticket } => {
            ticket::keep(state, &ticket).await?;
            Ok(Handled::Processed)
        }
        ComponentEvent::Authorized(auth) | ComponentEvent::UpdateAuthorized(auth) => {
            let appid = authorize::exchange(state, &auth.authorization_code).await?;
            if appid.as_str() != auth.authorizer_appid {
                tracing::warn!(appid = %appid, "an authorization code answered another appid than its push named");
            }
            Ok(Handled::Processed)
        }
        ComponentEvent::Unauthorized { authorizer_appid } => {
            super::status::revoke(state, &authorizer_appid).await?;
            Ok(Handled::Processed)
        }
        _ => Ok(Handled::Ignored),
    }
}
