//! Where a browser may be sent after a login or logout: a path on this service or a URL on an
//! allowed origin, never an open redirect.

use crate::domain::Error;
use crate::state::WebConfig;

/// The longest `return_to` accepted, in bytes: it travels sealed in the state cookie.
pub const MAX_RETURN_TO: usize = 512;

/// Where a login or logout may send the browser: a path on this service (`/…`, never `//…`
/// or anything a browser would read as another host) or a URL on an allowed origin.
pub fn check_return_to(web: &WebConfig, return_to: Option<&str>) -> Result<String, Error> {
    let Some(target) = return_to.filter(|t| !t.is_empty()) else {
        return Ok("/".to_owned());
    };
    let refuse =
        || Error::InvalidInput("return_to must be a path or a URL on an allowed origin".into());
    // Browsers drop tabs and newlines inside URLs and read `\` as `/`: `/\evil` and `/\t/evil`
    // would leave the site. No whitespace, controls or backslashes at all.
    if target.len() > MAX_RETURN_TO
        || target
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '\\')
    {
        return Err(refuse());
    }
    if target.starts_with('/') {
        return if target.starts_with("//") {
            Err(refuse())
        } else {
            Ok(target.to_owned())
        };
    }
    let url = url::Url::parse(target).map_err(|_| refuse())?;
    let origin = url.origin().ascii_serialization();
    let allowed = matches!(url.scheme(), "http" | "https")
        && url.username().is_empty()
        && url.password().is_none()
        && web.allowed_origins.contains(&origin);
    if allowed {
        Ok(url.into())
    } else {
        Err(refuse())
    }
}

/// `target` with `pair` added to its query (before any fragment).
pub(super) fn with_query(target: &str, pair: &str) -> String {
    let (base, fragment) = match target.split_once('#') {
        Some((base, fragment)) => (base, Some(fragment)),
        None => (target, None),
    };
    let sep = if base.contains('?') { '&' } else { '?' };
    let mut out = format!("{base}{sep}{pair}");
    if let Some(fragment) = fragment {
        out.push('#');
        out.push_str(fragment);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn web() -> WebConfig {
        WebConfig {
            public_url: Some("https://login.example.com".into()),
            allowed_origins: vec![
                "https://login.example.com".into(),
                "https://app.example.com".into(),
            ],
            open_base: "https://open.weixin.qq.com".into(),
            mp_base: "https://mp.weixin.qq.com".into(),
            secure_cookies: true,
            demo_page: false,
            state_keys: Default::default(),
        }
    }

    #[test]
    fn return_to_is_at_most_512_bytes() {
        let web = web();
        let path = |len: usize| format!("/{}", "a".repeat(len - 1));
        assert!(check_return_to(&web, Some(&path(MAX_RETURN_TO))).is_ok());
        assert!(check_return_to(&web, Some(&path(MAX_RETURN_TO + 1))).is_err());
    }

    #[test]
    fn return_to_is_a_path_or_an_allowed_origin() {
        let web = web();
        for ok in [
            "/",
            "/me?x=1#top",
            "/a/%2F%2Fevil",
            "https://app.example.com/welcome",
            "https://APP.example.com:443/x",
        ] {
            assert!(check_return_to(&web, Some(ok)).is_ok(), "{ok}");
        }
        assert_eq!(check_return_to(&web, None).ok().as_deref(), Some("/"));
        for bad in [
            "//evil.example",
            "///evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "https://evil.example/",
            "https://app.example.com.evil.example/",
            "https://user@app.example.com/",
            "http://app.example.com/",
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "data:text/html,<script>",
            "evil.example",
            "https:evil.example",
            " /x",
        ] {
            assert!(check_return_to(&web, Some(bad)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn declined_logins_keep_the_query_and_fragment() {
        assert_eq!(with_query("/", "e=1"), "/?e=1");
        assert_eq!(with_query("/p?x=1#f", "e=1"), "/p?x=1&e=1#f");
    }
}
