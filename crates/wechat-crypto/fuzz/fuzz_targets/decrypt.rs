//! Fuzzes decrypt with arbitrary iv and ciphertext text: it must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wechat_crypto::{SessionKey, decrypt_checked, verify_raw_data_signature};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // Split on a character boundary: the first 24 characters are the iv.
    let cut = text.char_indices().nth(24).map_or(text.len(), |(i, _)| i);
    let (iv, rest) = text.split_at(cut);
    let key = SessionKey::from_bytes([0x42; 16]);
    let _ = decrypt_checked(&key, iv, rest, "wxfuzz");
    let _ = verify_raw_data_signature(rest, iv, &key);
    let _ = SessionKey::from_base64(rest);
});
