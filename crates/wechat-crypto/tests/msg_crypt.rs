//! WXBizMsgCrypt against every vector of `vectors/wxbizmsgcrypt.json` (WeChat's own samples,
//! recomputed with openssl and sha1), plus key rotation, the opaque error and input checks.

#![allow(clippy::indexing_slicing)]

use wechat_crypto::xml::parse_envelope;
use wechat_crypto::{Error, FailureReason, InputError, MsgCrypt, msg_signature, url_signature};

fn vectors() -> serde_json::Value {
    serde_json::from_str(include_str!("vectors/wxbizmsgcrypt.json")).expect("vector file is JSON")
}

fn s<'a>(v: &'a serde_json::Value, path: &[&str]) -> &'a str {
    let mut at = v;
    for key in path {
        at = &at[*key];
    }
    at.as_str()
        .unwrap_or_else(|| panic!("{path:?} is a string"))
}

fn random(text: &str) -> [u8; 16] {
    text.as_bytes().try_into().expect("16 bytes of random")
}

#[test]
fn official_push_verifies_decrypts_and_its_reply_encrypts_exactly() {
    let v = vectors();
    let o = &v["official_push_and_reply"];
    let crypt = MsgCrypt::new(
        s(o, &["token"]),
        s(o, &["encoding_aes_key"]),
        s(o, &["component_appid"]),
    )
    .expect("crypt");
    let (ts, nonce) = (s(o, &["query", "timestamp"]), s(o, &["query", "nonce"]));

    // The envelope carries the same Encrypt as the vector.
    let envelope = parse_envelope(s(o, &["body"]).as_bytes()).expect("envelope");
    assert_eq!(envelope.encrypt, s(o, &["encrypt"]));
    assert_eq!(envelope.to.as_deref(), Some("gh_97417a04a28d"));

    // Both signatures of the push.
    assert_eq!(
        url_signature(s(o, &["token"]), ts, nonce),
        s(o, &["query", "signature"])
    );
    let msg_sig = s(o, &["query", "msg_signature"]);
    assert_eq!(crypt.sign(ts, nonce, &envelope.encrypt), msg_sig);

    let plain = crypt
        .open(msg_sig, ts, nonce, &envelope.encrypt)
        .expect("opens");
    assert_eq!(plain.message, s(o, &["msg"]));
    assert!(!plain.previous_key);

    // Encrypting the message again with the push's random gives WeChat's exact ciphertext.
    let again = crypt
        .encrypt_with_random(s(o, &["msg"]), random(s(o, &["random"])))
        .expect("encrypts");
    assert_eq!(again, s(o, &["encrypt"]));

    // The reply: fixed random, exact ciphertext and signature, and it opens again.
    let r = &o["reply"];
    let sealed = crypt
        .seal_with_random(
            s(r, &["plaintext"]),
            s(r, &["timestamp"]),
            s(r, &["nonce"]),
            random(s(r, &["random"])),
        )
        .expect("seals");
    assert_eq!(sealed.encrypt, s(r, &["encrypt"]));
    assert_eq!(sealed.msg_signature, s(r, &["msg_signature"]));
    let back = crypt
        .open(
            &sealed.msg_signature,
            &sealed.timestamp,
            &sealed.nonce,
            &sealed.encrypt,
        )
        .expect("reply opens");
    assert_eq!(back.message, s(r, &["plaintext"]));
}

#[test]
fn sample_decrypt_opens_and_reencrypts_exactly() {
    let v = vectors();
    let d = &v["sample_decrypt"];
    let crypt = MsgCrypt::new(
        s(d, &["token"]),
        s(d, &["encoding_aes_key"]),
        s(d, &["appid"]),
    )
    .expect("crypt");
    let plain = crypt
        .open(
            s(d, &["msg_signature"]),
            s(d, &["timestamp"]),
            s(d, &["nonce"]),
            s(d, &["encrypt"]),
        )
        .expect("opens");
    assert_eq!(plain.message, s(d, &["msg"]));
    let again = crypt
        .encrypt_with_random(s(d, &["msg"]), random(s(d, &["random"])))
        .expect("encrypts");
    assert_eq!(again, s(d, &["encrypt"]));
}

#[test]
fn sample_encrypt_with_fixed_random_is_byte_exact() {
    let v = vectors();
    let e = &v["sample_encrypt_fixed_random"];
    // This vector has no token; any valid one will do, it is not part of the ciphertext.
    let crypt =
        MsgCrypt::new("unused", s(e, &["encoding_aes_key"]), s(e, &["appid"])).expect("crypt");
    let enc = crypt
        .encrypt_with_random(s(e, &["msg"]), random(s(e, &["random"])))
        .expect("encrypts");
    assert_eq!(enc, s(e, &["encrypt"]));
    assert_eq!(
        crypt.decrypt(&enc).expect("decrypts").message,
        s(e, &["msg"])
    );
}

#[test]
fn wecom_url_verification_uses_the_same_algorithm() {
    let v = vectors();
    let w = &v["url_verification_wecom"];
    let crypt = MsgCrypt::new(
        s(w, &["token"]),
        s(w, &["encoding_aes_key"]),
        s(w, &["receive_id"]),
    )
    .expect("crypt");
    let plain = crypt
        .open(
            s(w, &["msg_signature"]),
            s(w, &["timestamp"]),
            s(w, &["nonce"]),
            s(w, &["echostr"]),
        )
        .expect("opens");
    assert_eq!(plain.message, s(w, &["decrypted"]));
}

