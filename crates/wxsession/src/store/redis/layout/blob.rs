//! The blobs of an entry: a tag byte, then the text or a packed form of it. Below 0x80 the tag
//! is the length of the text that follows; the other tags pack WeChat's common shapes. The Lua
//! script that edits entries takes these constants from here (`super::script_prelude`).

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

/// Blob tags: below 0x80 a blob is that many bytes of text; these tags pack common shapes.
pub const HEX_APPID: u8 = 0x80;
pub const B64URL_28: u8 = 0x81;
pub const B64_KEY: u8 = 0x82;
/// The longest text a blob holds as it is.
pub const MAX_TEXT: usize = 0x7f;

/// How many bytes follow each packing tag.
pub const PACKED: [(u8, usize); 3] = [(HEX_APPID, 8), (B64URL_28, 21), (B64_KEY, 16)];

/// A text as an entry stores it: WeChat's common shapes packed, anything else as it is.
#[derive(Debug)]
pub struct Blob;

impl Blob {
    /// Encodes `text`; `None` when it is longer than a blob holds (ids are at most 64 bytes,
    /// sealed keys about 80).
    pub fn encode(text: &str) -> Option<Vec<u8>> {
        let bytes = text.as_bytes();
        if let Some(hex) = text.strip_prefix("wx").filter(|h| is_lower_hex(h, 16)) {
            let mut out = vec![HEX_APPID];
            out.extend(hex::decode(hex).ok()?);
            return Some(out);
        }
        if text.len() == 28
            && let Ok(raw) = URL_SAFE_NO_PAD.decode(text)
        {
            let mut out = vec![B64URL_28];
            out.extend(raw);
            return Some(out);
        }
        if text.len() == 24
            && let Some(raw) = STANDARD.decode(text).ok().filter(|r| r.len() == 16)
            && STANDARD.encode(&raw) == text
        {
            let mut out = vec![B64_KEY];
            out.extend(raw);
            return Some(out);
        }
        if bytes.len() > MAX_TEXT {
            return None;
        }
        let mut out = vec![u8::try_from(bytes.len()).ok()?];
        out.extend_from_slice(bytes);
        Some(out)
    }

    /// Decodes the blob at the start of `bytes`: its text (empty for an absent key) and the
    /// bytes after it.
    pub fn decode(bytes: &[u8]) -> Option<(String, &[u8])> {
        let (&tag, rest) = bytes.split_first()?;
        let len = match PACKED.iter().find(|(t, _)| *t == tag) {
            Some((_, len)) => *len,
            None if usize::from(tag) <= MAX_TEXT => usize::from(tag),
            None => return None,
        };
        let body = rest.get(..len)?;
        let rest = rest.get(len..)?;
        let text = match tag {
            HEX_APPID => format!("wx{}", hex::encode(body)),
            B64URL_28 => URL_SAFE_NO_PAD.encode(body),
            B64_KEY => STANDARD.encode(body),
            _ => String::from_utf8(body.to_vec()).ok()?,
        };
        Some((text, rest))
    }
}

fn is_lower_hex(text: &str, len: usize) -> bool {
    text.len() == len && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blobs_pack_wechat_shapes_and_keep_the_rest() {
        for (text, len) in [
            ("wx1234567890abcdef", 9),
            ("oGZUI0egBJY1zhBYw2KhdUfwVJJE", 22),
            ("tiihtNczf5v6AKRyjwEUhQ==", 17),
            ("wxapp", 6),
            ("wx1234567890ABCDEF", 19),
            ("", 1),
            ("e1.0a1b2c3d.sealed-text", 24),
        ] {
            let blob = Blob::encode(text).expect("fits");
            assert_eq!(blob.len(), len, "{text}");
            let mut with_rest = blob.clone();
            with_rest.push(7);
            assert_eq!(
                Blob::decode(&with_rest),
                Some((text.to_owned(), &[7u8][..]))
            );
        }
        assert_eq!(Blob::encode(&"x".repeat(128)), None);
        assert_eq!(Blob::decode(&[0x90, 1]), None);
        assert_eq!(Blob::decode(&[5, b'a']), None);
    }
}
