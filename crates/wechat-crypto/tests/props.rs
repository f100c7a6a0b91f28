//! Property tests: no input makes the crate panic, and encrypt/decrypt round-trip.

#![allow(clippy::indexing_slicing)]

use proptest::prelude::*;
use wechat_crypto::{Error, Iv, SessionKey, decrypt, decrypt_checked, encrypt};

proptest! {
    #[test]
    fn decrypt_never_panics_on_any_text(iv in ".{0,40}", data in ".{0,200}") {
        let key = SessionKey::from_bytes([9; 16]);
        let _ = decrypt_checked(&key, &iv, &data, "wxapp");
    }

    #[test]
    fn decrypt_never_panics_on_any_valid_base64(iv in any::<[u8; 16]>(), data in proptest::collection::vec(any::<u8>(), 0..512)) {
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD;
        let key = SessionKey::from_bytes([9; 16]);
        let result = decrypt_checked(&key, &b64.encode(iv), &b64.encode(&data), "wxapp");
        if data.is_empty() || !data.len().is_multiple_of(16) {
            prop_assert!(matches!(result, Err(Error::InvalidInput(_))));
        } else {
            // Random ciphertext almost never decrypts to a JSON object with our watermark.
            prop_assert!(matches!(result, Err(Error::DecryptFailed(_))));
        }
    }

    #[test]
    fn session_key_parsing_never_panics(text in ".{0,100}") {
        let _ = SessionKey::from_base64(&text);
    }

    #[test]
    fn round_trip(key in any::<[u8; 16]>(), iv in any::<[u8; 16]>(), name in ".{0,300}", ts in any::<i64>()) {
        let key = SessionKey::from_bytes(key);
        let mut fields = serde_json::Map::new();
        fields.insert("nickName".into(), name.clone().into());
        let enc = encrypt(&key, &Iv::from_bytes(iv), &fields, "wxapp", ts);
        let out = decrypt_checked(&key, &enc.iv, &enc.encrypted_data, "wxapp");
        prop_assert!(out.is_ok());
        let out = out.expect("checked above");
        prop_assert_eq!(out.data["nickName"].as_str(), Some(name.as_str()));
        prop_assert_eq!(out.watermark.timestamp, ts);
        prop_assert!(decrypt(&key, &enc.iv, &enc.encrypted_data).is_ok());
    }
}

proptest! {
    #[test]
    fn msg_crypt_never_panics_on_any_text(sig in ".{0,50}", ts in ".{0,12}", enc in ".{0,300}") {
        let crypt = wechat_crypto::MsgCrypt::new("tok3n", &"A".repeat(43), "wxapp").expect("crypt");
        let _ = crypt.open(&sig, &ts, "nonce", &enc);
        let _ = crypt.decrypt(&enc);
        let _ = wechat_crypto::EncodingAesKey::from_text(&enc);
    }

    #[test]
    fn msg_crypt_refuses_random_ciphertext(data in proptest::collection::vec(any::<u8>(), 1..40)) {
        use base64::Engine as _;
        let crypt = wechat_crypto::MsgCrypt::new("tok3n", &"A".repeat(43), "wxapp").expect("crypt");
        let blocks: Vec<u8> = data.iter().cycle().take(data.len() * 16).copied().collect();
        let enc = base64::engine::general_purpose::STANDARD.encode(&blocks);
        prop_assert!(matches!(crypt.decrypt(&enc), Err(Error::MessageRejected(_))));
    }

    #[test]
    fn msg_crypt_round_trip(msg in ".{0,500}", random in any::<[u8; 16]>(), key in any::<[u8; 32]>()) {
        let key = wechat_crypto::EncodingAesKey::from_bytes(key).to_text();
        let crypt = wechat_crypto::MsgCrypt::new("tok3n", &key, "wxapp").expect("crypt");
        let sealed = crypt.seal_with_random(&msg, "1700000000", "n0nce", random).expect("seals");
        let plain = crypt.open(&sealed.msg_signature, "1700000000", "n0nce", &sealed.encrypt);
        prop_assert_eq!(plain.map(|p| p.message), Ok(msg));
    }

    #[test]
    fn xml_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400), text in ".{0,300}") {
        let _ = wechat_crypto::xml::parse_fields(&bytes);
        let _ = wechat_crypto::xml::parse_envelope(text.as_bytes());
        let _ = wechat_crypto::xml::parse_fields(format!("<xml><A>{text}</A></xml>").as_bytes());
    }
}
