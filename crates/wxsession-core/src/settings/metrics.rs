//! `[metrics]`: which apps get a label value of their own.

use serde::{Deserialize, Serialize};

use super::{ConfigError, invalid};
use crate::domain::ids::AppId;

/// `[metrics]`
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsSettings {
    /// Apps not from the config that still get their own `appid` label value; every other
    /// runtime or platform app is counted as `appid="other"`, so that the number of series
    /// does not grow with the number of apps. Apps from the config always have their own.
    pub per_app_labels: Vec<String>,
}

/// The most apps `metrics.per_app_labels` may name.
const MAX_LABELLED: usize = 200;

impl MetricsSettings {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if self.per_app_labels.len() > MAX_LABELLED {
            return Err(invalid(
                "metrics.per_app_labels",
                format!("at most {MAX_LABELLED} apps: every app named adds its series"),
            ));
        }
        self.labelled()?;
        Ok(())
    }

    /// The apps named, parsed.
    pub fn labelled(&self) -> Result<Vec<AppId>, ConfigError> {
        self.per_app_labels
            .iter()
            .enumerate()
            .map(|(i, id)| {
                AppId::parse(id).map_err(|_| {
                    invalid(
                        format!("metrics.per_app_labels[{i}]"),
                        "must be 1-64 characters of A-Z a-z 0-9 _ -",
                    )
                })
            })
            .collect()
    }
}
