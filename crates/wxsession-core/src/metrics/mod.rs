//! Prometheus metrics on an owned registry, declared in one table: each family once, its doc
//! comment its HELP text, its label values enums in [`labels`] (crates.io's `metrics!` shape).

mod apps;
mod family;
pub mod labels;

use prometheus::{
    Encoder as _, Histogram, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec,
    Registry, TextEncoder,
};

use self::family::register;

use self::labels::{
    AdminAction, AdminOutcome, CacheResult, DecryptResult, EvictionPolicy, ExchangeResult,
    FailureReason, LookupResult, StoreOp, WechatApi, WechatResult,
};

const FAST_BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];
const SLOW_BUCKETS: &[f64] = &[0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// The table: `/// HELP` then `name: Kind [labels] (buckets)`.
macro_rules! metrics {
    ($($(#[doc = $help:literal])+ $name:ident: $kind:ident [$($label:literal),*] ($buckets:expr),)+) => {
        /// Every metric of the service, prefixed `wxsession_`.
        #[derive(Debug, Clone)]
        pub struct Metrics {
            registry: Registry,
            /// The appids with a label value of their own (`init_app`); every other app is
            /// counted as `other`.
            labelled: std::sync::Arc<std::sync::RwLock<std::collections::HashSet<String>>>,
            $($(#[doc = $help])+ pub $name: $kind,)+
        }

        impl Metrics {
            fn build(registry: Registry) -> prometheus::Result<Self> {
                Ok(Self {
                    $($name: register(
                        &registry,
                        stringify!($name),
                        concat!($($help),+),
                        &[$($label),*],
                        $buckets,
                    )?,)+
                    registry,
                    labelled: std::sync::Arc::default(),
                })
            }
        }
    };
}

metrics! {
    /// Code exchanges with WeChat, by app and result.
    code_exchanges_total: IntCounterVec ["appid", "result"] (&[]),
    /// Time spent exchanging a code with WeChat, retries included.
    code_exchange_duration_seconds: Histogram [] (SLOW_BUCKETS),
    /// Decrypt attempts, by app and result (ok, failed, bad_input).
    decrypt_total: IntCounterVec ["appid", "result"] (&[]),
    /// Decrypt failures, by app and reason (bad_input, padding, json, watermark, signature).
    decrypt_failures_total: IntCounterVec ["appid", "reason"] (&[]),
    /// Sessions created, by app.
    sessions_created_total: IntCounterVec ["appid"] (&[]),
    /// Session lookups by result (hit, miss).
    session_lookups_total: IntCounterVec ["result"] (&[]),
    /// Sessions revoked by logout or by the admin API.
    sessions_revoked_total: IntCounter [] (&[]),
    /// Store operations that failed or timed out, by operation.
    store_errors_total: IntCounterVec ["op"] (&[]),
    /// Store writes refused for lack of memory (Redis `OOM` at `maxmemory`), by operation.
    store_full_total: IntCounterVec ["op"] (&[]),
    /// Redis' eviction policy: 1 for the one in force (anything but noeviction logs users out
    /// as memory fills).
    store_eviction_policy: IntGaugeVec ["policy"] (&[]),
    /// Reads that found what the layout before entries wrote (a hash per user or per person),
    /// by kind: once at 0 for `session.max_lifetime_secs`, nothing holds that layout any more
    /// and its reader can go.
    store_old_layout_reads_total: IntCounterVec ["kind"] (&[]),
    /// Store operation latency, by operation.
    store_duration_seconds: HistogramVec ["op"] (FAST_BUCKETS),
    /// HTTP requests by method, route pattern and status.
    http_requests_total: IntCounterVec ["method", "route", "status"] (&[]),
    /// HTTP request latency by route pattern.
    http_request_duration_seconds: HistogramVec ["route"] (FAST_BUCKETS),
    /// HTTP requests being served right now.
    http_requests_in_flight: IntGauge [] (&[]),
    /// WeChat calls refused because the app's concurrent calls were at their bound, by app.
    wechat_calls_refused_total: IntCounterVec ["appid"] (&[]),
    /// Admin actions, by action and outcome (the audit log has the details).
    admin_actions_total: IntCounterVec ["action", "outcome"] (&[]),
    /// WeChat server API calls, by API and result (retries included in one call).
    wechat_requests_total: IntCounterVec ["api", "result"] (&[]),
    /// WeChat server API call latency, by API, retries included.
    wechat_request_duration_seconds: HistogramVec ["api"] (SLOW_BUCKETS),
    /// Access-token fetches from WeChat, by app and result (one per fleet and refresh).
    access_token_fetches_total: IntCounterVec ["appid", "result"] (&[]),
    /// Access tokens dropped because WeChat refused them, by app.
    access_token_invalidations_total: IntCounterVec ["appid"] (&[]),
    /// Phone-number lookups, by app and result.
    phone_lookups_total: IntCounterVec ["appid", "result"] (&[]),
    /// Asks for a remembered phone number, by app and result (known: a paid prompt saved).
    phone_known_total: IntCounterVec ["appid", "result"] (&[]),
    /// Phone-number verifications left in the app's active packages (all − used), as last read
    /// from WeChat by any replica.
    phone_quota_remaining: IntGaugeVec ["appid"] (&[]),
    /// When that reading was taken, unix seconds.
    phone_quota_read_timestamp_seconds: IntGaugeVec ["appid"] (&[]),
    /// Browser logins (website, official account), by app and result.
    web_logins_total: IntCounterVec ["appid", "result"] (&[]),
    /// Log lines dropped because the log writer's queue was full (stdout too slow).
    log_lines_dropped_total: IntCounter [] (&[]),
    /// Apps served by this replica, by source (config, runtime, component) and status.
    apps: IntGaugeVec ["source", "status"] (&[]),
    /// Seconds since the third-party platform's newest component_verify_ticket was received
    /// (as this replica last read it; WeChat pushes one every ten minutes; 0 with none).
    component_ticket_age_seconds: IntGauge [] (&[]),
    /// When that ticket was received, unix seconds (0 with none stored).
    component_ticket_received_timestamp_seconds: IntGauge [] (&[]),
    /// 1 while the platform runs and no readable component_verify_ticket is stored (as this
    /// replica last read it): the platform's token cannot be fetched.
    component_ticket_missing: IntGauge [] (&[]),
    /// Pushes to the platform's event URL, by InfoType (`other` for any the service does not
    /// know) and result.
    component_events_total: IntCounterVec ["info_type", "result"] (&[]),
    /// Fetches of the platform's (`component`) and merchants' (`authorizer`) tokens, by result.
    component_token_fetches_total: IntCounterVec ["kind", "result"] (&[]),
    /// Merchants' refresh tokens WeChat refused (`61023`): the merchant must authorize again.
    component_refresh_token_failures_total: IntCounter [] (&[]),
    /// App records this replica cannot serve: no key-encryption key opens their secret.
    apps_unreadable_total: IntCounter [] (&[]),
    /// 1 while this replica's change feed from Redis (client tracking) is live and validations
    /// may be answered from memory; 0 while they all go to Redis (feed lost, cache off, Cluster).
    session_cache_feed_up: IntGauge [] (&[]),
    /// Validations by how the local cache answered (hit, miss, bypass).
    session_cache_lookups_total: IntCounterVec ["result"] (&[]),
    /// Sessions held in the local cache.
    session_cache_entries: IntGauge [] (&[]),
    /// Sessions dropped from the local cache to stay within `session.local_cache_entries`.
    session_cache_evictions_total: IntCounter [] (&[]),
    /// Times the change feed was lost (connection closed, heartbeat unanswered).
    session_cache_feed_losses_total: IntCounter [] (&[]),
}

/// The label value of every app without one of its own.
pub const OTHER_APP: &str = "other";
/// Who reads a rendering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Anyone who can reach the public listener: families that could serve as an oracle
    /// (why a decrypt failed) are left out.
    Public,
    /// The operator's own listener (`server.metrics_bind`): everything.
    Operator,
}

/// Families never published on the public listener.
const OPERATOR_ONLY: &[&str] = &["wxsession_decrypt_failures_total"];

impl Metrics {
    /// Builds the registry. Only called at start-up, with the fixed table above.
    #[allow(clippy::expect_used)]
    pub fn new() -> Self {
        let registry = Registry::new();
        #[cfg(target_os = "linux")]
        registry
            .register(Box::new(
                prometheus::process_collector::ProcessCollector::for_self(),
            ))
            .expect("process collector registered once");
        let metrics = Self::build(registry).expect("the metric table is valid");
        metrics.init();
        metrics
    }

    /// Creates the series that do not depend on an app at zero.
    fn init(&self) {
        for op in StoreOp::ALL {
            self.store_errors_total.with_label_values(&[op.as_str()]);
            self.store_full_total.with_label_values(&[op.as_str()]);
        }
        for policy in EvictionPolicy::ALL {
            self.store_eviction_policy
                .with_label_values(&[policy.as_str()]);
        }
        for kind in ["user", "person"] {
            self.store_old_layout_reads_total.with_label_values(&[kind]);
        }
        for result in LookupResult::ALL {
            self.session_lookups_total
                .with_label_values(&[result.as_str()]);
        }
        for result in CacheResult::ALL {
            self.session_cache_lookups_total
                .with_label_values(&[result.as_str()]);
        }
        for api in WechatApi::ALL {
            for result in WechatResult::ALL {
                self.wechat_requests_total
                    .with_label_values(&[api.as_str(), result.as_str()]);
            }
        }
        for action in AdminAction::ALL {
            for outcome in AdminOutcome::ALL {
                self.admin_actions_total
                    .with_label_values(&[action.as_str(), outcome.as_str()]);
            }
        }
        for (kind, result) in [
            ("component", "ok"),
            ("authorizer", "ok"),
            ("authorizer", "failed"),
        ] {
            self.component_token_fetches_total
                .with_label_values(&[kind, result]);
        }
        self.component_events_total
            .with_label_values(&["component_verify_ticket", "ok"]);
    }

    /// Counts a token lookup.
    pub fn lookup(&self, result: LookupResult) {
        self.session_lookups_total
            .with_label_values(&[result.as_str()])
            .inc();
    }

    /// Counts a code exchange.
    pub fn exchange(&self, appid: &str, result: ExchangeResult) {
        self.code_exchanges_total
            .with_label_values(&[self.app(appid), result.as_str()])
            .inc();
    }

    /// Counts a WeChat call.
    pub fn wechat(&self, api: WechatApi, result: WechatResult, elapsed: std::time::Duration) {
        self.wechat_requests_total
            .with_label_values(&[api.as_str(), result.as_str()])
            .inc();
        self.wechat_request_duration_seconds
            .with_label_values(&[api.as_str()])
            .observe(elapsed.as_secs_f64());
    }

    /// Counts a decrypt, and its failure reason when it failed.
    pub fn decrypt(&self, appid: &str, result: DecryptResult, reason: Option<FailureReason>) {
        let appid = self.app(appid);
        self.decrypt_total
            .with_label_values(&[appid, result.as_str()])
            .inc();
        if let Some(reason) = reason {
            self.decrypt_failures_total
                .with_label_values(&[appid, reason.as_str()])
                .inc();
        }
    }

    /// The text exposition format 0.0.4, for `audience`.
    pub fn render(&self, audience: Audience) -> String {
        // The log writer counts its drops itself; the counter catches up at each scrape.
        let dropped = crate::telemetry::dropped_lines();
        let seen = self.log_lines_dropped_total.get();
        if dropped > seen {
            self.log_lines_dropped_total.inc_by(dropped - seen);
        }
        let mut families = self.registry.gather();
        if audience == Audience::Public {
            families.retain(|f| !OPERATOR_ONLY.contains(&f.name()));
        }
        let mut buf = Vec::new();
        let encoder = TextEncoder::new();
        if encoder.encode(&families, &mut buf).is_err() {
            return String::new();
        }
        String::from_utf8(buf).unwrap_or_default()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests;
