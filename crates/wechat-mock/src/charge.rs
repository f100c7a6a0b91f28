//! The phone-number quota, as WeChat keeps it: every successful phone button is charged once
//! (WeChat charges "when the mini-program receives the button's success callback", whether or
//! not a server ever exchanges the code), against the app's packages of the quick-verification
//! component; with the quota spent the button fails with `errno` 1400001.
//!
//! A code is charged when the simulator's button (`/__sim/phone-button`) issues it, or — for a
//! code a test wrote itself (`phone:<user>:<nonce>`) — when it is first presented to
//! `getuserphonenumber`, the moment its button would have succeeded.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

/// The `spuId` under which the simulator lists the phone-number packages.
pub const PHONE_SPU_ID: &str = "10000077";

/// What is left when no quota is configured: the simulator then sells as much as is used.
const UNLIMITED_HEADROOM: u64 = 1000;

/// An app's package: its size (`None`: unlimited) and what was used of it.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Package {
    pub(crate) all: Option<u64>,
    pub(crate) used: u64,
}

impl Package {
    /// The package's size as the usage API reports it.
    pub(crate) fn size(self) -> u64 {
        self.all
            .unwrap_or_else(|| self.used.saturating_add(UNLIMITED_HEADROOM))
    }
}

/// Every app's package (unlimited until `/__sim/phone-quota` sizes it) and the codes already
/// charged.
#[derive(Debug, Default)]
pub(crate) struct Charges {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    packages: HashMap<String, Package>,
    charged: HashSet<String>,
}

impl Charges {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Charges one verification of `appid` for `code`; false when the quota is spent (nothing
    /// charged). A code already charged is not charged again.
    pub(crate) fn charge(&self, appid: &str, code: &str) -> bool {
        let mut inner = self.lock();
        if inner.charged.contains(code) {
            return true;
        }
        let package = inner.packages.entry(appid.to_owned()).or_default();
        if package.all.is_some_and(|all| package.used >= all) {
            return false;
        }
        package.used += 1;
        inner.charged.insert(code.to_owned());
        true
    }

    /// The app's package.
    pub(crate) fn package(&self, appid: &str) -> Package {
        self.lock().packages.get(appid).copied().unwrap_or_default()
    }

    /// Sets the size of the app's package (`None`: unlimited), keeping what was used.
    pub(crate) fn set_quota(&self, appid: &str, all: Option<u64>) {
        self.lock()
            .packages
            .entry(appid.to_owned())
            .or_default()
            .all = all;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_is_charged_once_and_a_spent_quota_refuses() {
        let charges = Charges::default();
        charges.set_quota("wxa", Some(2));
        assert!(charges.charge("wxa", "c1"));
        assert!(charges.charge("wxa", "c1"));
        assert!(charges.charge("wxa", "c2"));
        assert!(!charges.charge("wxa", "c3"));
        assert!(charges.charge("wxb", "c4"));
        assert_eq!(charges.package("wxa").used, 2);
        assert_eq!(charges.package("wxb").used, 1);
        charges.set_quota("wxa", Some(3));
        assert!(charges.charge("wxa", "c3"));
        charges.set_quota("wxa", None);
        assert_eq!(charges.package("wxa").size(), 1003);
    }
}
