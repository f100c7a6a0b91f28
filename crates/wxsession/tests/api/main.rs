//! Black-box tests of the service over real HTTP, against a real redis-server and the WeChat
//! simulator, organised by capability. One test binary; each test uses a fresh key prefix.

#![allow(clippy::indexing_slicing, clippy::unwrap_used)]

mod helpers;

/// The contract every endpoint shares: error bodies, bad input, request reading, OpenAPI,
/// metrics.
mod contract {
    mod bad_input;
    mod connections;
    mod errors;
    mod metrics;
    mod openapi;
    mod requests;
}

mod access_token;
mod access_token_bounds;
mod admin;
mod apps;
mod cache;
/// A code's two ids while its derivation moves to HKDF, beside the releases either side.
mod code_ids;
mod component;
mod component_faults;
mod component_portal;
mod component_recover;
mod component_ticket;
mod config;
/// WeChat's real answers (docs, SDK fixtures, issues) replayed through a stand-in over HTTP.
mod corpus;
mod decrypt;
mod demo;
mod limits;
mod login;
mod phone;
mod phone_quota;
mod phone_remembered;
mod process;
mod runtime_apps;
mod sessions;
mod store;
mod web_login;

/// Redis topologies and failures: Cluster, Sentinel, AUTH/ACL, TLS, Redis down, Redis full,
/// and real network partitions (Redis, the simulator).
mod topology {
    mod cluster;
    mod cluster_platform;
    mod partition;
    mod redis_auth_tls;
    mod redis_down;
    mod redis_full;
    mod redis_version;
    pub(crate) mod sentinel;
    mod staleness;
}
/// A key rotation keeps every merchant: refresh tokens are re-sealed, and one WeChat rotates
/// while a record changes is kept.
mod component_keys;
/// A merchant's app: decrypt, unionid links, phone and key calls with its authorizer token.
mod component_merchants;
/// The real binary as a third-party platform, and Redis' values, for the secrets tests.
mod component_process;
/// `61023`: a refused refresh token stops the merchant until it authorizes again.
mod component_reauthorization;
/// No secret of the platform in a log or in Redis in the clear.
mod component_secrets;
