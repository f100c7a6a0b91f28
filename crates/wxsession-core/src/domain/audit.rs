//! The audit trail of admin actions: one structured line (`kind = "audit"`) and one count per
//! action, whatever its outcome — a refused credential included. Credentials appear as their
//! fingerprint, never themselves.

use std::net::IpAddr;

use super::Error;
use super::ids::{AppId, OpenId, UnionId};
use crate::metrics::Metrics;
use crate::metrics::labels::{AdminAction, AdminOutcome};

/// One admin action and who asked for it.
#[derive(Debug)]
pub struct Audit<'a> {
    /// What was asked.
    pub action: AdminAction,
    /// Who asked: the accepted credential (`admin:<fingerprint>`, `reader:<name>`), or the
    /// fingerprint of a refused one (`refused:<fingerprint>`); never a token.
    pub credential: Option<&'a str>,
    /// The target app.
    pub appid: &'a str,
    /// The target user, when the action has one.
    pub openid: Option<&'a str>,
    /// The target person across apps, for the unionid actions.
    pub unionid: Option<&'a str>,
    /// The client's address.
    pub client: Option<IpAddr>,
    /// The request's id, to find its access-log line and error body.
    pub request_id: Option<&'a str>,
}

impl Audit<'_> {
    /// Writes the audit line and counts the action.
    pub fn record(&self, metrics: &Metrics, outcome: AdminOutcome) {
        metrics
            .admin_actions_total
            .with_label_values(&[self.action.as_str(), outcome.as_str()])
            .inc();
        // Ids that do not parse are not logged: they could be anything.
        let appid = AppId::parse(self.appid).ok();
        let openid = self.openid.and_then(|id| OpenId::parse(id).ok());
        let unionid = self.unionid.and_then(|id| UnionId::parse(id).ok());
        tracing::info!(
            kind = "audit",
            action = self.action.as_str(),
            outcome = outcome.as_str(),
            appid = appid.as_ref().map(AppId::as_str),
            openid = openid.as_ref().map(OpenId::as_str),
            unionid = unionid.as_ref().map(UnionId::as_str),
            credential = self.credential,
            client = self.client.map(|ip| ip.to_string()),
            request_id = self.request_id,
            "admin action"
        );
    }
}

/// The outcome of an action that passed authorization.
pub fn outcome_of<T>(result: &Result<T, Error>) -> AdminOutcome {
    match result {
        Ok(_) => AdminOutcome::Ok,
        Err(Error::InvalidInput(_)) => AdminOutcome::Invalid,
        Err(_) => AdminOutcome::Failed,
    }
}
