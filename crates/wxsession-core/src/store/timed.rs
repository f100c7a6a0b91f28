//! Every store operation runs through [`Timed`]: a deadline, its latency and failures counted
//! by operation, the cause logged. It returns the [`StoreError`]; what that means for a request
//! is the caller's business.

use std::future::Future;
use std::time::{Duration, Instant};

use super::StoreError;
use crate::metrics::Metrics;
use crate::metrics::labels::StoreOp;

/// The deadline and the metrics of store operations.
#[derive(Debug, Clone)]
pub struct Timed {
    timeout: Duration,
    metrics: Metrics,
}

impl Timed {
    /// Operations get `timeout` each and are counted in `metrics`.
    pub fn new(timeout: Duration, metrics: Metrics) -> Self {
        Self { timeout, metrics }
    }

    /// Runs one operation with its deadline, timing it and counting failures.
    pub async fn run<T>(
        &self,
        op: StoreOp,
        fut: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        let started = Instant::now();
        let result = tokio::time::timeout(self.timeout, fut)
            .await
            .unwrap_or(Err(StoreError::Timeout));
        let label = [op.as_str()];
        self.metrics
            .store_duration_seconds
            .with_label_values(&label)
            .observe(started.elapsed().as_secs_f64());
        match &result {
            Err(StoreError::Full) => {
                self.metrics
                    .store_full_total
                    .with_label_values(&label)
                    .inc();
                tracing::warn!(
                    op = op.as_str(),
                    "Redis refused a write: maxmemory reached (existing sessions keep working)"
                );
            }
            Err(err) => {
                self.metrics
                    .store_errors_total
                    .with_label_values(&label)
                    .inc();
                tracing::warn!(
                    op = op.as_str(),
                    error = %crate::telemetry::error_chain(err),
                    "store operation failed"
                );
            }
            Ok(_) => {}
        }
        result
    }
}
