//! The one rule for the ids WeChat issues (appid, openid, unionid), used wherever one arrives:
//! from configuration, from WeChat's answers and from admin paths.

/// The longest id accepted. WeChat's are 18 (appid) and 28–29 (openid, unionid) characters.
pub const MAX_ID_LEN: usize = 64;

/// Whether `id` is 1–64 characters of `A-Z a-z 0-9 _ -`: what WeChat issues, and what can go
/// into a Redis key, a header value and a log line without escaping.
pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wechat_ids_pass_and_nothing_else() {
        for ok in [
            "wx1234567890abcdef",
            "oGZUI0egBJY1zhBYw2KhdUfwVJJE",
            "o6_bmasdasdsad6_2sgVt7hMZOPfL",
        ] {
            assert!(is_valid_id(ok), "{ok}");
        }
        let long = "o".repeat(MAX_ID_LEN + 1);
        for bad in [
            "",
            "a b",
            "a\r\nb",
            "a;b",
            "a,b",
            "a\"b",
            "a|b",
            "a{b}",
            "用户",
            long.as_str(),
        ] {
            assert!(!is_valid_id(bad), "{bad:?}");
        }
    }
}
