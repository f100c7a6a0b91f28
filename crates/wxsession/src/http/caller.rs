//! Who is calling: the client's address ([`client`]: the socket peer on the admin listener,
//! which believes no `X-Forwarded-For`; elsewhere the peer or what trusted proxies say) and,
//! for the audit trail of admin requests, the request id ([`Caller`]). Also the audit line of a
//! refused credential, written by the credential extractors as they refuse it — before anything
//! else of the request, its body included, is read.

use std::future::{Ready, ready};
use std::net::IpAddr;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage as _, HttpRequest, web};

use super::error::ApiError;
use super::middleware::RequestId;
use crate::domain::Error;
use crate::domain::audit::Audit;
use crate::metrics::labels::{AdminAction, AdminOutcome};
use crate::state::AppState;

/// Marks the admin listener (`server.admin_bind`): no proxy of ours stands in front of it, so
/// its clients are its peers, whatever `X-Forwarded-For` says.
#[derive(Debug, Clone, Copy)]
pub struct AdminListener;

/// The client and the request id of an admin request.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The client's address.
    pub client: Option<IpAddr>,
    /// The request's id (`x-request-id`).
    pub request_id: Option<String>,
}

/// The client's address as the rate limits see it (`domain::limits::Limits::client_ip`): the
/// peer, or what trusted proxies say in `X-Forwarded-For` — except on the admin listener,
/// where it is the peer. `None` only without a peer address.
pub fn client(req: &HttpRequest, state: &AppState) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    if req.app_data::<AdminListener>().is_some() {
        return Some(peer);
    }
    let forwarded: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .collect();
    Some(state.limits.client_ip(peer, &forwarded))
}

impl Caller {
    fn of(req: &HttpRequest, state: &AppState) -> Self {
        Self {
            client: client(req, state),
            request_id: req.extensions().get::<RequestId>().map(|id| id.0.clone()),
        }
    }

    /// The audit record of `action` on `appid` by this caller (no target user, no credential
    /// yet).
    pub fn audit<'a>(&'a self, action: AdminAction, appid: &'a str) -> Audit<'a> {
        Audit {
            action,
            credential: None,
            appid,
            openid: None,
            unionid: None,
            client: self.client,
            request_id: self.request_id.as_deref(),
        }
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>();
        ready(
            state
                .map(|state| Self::of(req, state))
                .ok_or_else(|| Error::Unexpected(anyhow::anyhow!("no app state")).into()),
        )
    }
}

/// The `AdminAction` of each method of a resource that serves several.
#[derive(Debug)]
pub struct ByMethod(pub Vec<(actix_web::http::Method, AdminAction)>);

/// Writes the audit line of a refused attempt on an admin route: the route's action (its
/// resource's `AdminAction`), the targets its path names, the caller, and `credential` — the
/// fingerprint of a presented credential, or the reader that overstepped its apps.
pub fn refused(req: &HttpRequest, state: &AppState, credential: Option<&str>) {
    let by_method = req
        .app_data::<ByMethod>()
        .and_then(|m| m.0.iter().find(|(method, _)| method == req.method()))
        .map(|(_, action)| action);
    let Some(action) = by_method.or_else(|| req.app_data::<AdminAction>()) else {
        return;
    };
    let caller = Caller::of(req, state);
    let path = req.match_info();
    let mut audit = caller.audit(*action, path.get("appid").unwrap_or_default());
    audit.openid = path.get("openid");
    audit.unionid = path.get("unionid");
    audit.credential = credential;
    audit.record(&state.metrics, AdminOutcome::Denied);
}
