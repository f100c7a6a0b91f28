//! What a session remembers, and its compact stored form.

/// What a session remembers. The raw token and the `session_key` are not in here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// The app the user logged into.
    pub appid: String,
    /// The user's openid in that app.
    pub openid: String,
    /// The user's unionid, when WeChat gave one.
    pub unionid: Option<String>,
    /// Login time, unix seconds.
    pub created_at: i64,
    /// Absolute expiry, unix seconds (`created_at + max_lifetime`; derived, not stored).
    pub deadline: i64,
}

impl SessionRecord {
    /// The compact stored form: `created_at|appid|openid|unionid`. The deadline is not stored:
    /// it is `created_at` plus the configured maximum lifetime.
    pub fn encode(&self) -> String {
        format!(
            "{}|{}|{}|{}",
            self.created_at,
            self.appid,
            self.openid,
            self.unionid.as_deref().unwrap_or("")
        )
    }

    /// Parses the stored form: format 0 as [`SessionRecord::encode`] writes it (and 0.1.0
    /// reads it), or format 1, the same behind `v1|` (read since 0.2, to be written once no
    /// 0.1.0 replica runs; see `store::layout::format`). A newer format is refused.
    pub fn decode(text: &str, max_lifetime_secs: u64) -> Option<Self> {
        let text = match text.strip_prefix('v') {
            Some(versioned) => versioned.strip_prefix("1|")?,
            None => text,
        };
        let mut parts = text.splitn(4, '|');
        let created_at: i64 = parts.next()?.parse().ok()?;
        let deadline =
            created_at.saturating_add(i64::try_from(max_lifetime_secs).unwrap_or(i64::MAX));
        let appid = parts.next()?.to_owned();
        let openid = parts.next()?.to_owned();
        let unionid = parts.next()?;
        Some(Self {
            appid,
            openid,
            unionid: (!unionid.is_empty()).then(|| unionid.to_owned()),
            created_at,
            deadline,
        })
    }

    /// Whether every id follows the one rule (`crate::domain::ids`), so that none can break the stored
    /// form, a key, a header or a log line.
    pub fn is_storable(&self) -> bool {
        use crate::domain::ids::is_valid_id;
        is_valid_id(&self.appid)
            && is_valid_id(&self.openid)
            && self.unionid.as_deref().is_none_or(is_valid_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_round_trips_and_stays_small() {
        let record = SessionRecord {
            appid: "wx1234567890abcdef".into(),
            openid: "oGZUI0egBJY1zhBYw2KhdUfwVJJE".into(),
            unionid: Some("ocMvos6NjeKLIBqg5Mr9QjxrP1FA".into()),
            created_at: 1_700_000_000,
            deadline: 1_702_592_000,
        };
        let text = record.encode();
        assert!(text.len() <= 200, "{}", text.len());
        assert_eq!(
            SessionRecord::decode(&text, 2_592_000),
            Some(record.clone())
        );
        let no_union = SessionRecord {
            unionid: None,
            ..record
        };
        assert_eq!(
            SessionRecord::decode(&no_union.encode(), 2_592_000),
            Some(no_union)
        );
        assert_eq!(SessionRecord::decode("garbage", 1), None);
        // Format 1 (the same behind `v1|`) is read; a newer one is not.
        let text = "1700000000|wx1234567890abcdef|o1|u1".to_owned();
        assert_eq!(
            SessionRecord::decode(&format!("v1|{text}"), 2_592_000),
            SessionRecord::decode(&text, 2_592_000)
        );
        assert_eq!(
            SessionRecord::decode(&format!("v2|{text}"), 2_592_000),
            None
        );
    }
}
