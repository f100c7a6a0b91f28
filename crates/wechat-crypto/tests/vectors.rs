//! Known-answer tests with WeChat's official vectors, and interop with a third-party AES.

#![allow(clippy::indexing_slicing)]

use sha2::Digest as _;
use wechat_crypto::{
    Error, FailureReason, InputError, Iv, SessionKey, decrypt, decrypt_bytes, decrypt_checked,
    encrypt, raw_data_signature, user_state_signature, verify_raw_data_signature,
};

fn vectors() -> serde_json::Value {
    let text = include_str!("data/wechat-official.json");
    serde_json::from_str(text).expect("vector file is JSON")
}

fn field<'a>(v: &'a serde_json::Value, section: &str, name: &str) -> &'a str {
    v[section][name].as_str().expect("vector field is a string")
}

#[test]
fn official_demo_decrypts_byte_exact() {
    let v = vectors();
    let key = SessionKey::from_base64(field(&v, "decrypt", "sessionKey")).expect("key");
    let plain = decrypt_bytes(
        &key,
        field(&v, "decrypt", "iv"),
        field(&v, "decrypt", "encryptedData"),
    )
    .expect("decrypts");
    assert_eq!(plain, field(&v, "decrypt", "plaintext").as_bytes());
    assert_eq!(
        hex::encode(sha2::Sha256::digest(&plain)),
        field(&v, "decrypt", "plaintextSha256")
    );
}

#[test]
fn official_demo_passes_watermark_check() {
    let v = vectors();
    let key = SessionKey::from_base64(field(&v, "decrypt", "sessionKey")).expect("key");
    let out = decrypt_checked(
        &key,
        field(&v, "decrypt", "iv"),
        field(&v, "decrypt", "encryptedData"),
        field(&v, "decrypt", "appId"),
    )
    .expect("decrypts");
    assert_eq!(out.watermark.appid, "wx4f4bc4dec97d474b");
    assert_eq!(out.watermark.timestamp, 1_477_314_187);
    assert_eq!(out.data["openId"], "oGZUI0egBJY1zhBYw2KhdUfwVJJE");
    assert_eq!(out.data["unionId"], "ocMvos6NjeKLIBqg5Mr9QjxrP1FA");
}

#[test]
fn watermark_for_another_app_is_the_opaque_error() {
    let v = vectors();
    let key = SessionKey::from_base64(field(&v, "decrypt", "sessionKey")).expect("key");
    let err = decrypt_checked(
        &key,
        field(&v, "decrypt", "iv"),
        field(&v, "decrypt", "encryptedData"),
        "wx0000000000000000",
    )
    .expect_err("wrong app");
    assert_eq!(err, Error::DecryptFailed(FailureReason::Watermark));
    assert_eq!(err.to_string(), "decryption failed");
}

#[test]
fn wrong_key_is_the_same_opaque_message() {
    let v = vectors();
    let key = SessionKey::from_bytes([7; 16]);
    let err = decrypt(
        &key,
        field(&v, "decrypt", "iv"),
        field(&v, "decrypt", "encryptedData"),
    )
    .expect_err("wrong key");
    assert!(matches!(err, Error::DecryptFailed(_)));
    assert_eq!(err.to_string(), "decryption failed");
}

#[test]
fn official_user_state_signature() {
    let v = vectors();
    let key = SessionKey::from_base64(field(&v, "userStateSignature", "sessionKey")).expect("key");
    let sig = user_state_signature(&key, field(&v, "userStateSignature", "message").as_bytes());
    assert_eq!(sig, field(&v, "userStateSignature", "signature"));
}

#[test]
fn raw_data_signature_round_trip_and_mismatch() {
    let key = SessionKey::from_base64("HyVFkGl5F5OQWJZZaNzBBg==").expect("key");
    // Reference value from coreutils: printf '%s' '{"nickName":"Band"}HyVFkGl5F5OQWJZZaNzBBg==' | sha1sum
    let raw = r#"{"nickName":"Band"}"#;
    let sig = raw_data_signature(raw, &key);
    assert_eq!(sig, "19036804514e3177482cf7382c6a337cf79b246d");
    assert_eq!(verify_raw_data_signature(raw, &sig, &key), Ok(()));
    assert_eq!(
        verify_raw_data_signature(raw, &sig.to_uppercase(), &key),
        Ok(())
    );
    assert_eq!(
        verify_raw_data_signature(&format!("{raw} "), &sig, &key),
        Err(Error::SignatureMismatch)
    );
}

