//! The apps in the metrics: a label value of their own only for some, the rest as `other`;
//! the apps a replica serves, by source and status.

use super::labels::{
    DecryptResult, ExchangeResult, FailureReason, FetchResult, PhoneKnown, PhoneResult,
    WebLoginResult,
};
use super::{Metrics, OTHER_APP};

impl Metrics {
    /// The `appid` label value of an app: its appid when it has its own series (apps from
    /// the config, `metrics.per_app_labels`), else `other`, so that the number of series does
    /// not grow with the number of apps.
    pub fn app<'a>(&self, appid: &'a str) -> &'a str {
        let labelled = self.labelled.read().unwrap_or_else(|p| p.into_inner());
        if labelled.contains(appid) {
            appid
        } else {
            OTHER_APP
        }
    }

    /// Counts the apps a replica serves, by source and status.
    pub fn set_apps(&self, apps: &crate::domain::apps::Apps) {
        use crate::domain::apps::{AppSource, AppStatus};
        let mut counts = std::collections::HashMap::new();
        for app in apps.config_apps().chain(apps.others().values()) {
            *counts.entry((app.source, app.status)).or_insert(0_i64) += 1;
        }
        for source in [AppSource::Config, AppSource::Runtime, AppSource::Component] {
            for status in [
                AppStatus::Active,
                AppStatus::Unauthorized,
                AppStatus::ReauthorizationRequired,
            ] {
                self.apps
                    .with_label_values(&[source.as_str(), status.as_str()])
                    .set(counts.get(&(source, status)).copied().unwrap_or(0));
            }
        }
    }

    /// Gives `appid` series of its own and creates them at zero, so that dashboards and alert
    /// rules see them before the first event.
    pub fn init_app(&self, appid: &str) {
        self.labelled
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(appid.to_owned());
        for result in ExchangeResult::ALL {
            self.code_exchanges_total
                .with_label_values(&[appid, result.as_str()]);
        }
        for result in DecryptResult::ALL {
            self.decrypt_total
                .with_label_values(&[appid, result.as_str()]);
        }
        for reason in FailureReason::ALL {
            self.decrypt_failures_total
                .with_label_values(&[appid, reason.as_str()]);
        }
        self.sessions_created_total.with_label_values(&[appid]);
        self.wechat_calls_refused_total.with_label_values(&[appid]);
        for result in FetchResult::ALL {
            self.access_token_fetches_total
                .with_label_values(&[appid, result.as_str()]);
        }
        self.access_token_invalidations_total
            .with_label_values(&[appid]);
        for result in PhoneResult::ALL {
            self.phone_lookups_total
                .with_label_values(&[appid, result.as_str()]);
        }
        for result in PhoneKnown::ALL {
            self.phone_known_total
                .with_label_values(&[appid, result.as_str()]);
        }
    }

    /// Creates a web app's browser-login series at zero.
    pub fn init_web_app(&self, appid: &str) {
        for result in WebLoginResult::ALL {
            self.web_logins_total
                .with_label_values(&[appid, result.as_str()]);
        }
    }
}
