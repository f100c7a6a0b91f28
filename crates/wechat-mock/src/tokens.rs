//! The simulator's access tokens, with WeChat's semantics: `stable_token` answers the same
//! token while it is valid and replaces it only with `force_refresh`; the classic `token` mints a
//! new one each call and leaves the previous one valid for five more minutes. A test can
//! invalidate an app's tokens "elsewhere" (another party force-refreshed), optionally leaving
//! `stable_token` answering the dead token for a while, as WeChat does.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// How long a superseded classic token stays valid.
const CLASSIC_GRACE: Duration = Duration::from_secs(300);

#[derive(Debug, Default)]
pub(crate) struct Tokens {
    /// token → (appid, valid until); a dead stable token is kept here with `None`.
    valid: HashMap<String, (Option<String>, Instant)>,
    /// appid → the token `stable_token` answers without `force_refresh`.
    stable: HashMap<String, String>,
    /// appid → the newest classic token.
    classic: HashMap<String, String>,
}

fn mint() -> String {
    let mut bytes = [0u8; 48];
    let _ = getrandom::fill(&mut bytes);
    format!("SIM_{}", URL_SAFE_NO_PAD.encode(bytes))
}

impl Tokens {
    /// `stable_token`: the app's current token and its seconds left.
    pub(crate) fn stable(&mut self, appid: &str, force: bool, ttl: Duration) -> (String, u64) {
        let now = Instant::now();
        if !force && let Some(token) = self.stable.get(appid) {
            // A dead token keeps being answered until it expires (the quirk `force_refresh`
            // exists for); a live one with its time left.
            let left = self
                .valid
                .get(token)
                .map_or(ttl, |(_, until)| until.saturating_duration_since(now));
            if !left.is_zero() {
                return (token.clone(), left.as_secs().max(1));
            }
        }
        if let Some(old) = self.stable.remove(appid) {
            self.valid.remove(&old);
        }
        let token = mint();
        self.valid
            .insert(token.clone(), (Some(appid.to_owned()), now + ttl));
        self.stable.insert(appid.to_owned(), token.clone());
        (token, ttl.as_secs())
    }

    /// The classic `token`: a new token; the previous one stays valid for five minutes.
    pub(crate) fn classic(&mut self, appid: &str, ttl: Duration) -> (String, u64) {
        let now = Instant::now();
        if let Some(old) = self.classic.get(appid)
            && let Some((_, until)) = self.valid.get_mut(old)
        {
            *until = (*until).min(now + CLASSIC_GRACE);
        }
        let token = mint();
        self.valid
            .insert(token.clone(), (Some(appid.to_owned()), now + ttl));
        self.classic.insert(appid.to_owned(), token.clone());
        (token, ttl.as_secs())
    }

    /// The app a token is valid for.
    pub(crate) fn check(&self, token: &str) -> Option<String> {
        let (appid, until) = self.valid.get(token)?;
        appid.clone().filter(|_| *until > Instant::now())
    }

    /// Every token of `appid` dies now, as when another party force-refreshes. With
    /// `stale_stable`, `stable_token` keeps answering the dead token until a `force_refresh`.
    pub(crate) fn invalidate(&mut self, appid: &str, stale_stable: bool, ttl: Duration) {
        self.valid
            .retain(|_, (app, _)| app.as_deref() != Some(appid));
        self.classic.remove(appid);
        if stale_stable {
            if let Some(token) = self.stable.get(appid) {
                // Answered by `stable_token`, refused by every API.
                self.valid
                    .insert(token.clone(), (None, Instant::now() + ttl));
            }
        } else {
            self.stable.remove(appid);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TTL: Duration = Duration::from_secs(7200);

    #[test]
    fn stable_tokens_stay_until_forced_and_classic_ones_overlap() {
        let mut t = Tokens::default();
        let (a, _) = t.stable("wxa", false, TTL);
        assert_eq!(t.stable("wxa", false, TTL).0, a);
        assert_eq!(t.check(&a).as_deref(), Some("wxa"));
        let (b, _) = t.stable("wxa", true, TTL);
        assert_ne!(a, b);
        assert_eq!(t.check(&a), None);
        let (c1, _) = t.classic("wxa", TTL);
        let (c2, _) = t.classic("wxa", TTL);
        assert_ne!(c1, c2);
        assert!(t.check(&c1).is_some() && t.check(&c2).is_some());
        t.invalidate("wxa", true, TTL);
        assert_eq!(
            t.stable("wxa", false, TTL).0,
            b,
            "the dead token is answered again"
        );
        assert_eq!(t.check(&b), None);
        assert_eq!(t.check(&c2), None);
        let (d, _) = t.stable("wxa", true, TTL);
        assert_eq!(t.check(&d).as_deref(), Some("wxa"));
    }
}
