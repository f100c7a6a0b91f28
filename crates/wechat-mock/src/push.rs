//! Pushes to the platform's authorization-event URL, as WeChat makes them:
//! `POST {push_url}?timestamp&nonce&encrypt_type=aes&msg_signature&signature` with the envelope
//! `<xml><AppId/><Encrypt/></xml>`, the event encrypted and signed with the platform's Token and
//! EncodingAESKey. The platform must answer `success`. A ticket is pushed every period unless
//! pushes are paused.

use std::sync::Arc;
use std::time::Duration;

use wechat_crypto::url_signature;
use wechat_crypto::xml::{cdata_safe, envelope_xml};

use crate::component::{PushRecord, unix_now};
use crate::state::State;

/// What a push says, before it is encrypted.
#[derive(Debug, Clone)]
pub(crate) enum Event {
    Ticket(String),
    Authorized {
        update: bool,
        merchant: String,
        code: String,
        expires_at: i64,
        pre_auth_code: Option<String>,
    },
    Unauthorized(String),
}

impl Event {
    pub(crate) fn info_type(&self) -> &'static str {
        match self {
            Self::Ticket(_) => "component_verify_ticket",
            Self::Authorized { update: false, .. } => "authorized",
            Self::Authorized { update: true, .. } => "updateauthorized",
            Self::Unauthorized(_) => "unauthorized",
        }
    }

    /// The inner XML, shaped as WeChat's documentation shows it.
    pub(crate) fn xml(&self, platform: &str) -> String {
        let head = format!(
            "<xml><AppId><![CDATA[{}]]></AppId><CreateTime>{}</CreateTime><InfoType><![CDATA[{}]]></InfoType>",
            cdata_safe(platform),
            unix_now(),
            self.info_type()
        );
        let body = match self {
            Self::Ticket(ticket) => format!(
                "<ComponentVerifyTicket><![CDATA[{}]]></ComponentVerifyTicket>",
                cdata_safe(ticket)
            ),
            Self::Authorized {
                merchant,
                code,
                expires_at,
                pre_auth_code,
                ..
            } => format!(
                "<AuthorizerAppid><![CDATA[{}]]></AuthorizerAppid>\
                 <AuthorizationCode><![CDATA[{}]]></AuthorizationCode>\
                 <AuthorizationCodeExpiredTime>{expires_at}</AuthorizationCodeExpiredTime>\
                 <PreAuthCode><![CDATA[{}]]></PreAuthCode>",
                cdata_safe(merchant),
                cdata_safe(code),
                cdata_safe(pre_auth_code.as_deref().unwrap_or("")),
            ),
            Self::Unauthorized(merchant) => format!(
                "<AuthorizerAppid><![CDATA[{}]]></AuthorizerAppid>",
                cdata_safe(merchant)
            ),
        };
        format!("{head}{body}</xml>")
    }
}

fn nonce() -> String {
    let mut bytes = [0u8; 8];
    let _ = getrandom::fill(&mut bytes);
    (u64::from_be_bytes(bytes) % 10_000_000_000).to_string()
}

/// Pushes `event` to the platform's URL and records the outcome. Without a URL nothing is sent
/// (and nothing recorded).
pub(crate) async fn push(state: &State, event: Event) -> Option<PushRecord> {
    let platform = state.component.as_ref()?;
    let url = platform.config.push_url.as_deref()?;
    let timestamp = unix_now().to_string();
    let nonce = nonce();
    let inner = event.xml(&platform.config.appid);
    let record = match platform.crypt.seal(&inner, &timestamp, &nonce) {
        Ok(sealed) => {
            let query = [
                ("timestamp", timestamp.as_str()),
                ("nonce", nonce.as_str()),
                ("encrypt_type", "aes"),
                ("msg_signature", sealed.msg_signature.as_str()),
                (
                    "signature",
                    &url_signature(&platform.config.token, &timestamp, &nonce),
                ),
            ];
            let sent = platform
                .http
                .post(url)
                .query(&query)
                .header("content-type", "text/xml")
                .body(envelope_xml(&platform.config.appid, &sealed.encrypt))
                .send()
                .await;
            match sent {
                Ok(res) => {
                    let status = res.status().as_u16();
                    let body = res.text().await.unwrap_or_default();
                    PushRecord {
                        info_type: event.info_type().to_owned(),
                        status: Some(status),
                        delivered: status == 200 && body.trim() == "success",
                    }
                }
                Err(_) => PushRecord {
                    info_type: event.info_type().to_owned(),
                    status: None,
                    delivered: false,
                },
            }
        }
        Err(_) => PushRecord {
            info_type: event.info_type().to_owned(),
            status: None,
            delivered: false,
        },
    };
    tracing::debug!(info_type = %record.info_type, delivered = record.delivered, "simulated push");
    platform.record(record.clone());
    Some(record)
}

/// A new ticket, pushed (when there is a URL): the ticket and the push's outcome.
pub(crate) async fn push_ticket(state: &State) -> Option<(String, Option<PushRecord>)> {
    let ticket = state.component.as_ref()?.issue_ticket();
    let record = push(state, Event::Ticket(ticket.clone())).await;
    Some((ticket, record))
}

/// Pushes a ticket every period while pushes are not paused, until the task is aborted.
pub(crate) async fn run(state: Arc<State>) {
    let Some(period) = state.component.as_ref().map(|p| p.ticket_period()) else {
        return;
    };
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let paused = state.component.as_ref().is_none_or(|p| p.lock().paused);
        if !paused {
            let _ = push_ticket(&state).await;
        }
    }
}

/// A client for pushes: short timeouts, no redirects.
pub(crate) fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(2))
        .timeout(Duration::from_secs(5))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_default()
}