#[test]
fn previous_key_opens_during_a_key_change() {
    let old_key = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
    let new_key = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let old = MsgCrypt::new("tok3n", old_key, "wxplatform").expect("old");
    let sealed = old.seal("<xml/>", "1700000000", "n1").expect("seals");
    let new_only = MsgCrypt::new("tok3n", new_key, "wxplatform").expect("new");
    assert!(matches!(
        new_only.open(&sealed.msg_signature, "1700000000", "n1", &sealed.encrypt),
        Err(Error::MessageRejected(_))
    ));
    let both = new_only.with_previous_key(old_key).expect("previous");
    let plain = both
        .open(&sealed.msg_signature, "1700000000", "n1", &sealed.encrypt)
        .expect("opens with the previous key");
    assert!(plain.previous_key);
    assert_eq!(plain.message, "<xml/>");
    // What the new crypt encrypts opens with the current key.
    let fresh = both.seal("hi", "1", "2").expect("seals");
    assert!(!both.decrypt(&fresh.encrypt).expect("opens").previous_key);
}

#[test]
fn every_failure_after_validation_is_one_opaque_error() {
    let v = vectors();
    let o = &v["official_push_and_reply"];
    let (token, key) = (s(o, &["token"]), s(o, &["encoding_aes_key"]));
    let crypt = MsgCrypt::new(token, key, s(o, &["component_appid"])).expect("crypt");
    let (ts, nonce, enc) = (
        s(o, &["query", "timestamp"]),
        s(o, &["query", "nonce"]),
        s(o, &["encrypt"]),
    );
    let sig = s(o, &["query", "msg_signature"]);

    let cases = [
        (
            crypt.open("0".repeat(40).as_str(), ts, nonce, enc),
            FailureReason::Signature,
        ),
        (
            crypt.open(sig, "1715943330", nonce, enc),
            FailureReason::Signature,
        ),
        (crypt.open("", ts, nonce, enc), FailureReason::Signature),
        // The right signature, the wrong platform: the trailing appid does not match.
        (
            MsgCrypt::new(token, key, "wxsomeoneelse")
                .expect("crypt")
                .open(sig, ts, nonce, enc),
            FailureReason::AppId,
        ),
    ];
    for (got, reason) in cases {
        assert_eq!(got, Err(Error::MessageRejected(reason)));
        assert_eq!(
            Error::MessageRejected(reason).to_string(),
            "message rejected"
        );
    }
    // Upper-case hex is the same signature.
    assert!(crypt.open(&sig.to_uppercase(), ts, nonce, enc).is_ok());
    // Another key: bad padding (or, rarely, framing) — the same error either way.
    let other = MsgCrypt::new(
        token,
        "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
        "wx134c8103faa5a59e",
    )
    .expect("crypt");
    assert!(matches!(other.decrypt(enc), Err(Error::MessageRejected(_))));
}

#[test]
fn input_errors_are_distinct() {
    assert_eq!(
        MsgCrypt::new("tok3n", "short", "wxa").map(|_| ()),
        Err(InputError::EncodingAesKey)
    );
    assert_eq!(
        MsgCrypt::new("tok3n", &"!".repeat(43), "wxa").map(|_| ()),
        Err(InputError::EncodingAesKey)
    );
    for token in ["", "ab", "has space", &"a".repeat(33)] {
        assert_eq!(
            MsgCrypt::new(token, &"A".repeat(43), "wxa").map(|_| ()),
            Err(InputError::Token),
            "{token:?}"
        );
    }
    for appid in ["", "wx<", &"w".repeat(65)] {
        assert_eq!(
            MsgCrypt::new("tok3n", &"A".repeat(43), appid).map(|_| ()),
            Err(InputError::AppId)
        );
    }
    let crypt = MsgCrypt::new("tok3n", &"A".repeat(43), "wxa").expect("crypt");
    let sig = "0".repeat(40);
    let cases = [
        ("", InputError::EncryptLength),
        ("not base64!", InputError::Base64("Encrypt")),
        ("AAAAAAAAAAAAAAAAAAAAAA", InputError::Base64("Encrypt")), // no padding
        ("AAAAAAAAAAAAAAAAAAAA", InputError::EncryptLength),       // 15 bytes
        ("AAAAAAAAAAAAAAAAAAAAAAA=", InputError::EncryptLength),   // 17 bytes
    ];
    for (enc, want) in cases {
        assert_eq!(
            crypt.open(&sig, "1", "2", enc),
            Err(Error::InvalidInput(want)),
            "{enc:?}"
        );
    }
    let huge = "A".repeat(64 * 1024 + 4);
    assert_eq!(
        crypt.decrypt(&huge),
        Err(Error::InvalidInput(InputError::EncryptLength))
    );
    assert_eq!(
        crypt.encrypt(&"x".repeat(64 * 1024 + 1)),
        Err(Error::InvalidInput(InputError::MessageTooLarge))
    );
}

#[test]
fn signatures_sort_their_parts() {
    // sha1("123abcnoncetoken") — the parts sorted, then joined.
    assert_eq!(
        msg_signature("token", "123", "nonce", "abc"),
        msg_signature("abc", "nonce", "token", "123")
    );
    assert_eq!(url_signature("b", "a", "c"), url_signature("a", "b", "c"));
    assert_ne!(url_signature("a", "b", "c"), url_signature("a", "b", "d"));
}

#[test]
fn debug_never_shows_key_or_token() {
    let crypt = MsgCrypt::new("s3cretTok3n", &"A".repeat(43), "wxplatform").expect("crypt");
    let text = format!("{crypt:?}");
    assert!(text.contains("wxplatform"));
    assert!(!text.contains("s3cretTok3n") && !text.contains("AAAA"));
}
