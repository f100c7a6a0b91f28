//! Black-box tests of the service over real HTTP, against a real redis-server and the WeChat
//! simulator. One test binary; each test uses a fresh key prefix.

#![allow(clippy::indexing_slicing, clippy::unwrap_used)]

mod helpers;

mod cluster;
mod config;
mod errors;
mod expiry;
mod flow;
mod hardening;
mod keys;
mod metrics;
mod openapi;
mod process;
mod redis_down;
mod replicas;
mod security;
mod store;
