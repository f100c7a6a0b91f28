//! HTTP metrics of one request: the in-flight gauge (an RAII guard, so that no path — error,
//! panic, cancelled future — can leave it drifting), the request count and the latency.

use std::time::Duration;

use prometheus::IntGauge;

use crate::metrics::Metrics;
use crate::metrics::labels::Method;

/// Holds one unit of `http_requests_in_flight` until dropped.
#[derive(Debug)]
pub struct InFlight(IntGauge);

impl InFlight {
    /// Counts a request in.
    pub fn enter(metrics: &Metrics) -> Self {
        let gauge = metrics.http_requests_in_flight.clone();
        gauge.inc();
        Self(gauge)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// Counts a finished request.
pub fn record(metrics: &Metrics, method: Method, route: &str, status: u16, elapsed: Duration) {
    metrics
        .http_requests_total
        .with_label_values(&[method.as_str(), route, &status.to_string()])
        .inc();
    metrics
        .http_request_duration_seconds
        .with_label_values(&[route])
        .observe(elapsed.as_secs_f64());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_in_flight_gauge_cannot_drift() {
        let metrics = Metrics::new();
        {
            let _a = InFlight::enter(&metrics);
            let _b = InFlight::enter(&metrics);
            assert_eq!(metrics.http_requests_in_flight.get(), 2);
        }
        let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _c = InFlight::enter(&metrics);
            panic!("a handler panicked");
        }));
        assert!(unwound.is_err());
        assert_eq!(metrics.http_requests_in_flight.get(), 0);
    }
}
