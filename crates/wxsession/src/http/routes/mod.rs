//! One module per resource; each registers its own routes.

pub mod admin;
pub mod component;
pub mod demo;
pub mod forward_auth;
pub mod health;
pub mod metrics;
pub mod sessions;
pub mod web;
