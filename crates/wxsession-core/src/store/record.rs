//! What a session remembers, and its compact stored form.

use crate::domain::ids::{AppId, OpenId, UnionId};

/// What a session remembers. The raw token and the `session_key` are not in here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// The app the user logged into.
    pub appid: AppId,
    /// The user's openid in that app.
    pub openid: OpenId,
    /// The user's unionid, when WeChat gave one.
    pub unionid: Option<UnionId>,
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
            self.unionid.as_ref().map_or("", UnionId::as_str)
        )
    }

    /// Parses the stored form: format 0 as [`SessionRecord::encode`] writes it (and 0.1.0
    /// reads it), or format 1, the same behind `v1|` (read since 0.2, to be written once no
    /// 0.1.0 replica runs; see `store::layout::format`). A newer format is refused.
    ///
    /// The ids are taken as stored ([`AppId::from_stored`]): only a `SessionRecord`, whose ids
    /// were parsed, is ever encoded, so this runs on every validation without checking them
    /// again.
    pub fn decode(text: &str, max_lifetime_secs: u64) -> Option<Self> {
        let text = match text.strip_prefix('v') {
            Some(versioned) => versioned.strip_prefix("1|")?,
            None => text,
        };
        let mut parts = text.splitn(4, '|');
        let created_at: i64 = parts.next()?.parse().ok()?;
        let deadline =
            created_at.saturating_add(i64::try_from(max_lifetime_secs).unwrap_or(i64::MAX));
        let appid = AppId::from_stored(parts.next()?);
        let openid = OpenId::from_stored(parts.next()?);
        let unionid = parts.next()?;
        Some(Self {
            appid,
            openid,
            unionid: (!unionid.is_empty()).then(|| UnionId::from_stored(unionid)),
            created_at,
            deadline,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_round_trips_and_stays_small() {
        let record = SessionRecord {
            appid: AppId::parse("wx1234567890abcdef").expect("appid"),
            openid: OpenId::parse("oGZUI0egBJY1zhBYw2KhdUfwVJJE").expect("openid"),
            unionid: Some(UnionId::parse("ocMvos6NjeKLIBqg5Mr9QjxrP1FA").expect("unionid")),
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
