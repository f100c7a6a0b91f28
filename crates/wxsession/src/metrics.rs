//! Prometheus metrics on an owned registry. Each field's doc comment is its HELP text.

use prometheus::{
    Encoder as _, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    Opts, Registry, TextEncoder,
};

/// Every metric of the service, prefixed `wxsession_`.
#[derive(Debug, Clone)]
pub struct Metrics {
    registry: Registry,
    /// Code exchanges with WeChat, by app and result.
    pub code_exchanges_total: IntCounterVec,
    /// Time spent exchanging a code with WeChat, retries included.
    pub code_exchange_duration_seconds: Histogram,
    /// Decrypt attempts, by app and result (ok, failed, bad_input).
    pub decrypt_total: IntCounterVec,
    /// Decrypt failures, by app and reason (bad_input, padding, json, watermark, signature).
    pub decrypt_failures_total: IntCounterVec,
    /// Sessions created, by app.
    pub sessions_created_total: IntCounterVec,
    /// Session lookups by result (hit, miss).
    pub session_lookups_total: IntCounterVec,
    /// Sessions revoked by logout or by the admin API.
    pub sessions_revoked_total: IntCounter,
    /// Store operations that failed or timed out, by operation.
    pub store_errors_total: IntCounterVec,
    /// Store operation latency, by operation.
    pub store_duration_seconds: HistogramVec,
    /// HTTP requests by method, route pattern and status.
    pub http_requests_total: IntCounterVec,
    /// HTTP request latency by route pattern.
    pub http_request_duration_seconds: HistogramVec,
    /// HTTP requests being served right now.
    pub http_requests_in_flight: IntGauge,
    /// WeChat calls refused because the app's concurrent calls were at their bound, by app.
    pub wechat_calls_refused_total: IntCounterVec,
    /// Admin and credential actions, by action and outcome (the audit log has the details).
    pub admin_actions_total: IntCounterVec,
}

/// Who reads a rendering of the metrics.
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

/// The standard HTTP methods; any other method is counted as `other`.
pub fn method_label(method: &actix_web::http::Method) -> &'static str {
    use actix_web::http::Method;
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        Method::PATCH => "PATCH",
        Method::TRACE => "TRACE",
        Method::CONNECT => "CONNECT",
        _ => "other",
    }
}

/// Every store operation label.
pub const STORE_OPS: &[&str] = &[
    "ping",
    "claim_code",
    "finish_code",
    "release_code",
    "create_session",
    "touch_session",
    "delete_session",
    "user_keys",
    "revoke_user",
    "rate_limit",
];

