//! wxsession: login and session service for WeChat mini-programs. The binary is a thin
//! `main.rs`; everything lives here so that tests build the real application. This crate is the
//! HTTP edge (`http`), the Redis store (`store::RedisStore`), the command line and start-up; the
//! rules live in `wxsession-core` (re-exported under the same names), which names neither
//! actix-web nor redis. The layers, top down: `cli` → `startup` → `http` → `domain` → `store`
//! (see docs/src/architecture.md).

pub mod cli;
pub mod http;
pub mod startup;
pub mod store;

pub use wxsession_core::{domain, metrics, settings, state, telemetry};
