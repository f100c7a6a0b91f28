//! `wxa/charge/usage/get` (getUsageDetail): how much of a paid capability's packages an app has
//! used — for the phone-number components, how many verifications are left.

use secrecy::{ExposeSecret as _, SecretString};
use serde::Deserialize;

use crate::{Client, Error};

/// A package's status (`PackageStatus`): `1` in force, `2` not yet in force, `3` expired.
pub const PACKAGE_ACTIVE: i64 = 1;

/// The most packages WeChat lists per page (`limit`, "最大20").
pub const PAGE_LIMIT: u64 = 20;

/// One page of an app's usage of a capability (`spuId`).
#[derive(Debug, Clone, Deserialize)]
pub struct Usage {
    /// `all`: the total of the packages in force (WeChat's 64-bit number, sent as text).
    #[serde(default, deserialize_with = "count")]
    pub all: u64,
    /// `effectiveUse`: the use counted against them.
    #[serde(rename = "effectiveUse", default, deserialize_with = "count")]
    pub effective_use: u64,
    /// `total`: how many packages the list has in all pages.
    #[serde(default)]
    pub total: u64,
    /// `detailList`: this page's packages.
    #[serde(rename = "detailList", default)]
    pub detail_list: Vec<Package>,
}

/// One package of `detailList` (`UsageDetail`).
#[derive(Debug, Clone, Deserialize)]
pub struct Package {
    /// `status`: see [`PACKAGE_ACTIVE`].
    #[serde(default)]
    pub status: i64,
    /// `all`: its capacity.
    #[serde(default, deserialize_with = "count")]
    pub all: u64,
    /// `used`: what was used of it.
    #[serde(default, deserialize_with = "count")]
    pub used: u64,
}

/// WeChat's 64-bit counts come as text (`"1000"`); a number is read too.
fn count<'de, D: serde::Deserializer<'de>>(de: D) -> Result<u64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum TextOrNumber {
        Text(String),
        Number(u64),
    }
    match TextOrNumber::deserialize(de)? {
        TextOrNumber::Number(n) => Ok(n),
        TextOrNumber::Text(text) => text
            .trim()
            .parse()
            .map_err(|_| serde::de::Error::custom("a count that is not a number")),
    }
}

impl Client {
    /// `GET /wxa/charge/usage/get?access_token&spuId&offset&limit`: one page of the app's
    /// packages of `spu_id`.
    pub async fn charge_usage(
        &self,
        access_token: &SecretString,
        spu_id: &str,
        offset: u64,
        limit: u64,
    ) -> Result<Usage, Error> {
        let (offset, limit) = (offset.to_string(), limit.to_string());
        let query = [
            ("access_token", access_token.expose_secret()),
            ("spuId", spu_id),
            ("offset", offset.as_str()),
            ("limit", limit.as_str()),
        ];
        self.get_checked("/wxa/charge/usage/get", &query).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_read_as_text_or_numbers() {
        // The answer of WeChat's docs (getUsageDetail), counts as text.
        let usage: Usage = serde_json::from_str(
            r#"{"errcode":0,"all":"10","effectiveUse":"0","total":2,"detailList":[
                {"pkgId":"ZY1","startTime":1677914190,"endTime":1709450190,"used":"0","all":"4",
                 "status":1,"spuId":"10000057","skuId":"20000059"},
                {"pkgId":"ZY2","used":3,"all":6,"status":3}]}"#,
        )
        .expect("usage");
        assert_eq!((usage.all, usage.effective_use, usage.total), (10, 0, 2));
        assert_eq!(usage.detail_list.len(), 2);
        assert_eq!(usage.detail_list.get(1).map(|p| p.used), Some(3));
        assert!(serde_json::from_str::<Usage>(r#"{"all":"ten"}"#).is_err());
        let empty: Usage = serde_json::from_str(r#"{"errcode":0}"#).expect("usage");
        assert!(empty.detail_list.is_empty());
    }
}