const FAST_BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];
const SLOW_BUCKETS: &[f64] = &[0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

fn counter(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    let metric = IntCounterVec::new(Opts::new(name, help).namespace("wxsession"), labels)
        .expect("valid metric definition");
    registry
        .register(Box::new(metric.clone()))
        .expect("metric registered once");
    metric
}

fn histogram(
    registry: &Registry,
    name: &str,
    help: &str,
    labels: &[&str],
    buckets: &[f64],
) -> HistogramVec {
    let opts = HistogramOpts::new(name, help)
        .namespace("wxsession")
        .buckets(buckets.to_vec());
    let metric = HistogramVec::new(opts, labels).expect("valid metric definition");
    registry
        .register(Box::new(metric.clone()))
        .expect("metric registered once");
    metric
}

impl Metrics {
    /// Builds the registry. Only called at start-up, with fixed definitions.
    #[allow(clippy::expect_used)]
    pub fn new() -> Self {
        let registry = Registry::new();
        let sessions_revoked_total = IntCounter::with_opts(
            Opts::new(
                "sessions_revoked_total",
                "Sessions revoked by logout or by the admin API.",
            )
            .namespace("wxsession"),
        )
        .expect("valid metric definition");
        registry
            .register(Box::new(sessions_revoked_total.clone()))
            .expect("metric registered once");
        let http_requests_in_flight = IntGauge::with_opts(
            Opts::new(
                "http_requests_in_flight",
                "HTTP requests being served right now.",
            )
            .namespace("wxsession"),
        )
        .expect("valid metric definition");
        registry
            .register(Box::new(http_requests_in_flight.clone()))
            .expect("metric registered once");
        #[cfg(target_os = "linux")]
        registry
            .register(Box::new(
                prometheus::process_collector::ProcessCollector::for_self(),
            ))
            .expect("process collector registered once");
        let metrics = Self {
            code_exchanges_total: counter(
                &registry,
                "code_exchanges_total",
                "Code exchanges with WeChat, by app and result.",
                &["appid", "result"],
            ),
            code_exchange_duration_seconds: {
                let opts = HistogramOpts::new(
                    "code_exchange_duration_seconds",
                    "Time spent exchanging a code with WeChat, retries included.",
                )
                .namespace("wxsession")
                .buckets(SLOW_BUCKETS.to_vec());
                let metric = Histogram::with_opts(opts).expect("valid metric definition");
                registry
                    .register(Box::new(metric.clone()))
                    .expect("metric registered once");
                metric
            },
            decrypt_total: counter(
                &registry,
                "decrypt_total",
                "Decrypt attempts, by app and result.",
                &["appid", "result"],
            ),
            decrypt_failures_total: counter(
                &registry,
                "decrypt_failures_total",
                "Decrypt failures, by app and reason.",
                &["appid", "reason"],
            ),
            sessions_created_total: counter(
                &registry,
                "sessions_created_total",
                "Sessions created, by app.",
                &["appid"],
            ),
            session_lookups_total: counter(
                &registry,
                "session_lookups_total",
                "Session lookups by result (hit, miss).",
                &["result"],
            ),
            store_errors_total: counter(
                &registry,
                "store_errors_total",
                "Store operations that failed or timed out, by operation.",
                &["op"],
            ),
            store_duration_seconds: histogram(
                &registry,
                "store_duration_seconds",
                "Store operation latency, by operation.",
                &["op"],
                FAST_BUCKETS,
            ),
            http_requests_total: counter(
                &registry,
                "http_requests_total",
                "HTTP requests by method, route pattern and status.",
                &["method", "route", "status"],
            ),
            http_request_duration_seconds: histogram(
                &registry,
                "http_request_duration_seconds",
                "HTTP request latency by route pattern.",
                &["route"],
                FAST_BUCKETS,
            ),
            wechat_calls_refused_total: counter(
                &registry,
                "wechat_calls_refused_total",
                "WeChat calls refused because the app's concurrent calls were at their bound, by app.",
                &["appid"],
            ),
            admin_actions_total: counter(
                &registry,
                "admin_actions_total",
                "Admin and credential actions, by action and outcome (the audit log has the details).",
                &["action", "outcome"],
            ),
            sessions_revoked_total,
            http_requests_in_flight,
            registry,
        };
        metrics.init_store();
        metrics.init_admin();
        metrics
    }

    /// Creates the series of an app and of every store operation at zero, so that dashboards
    /// and alert rules see them before the first event.
    pub fn init_app(&self, appid: &str) {
        for result in [
            "ok",
            "invalid_code",
            "code_used",
            "rate_limited",
            "user_blocked",
            "wechat_error",
            "timeout",
            "unavailable",
        ] {
            self.code_exchanges_total
                .with_label_values(&[appid, result]);
        }
        for result in ["ok", "failed", "bad_input"] {
            self.decrypt_total.with_label_values(&[appid, result]);
        }
        for reason in ["bad_input", "padding", "json", "watermark", "signature"] {
            self.decrypt_failures_total
                .with_label_values(&[appid, reason]);
        }
        self.sessions_created_total.with_label_values(&[appid]);
        self.wechat_calls_refused_total.with_label_values(&[appid]);
    }

    /// Creates the admin action series at zero.
    fn init_admin(&self) {
        for outcome in ["ok", "denied", "invalid", "failed"] {
            self.admin_actions_total
                .with_label_values(&["revoke_user_sessions", outcome]);
        }
    }

    /// Creates the per-operation store series at zero.
    fn init_store(&self) {
        for op in STORE_OPS {
            self.store_errors_total.with_label_values(&[op]);
        }
        for result in ["hit", "miss"] {
            self.session_lookups_total.with_label_values(&[result]);
        }
    }

    /// The text exposition format 0.0.4, for `audience`.
    pub fn render(&self, audience: Audience) -> String {
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
