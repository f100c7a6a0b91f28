//! The HTTP servers of one replica: the API listener, and the metrics and admin listeners when
//! the settings give them their own addresses. Every listener closes a connection whose request
//! head (first or later) is not complete within `server.request_read_timeout_ms` ([`head_deadline`]).

use std::net::TcpListener;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::from_fn;
use actix_web::{App, web};
use anyhow::Context as _;

mod head_deadline;
mod listener;

use self::listener::Timeouts;
use super::body::ReadDeadline;
use super::middleware;
use super::openapi::Served;
use crate::metrics::Audience;
use crate::settings::Settings;
use crate::state::AppState;

/// A built, bound, not yet running service: the API listener, and the metrics and admin
/// listeners when the settings give them their own addresses.
pub struct Application {
    api: Server,
    extra: Vec<Server>,
    shutdown: Duration,
    port: u16,
    metrics_port: Option<u16>,
    admin_port: Option<u16>,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("port", &self.port)
            .field("metrics_port", &self.metrics_port)
            .field("admin_port", &self.admin_port)
            .finish_non_exhaustive()
    }
}

fn bind(key: &str, addr: &str) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr).with_context(|| format!("binding {key} {addr}"))
}

fn optional_bind(key: &str, addr: Option<&String>) -> anyhow::Result<Option<TcpListener>> {
    addr.map(|addr| bind(key, addr)).transpose()
}

fn port_of(listener: Option<&TcpListener>) -> anyhow::Result<Option<u16>> {
    Ok(match listener {
        Some(l) => Some(l.local_addr()?.port()),
        None => None,
    })
}

impl Application {
    /// Builds the servers around a prepared state (tests inject stores this way).
    pub fn build_with_state(settings: &Settings, state: AppState) -> anyhow::Result<Self> {
        let state = web::Data::new(state);
        // The eviction policy, checked once at start-up (and by every /readyz).
        let check = state.clone();
        tokio::spawn(async move {
            let _ = crate::domain::store_policy::check(&check).await;
        });
        // The app registry follows the store for as long as the servers hold the state.
        tokio::spawn(crate::domain::apps::follow::follow(
            std::sync::Arc::downgrade(&state.clone().into_inner()),
            Duration::from_millis(settings.store.apps_poll_interval_ms),
        ));
        // One replica per app and period reads the phone-number quota; every one exports it.
        crate::domain::phone::quota::spawn(state.clone().into_inner());
        // The platform's verify ticket: asked for when none is stored, its age kept current.
        crate::domain::component::ticket::watch(std::sync::Arc::downgrade(
            &state.clone().into_inner(),
        ));
        let server = &settings.server;
        let listener = bind("server.bind", &server.bind)?;
        let port = listener.local_addr()?.port();
        let metrics_listener = optional_bind("server.metrics_bind", server.metrics_bind.as_ref())?;
        let admin_listener = optional_bind("server.admin_bind", server.admin_bind.as_ref())?;
        let metrics_port = port_of(metrics_listener.as_ref())?;
        let admin_port = port_of(admin_listener.as_ref())?;
        let (metrics_here, admin_here) = (metrics_port.is_none(), admin_port.is_none());
        let deadline = ReadDeadline(Duration::from_millis(server.request_read_timeout_ms));
        let timeouts = Timeouts::of(server);
        let api_state = state.clone();
        let demo = state.web.demo_page;
        let api = listener::listen(
            listener::server(server, server.workers),
            "api",
            listener,
            timeouts,
            move || {
                App::new()
                    .app_data(api_state.clone())
                    .app_data(deadline)
                    .app_data(Served {
                        admin: admin_here,
                        metrics: metrics_here,
                    })
                    .wrap(from_fn(middleware::observe))
                    .configure(|cfg| super::configure(cfg, admin_here))
                    .configure(|cfg| {
                        if demo {
                            super::configure_demo(cfg);
                        }
                        if metrics_here {
                            super::configure_metrics(cfg, Audience::Public);
                        }
                    })
                    .default_service(web::to(super::not_found))
            },
        )?
        .run();
        // The other listeners: one worker each; only the API server answers signals, these stop
        // with it (below).
        let extra_server = || listener::server(server, Some(1)).disable_signals();
        let mut extra = Vec::new();
        if let Some(listener) = metrics_listener {
            let state = state.clone();
            let factory = move || {
                App::new()
                    .app_data(state.clone())
                    .configure(|cfg| super::configure_metrics(cfg, Audience::Operator))
                    .default_service(web::to(super::not_found))
            };
            extra.push(
                listener::listen(extra_server(), "metrics", listener, timeouts, factory)?.run(),
            );
        }
        if let Some(listener) = admin_listener {
            let factory = move || {
                App::new()
                    .app_data(state.clone())
                    .app_data(deadline)
                    .app_data(super::caller::AdminListener)
                    .wrap(from_fn(middleware::observe))
                    .configure(super::configure_admin)
                    .default_service(web::to(super::not_found))
            };
            extra.push(
                listener::listen(extra_server(), "admin", listener, timeouts, factory)?.run(),
            );
        }
        Ok(Self {
            api,
            extra,
            shutdown: Duration::from_secs(server.shutdown_timeout_secs),
            port,
            metrics_port,
            admin_port,
        })
    }

    /// The API port (useful with port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The metrics port, when `/metrics` has its own listener.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics_port
    }

    /// The admin port, when the admin API has its own listener.
    pub fn admin_port(&self) -> Option<u16> {
        self.admin_port
    }

    /// A handle to stop the API server.
    pub fn handle(&self) -> ServerHandle {
        self.api.handle()
    }

    /// Serves until SIGTERM/SIGINT (or a handle stops it), then drains in-flight requests; the
    /// other listeners stop with the API.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let handles: Vec<ServerHandle> = self.extra.iter().map(Server::handle).collect();
        let tasks: Vec<_> = self.extra.into_iter().map(tokio::spawn).collect();
        let result = self.api.await;
        // The other listeners drain for as long as the API did, and never hold the process.
        let grace = self.shutdown + Duration::from_secs(1);
        for handle in handles {
            let _ = tokio::time::timeout(grace, handle.stop(true)).await;
        }
        for task in tasks {
            let _ = tokio::time::timeout(grace, task).await;
        }
        result
    }
}
