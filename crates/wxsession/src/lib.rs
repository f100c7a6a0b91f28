//! wxsession: login and session service for WeChat mini-programs. The binary is a thin
//! `main.rs`; everything lives here so that tests build the real application. The layers, top
//! down: `cli` → `startup` → `http` → `domain` → `store` (see docs/src/architecture.md).

pub mod cli;
pub mod domain;
pub mod http;
pub mod metrics;
pub mod settings;
pub mod startup;
pub mod state;
pub mod store;
pub mod telemetry;
