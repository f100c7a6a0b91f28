#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod client;
mod code2session;
mod error;

pub use client::{Client, ClientConfig};
pub use code2session::{Code2Session, Code2SessionError};
pub use error::Error;
pub use secrecy::{ExposeSecret, SecretString};
