#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod charge;
mod client;
mod code2session;
mod component;
mod credentials;
mod error;
mod io;
mod oauth;
mod send;
mod wxa;

pub use charge::{PACKAGE_ACTIVE, PAGE_LIMIT, Package, Usage};
pub use client::{Client, ClientConfig};
pub use code2session::{Code2Session, Code2SessionError};
pub use component::{
    Authorization, AuthorizationEvent, AuthorizerInfo, AuthorizerKind, AuthorizerPage,
    AuthorizerSummary, AuthorizerToken, ComponentError, ComponentEvent, ComponentPush, PreAuthCode,
};
pub use credentials::AccessToken;
pub use error::Error;
pub use oauth::{OAuthToken, UserInfo};
pub use secrecy::{ExposeSecret, SecretString};
pub use wechat_crypto::xml::XmlError;
pub use wxa::{PhoneError, PhoneInfo, Watermark};