#[test]
fn encrypt_round_trips_with_watermark() {
    let key = SessionKey::from_bytes([1; 16]);
    let iv = Iv::from_bytes([2; 16]);
    let mut fields = serde_json::Map::new();
    fields.insert("phoneNumber".into(), "+8613800000000".into());
    let enc = encrypt(&key, &iv, &fields, "wxabc", 1_700_000_000);
    let out = decrypt_checked(&key, &enc.iv, &enc.encrypted_data, "wxabc").expect("decrypts");
    assert_eq!(out.data["phoneNumber"], "+8613800000000");
    assert_eq!(out.watermark.timestamp, 1_700_000_000);
}

#[test]
fn input_errors_are_distinct() {
    let key = SessionKey::from_bytes([1; 16]);
    let iv = "AAAAAAAAAAAAAAAAAAAAAA==";
    let block = "AAAAAAAAAAAAAAAAAAAAAA==";
    let cases = [
        (iv, "not base64!", InputError::Base64("encryptedData")),
        ("###", block, InputError::Base64("iv")),
        ("AAAAAAAAAAAAAAAAAAAA", block, InputError::IvLength), // 15 bytes
        ("AAAAAAAAAAAAAAAAAAAAAAA=", block, InputError::IvLength), // 17 bytes
        (iv, "", InputError::CiphertextLength),
        (iv, "AAAAAAAAAAAAAAAAAAAA", InputError::CiphertextLength), // 15 bytes
        (iv, "AAAAAAAAAAAAAAAAAAAAAAA=", InputError::CiphertextLength), // 17 bytes
        (
            iv,
            "AAAAAAAAAAAAAAAAAAAAAA",
            InputError::Base64("encryptedData"),
        ), // no padding
        (
            iv,
            "AAAAAAAAAAAA-_AAAAAAAA==",
            InputError::Base64("encryptedData"),
        ), // URL-safe
    ];
    for (iv, data, want) in cases {
        assert_eq!(
            decrypt(&key, iv, data),
            Err(Error::InvalidInput(want)),
            "iv={iv} data={data}"
        );
    }
    assert_eq!(
        SessionKey::from_base64("AAAAAAAAAAAAAAAAAAAA"),
        Err(InputError::KeyLength)
    );
    assert_eq!(
        SessionKey::from_base64("AAAAAAAAAAAAAAAAAAAAAAA="),
        Err(InputError::KeyLength)
    );
}

#[test]
fn debug_never_shows_the_key() {
    let key = SessionKey::from_base64("tiihtNczf5v6AKRyjwEUhQ==").expect("key");
    assert_eq!(format!("{key:?}"), "SessionKey([REDACTED])");
}

#[test]
fn openssl_decrypts_what_encrypt_produced() {
    let key = SessionKey::from_bytes(*b"0123456789abcdef");
    let iv = Iv::from_bytes(*b"fedcba9876543210");
    let mut fields = serde_json::Map::new();
    fields.insert("nickName".into(), "张三".into());
    let enc = encrypt(&key, &iv, &fields, "wxinterop", 42);
    let dir = std::env::temp_dir().join(format!("wechat-crypto-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let input = dir.join("cipher.b64");
    std::fs::write(&input, format!("{}\n", enc.encrypted_data)).expect("write");
    let out = std::process::Command::new("openssl")
        .args(["enc", "-d", "-aes-128-cbc", "-a", "-A", "-K"])
        .arg(hex::encode(key.as_bytes()))
        .arg("-iv")
        .arg(hex::encode(iv.as_bytes()))
        .arg("-in")
        .arg(&input)
        .output()
        .expect("openssl runs");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(out.status.success(), "openssl failed: {out:?}");
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).expect("openssl gives JSON");
    assert_eq!(value["nickName"], "张三");
    assert_eq!(value["watermark"]["appid"], "wxinterop");
    assert_eq!(value["watermark"]["timestamp"], 42);
}
