#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod client;
mod error;

pub use client::{Client, ClientConfig, Code2Session};
pub use error::Error;
pub use secrecy::{ExposeSecret, SecretString};
