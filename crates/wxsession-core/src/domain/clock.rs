//! The clock: every "now" the service reasons with (session deadlines, rate-limit windows, the
//! unionid index, expiry in the memory store) comes from one [`Clock`], built once in
//! `startup.rs` and held by the state and the store. Production runs on [`SystemClock`]; the
//! tests hand `startup::build_state` a clock of their own through the same seam, so that no
//! setting of a deployment can move time.

/// Where the time comes from.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Milliseconds since the epoch.
    fn now_millis(&self) -> i64;

    /// Seconds since the epoch, the unit sessions are stamped with.
    fn now_unix(&self) -> i64 {
        self.now_millis().div_euclid(1000)
    }
}

/// The operating system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_millis(&self) -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
    }
}

/// The system clock, shared.
pub fn system() -> std::sync::Arc<dyn Clock> {
    std::sync::Arc::new(SystemClock)
}

/// `secs` as milliseconds, saturating.
pub fn millis(secs: u64) -> i64 {
    i64::try_from(secs).unwrap_or(i64::MAX).saturating_mul(1000)
}
