//! The rules of wxsession without a web framework or a Redis client: Cargo, not a script, keeps
//! the HTTP edge and the Redis store out of here. The layers, top down: `domain` → `store`
//! (the traits and the memory store); `state` is what a request's domain function is given;
//! `settings`, `metrics` and `telemetry` serve them all. The service crate (`wxsession`) adds
//! the HTTP edge, the Redis store, the command line and start-up (see docs/src/architecture.md).

pub mod domain;
pub mod metrics;
pub mod settings;
pub mod state;
pub mod store;
pub mod telemetry;
