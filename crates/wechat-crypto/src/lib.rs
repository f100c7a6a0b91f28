#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod data;
mod error;
mod key;
mod msg_crypt;
mod signature;
pub mod xml;

pub use data::{
    Ciphertext, Decrypted, Encrypted, Watermark, decrypt, decrypt_bytes, decrypt_checked, encrypt,
};
pub use error::{Error, FailureReason, InputError};
pub use key::{EncodingAesKey, Iv, SessionKey};
pub use msg_crypt::{MAX_MESSAGE_BYTES, MsgCrypt, Plaintext, Sealed};
pub use signature::{
    msg_signature, raw_data_signature, url_signature, user_state_signature,
    verify_raw_data_signature,
};
