#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod data;
mod error;
mod key;
mod signature;

pub use data::{
    Ciphertext, Decrypted, Encrypted, Watermark, decrypt, decrypt_bytes, decrypt_checked, encrypt,
};
pub use error::{Error, FailureReason, InputError};
pub use key::{Iv, SessionKey};
pub use signature::{raw_data_signature, user_state_signature, verify_raw_data_signature};
