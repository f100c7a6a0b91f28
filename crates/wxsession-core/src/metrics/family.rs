//! The kinds of metric family the table can hold, and their registration.

use prometheus::core::Collector;
use prometheus::{
    Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec,
    Registry,
};

/// A kind of metric family the table can hold.
pub(super) trait Family: Clone + Collector + Sized + 'static {
    fn make(opts: HistogramOpts, labels: &[&str]) -> prometheus::Result<Self>;
}

impl Family for IntCounter {
    fn make(opts: HistogramOpts, _: &[&str]) -> prometheus::Result<Self> {
        Self::with_opts(opts.common_opts)
    }
}

impl Family for IntCounterVec {
    fn make(opts: HistogramOpts, labels: &[&str]) -> prometheus::Result<Self> {
        Self::new(opts.common_opts, labels)
    }
}

impl Family for IntGauge {
    fn make(opts: HistogramOpts, _: &[&str]) -> prometheus::Result<Self> {
        Self::with_opts(opts.common_opts)
    }
}

impl Family for IntGaugeVec {
    fn make(opts: HistogramOpts, labels: &[&str]) -> prometheus::Result<Self> {
        Self::new(opts.common_opts, labels)
    }
}

impl Family for Histogram {
    fn make(opts: HistogramOpts, _: &[&str]) -> prometheus::Result<Self> {
        Self::with_opts(opts)
    }
}

impl Family for HistogramVec {
    fn make(opts: HistogramOpts, labels: &[&str]) -> prometheus::Result<Self> {
        Self::new(opts, labels)
    }
}

pub(super) fn register<T: Family>(
    registry: &Registry,
    name: &str,
    help: &str,
    labels: &[&str],
    buckets: &[f64],
) -> prometheus::Result<T> {
    let opts = HistogramOpts::new(name, help.trim())
        .namespace("wxsession")
        .buckets(buckets.to_vec());
    let family = T::make(opts, labels)?;
    registry.register(Box::new(family.clone()))?;
    Ok(family)
}
