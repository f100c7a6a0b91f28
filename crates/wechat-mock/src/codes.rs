//! The little language of simulator codes: what a given `js_code` should make WeChat do.

use std::time::Duration;

/// What to answer for one code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Plan {
    /// Log in `user`.
    User(String),
    /// A phone-number code of `user` (`getuserphonenumber`).
    Phone(String),
    /// Reply with this errcode.
    Errcode(i64),
    /// Reply `-1` for the first `n` attempts, then follow the rest.
    Busy(u32, Box<Plan>),
    /// Wait, then follow the rest.
    Slow(Duration, Box<Plan>),
    /// Reply with this HTTP status.
    Http(u16),
    /// Reply 200 with a body that is not the expected JSON.
    Garbage(&'static str),
    /// Reply 200 with a well-formed answer whose identity is not one WeChat would issue
    /// (`crlf`, `long`, `quote`, `unicode`), to test that the service refuses it.
    BadIdentity(&'static str),
    /// Unknown code.
    Invalid,
}

pub(crate) fn parse(code: &str) -> Plan {
    let (head, rest) = code.split_once(':').unwrap_or((code, ""));
    let (arg, tail) = rest.split_once(':').unwrap_or((rest, ""));
    match head {
        "user" if !arg.is_empty() => Plan::User(arg.to_owned()),
        "phone" if !arg.is_empty() => Plan::Phone(arg.to_owned()),
        "err" => arg.parse().map_or(Plan::Invalid, Plan::Errcode),
        "busy" => arg
            .parse()
            .map_or(Plan::Invalid, |n| Plan::Busy(n, Box::new(parse(tail)))),
        "slow" => arg.parse().map_or(Plan::Invalid, |ms: u64| {
            Plan::Slow(Duration::from_millis(ms.min(60_000)), Box::new(parse(tail)))
        }),
        "http" => arg
            .parse()
            .ok()
            .filter(|s| (200..600).contains(s))
            .map_or(Plan::Invalid, Plan::Http),
        "garbage" => Plan::Garbage("this is not json {"),
        "html" => Plan::Garbage("<html><body>502 Bad Gateway</body></html>"),
        "truncated" => Plan::Garbage(r#"{"openid":"oAbC","session_key":"tiih"#),
        "empty" => Plan::Garbage("{}"),
        "badid" => match arg {
            "crlf" => Plan::BadIdentity("oAbC\r\nX-Injected: 1"),
            "long" => Plan::BadIdentity(
                "oAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            ),
            "quote" => Plan::BadIdentity("oAbC\";x=1,y"),
            "unicode" => Plan::BadIdentity("oAbC\u{7528}\u{6237}"),
            _ => Plan::Invalid,
        },
        _ => Plan::Invalid,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grammar() {
        assert_eq!(parse("user:alice:1"), Plan::User("alice".into()));
        assert_eq!(parse("phone:alice:1"), Plan::Phone("alice".into()));
        assert_eq!(parse("err:45011:x"), Plan::Errcode(45011));
        assert_eq!(parse("err:-1:x"), Plan::Errcode(-1));
        assert_eq!(
            parse("slow:250:user:bob:n"),
            Plan::Slow(
                Duration::from_millis(250),
                Box::new(Plan::User("bob".into()))
            )
        );
        assert_eq!(
            parse("busy:2:user:bob:n"),
            Plan::Busy(2, Box::new(Plan::User("bob".into())))
        );
        assert_eq!(parse("http:502:x"), Plan::Http(502));
        assert_eq!(parse("http:99:x"), Plan::Invalid);
        assert_eq!(parse("0a3b9c"), Plan::Invalid);
        assert_eq!(parse("user::x"), Plan::Invalid);
        assert!(matches!(parse("badid:crlf:1"), Plan::BadIdentity(id) if id.contains('\n')));
        assert_eq!(parse("badid:nope:1"), Plan::Invalid);
    }
}
