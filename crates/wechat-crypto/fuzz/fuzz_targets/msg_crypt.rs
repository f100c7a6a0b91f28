//! Fuzzes a platform push end to end (envelope XML, signature, decryption, inner XML) with
//! arbitrary bytes: it must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wechat_crypto::MsgCrypt;
use wechat_crypto::xml::{parse_envelope, parse_fields};

fuzz_target!(|data: &[u8]| {
    let Ok(crypt) = MsgCrypt::new(
        "tok3n",
        "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
        "wxfuzz",
    ) else {
        return;
    };
    // The body as an envelope; whatever it holds as Encrypt goes through verify and decrypt.
    if let Ok(envelope) = parse_envelope(data) {
        let _ = crypt.open(
            "0000000000000000000000000000000000000000",
            "1",
            "2",
            &envelope.encrypt,
        );
        if let Ok(plain) = crypt.decrypt(&envelope.encrypt) {
            let _ = parse_fields(plain.message.as_bytes());
        }
    }
    // The bytes as Encrypt text directly, and as an inner message.
    let text = String::from_utf8_lossy(data);
    let _ = crypt.decrypt(&text);
    let _ = parse_fields(data);
    // Whatever decrypts to valid framing with the right appid must open again after sealing.
    if let Ok(sealed) = crypt.seal(&text, "1", "2") {
        let _ = crypt.open(&sealed.msg_signature, "1", "2", &sealed.encrypt);
    }
});
