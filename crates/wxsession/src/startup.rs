//! Builds the whole graph once — store, WeChat client, metrics — and the HTTP servers.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use anyhow::Context as _;

use crate::metrics::{Audience, Metrics};
use crate::routes::body::ReadDeadline;
use crate::settings::{Backend, Connection, Mode, Settings};
use crate::state::{AppEntry, AppState};
use crate::store::{MemoryStore, RedisStore, Store, Topology};
use crate::{middleware, routes};

/// A built, bound, not yet running service: the API listener, and the metrics and admin
/// listeners when the settings give them their own addresses.
pub struct Application {
    api: Server,
    extra: Vec<Server>,
    port: u16,
    metrics_port: Option<u16>,
    admin_port: Option<u16>,
}

/// The store the settings ask for.
pub fn build_store(settings: &Settings) -> anyhow::Result<Arc<dyn Store>> {
    let s = &settings.store;
    Ok(match s.backend {
        Backend::Memory => Arc::new(MemoryStore::new(settings.session.max_lifetime_secs)),
        Backend::Redis => Arc::new(RedisStore::new(
            match s.mode {
                Mode::Standalone => Topology::Standalone(&s.url),
                Mode::Cluster => Topology::Cluster(&s.urls),
                Mode::Sentinel => Topology::Sentinel {
                    sentinels: &s.sentinels,
                    master_name: s.master_name.as_deref().unwrap_or_default(),
                    master: &s.url,
                },
            },
            &s.key_prefix,
            (s.connection == Connection::Pool).then_some(s.pool_size),
            settings.store_timeout(),
            settings.session.max_lifetime_secs,
            match &s.tls_ca_file {
                Some(path) => Some(
                    std::fs::read(path)
                        .with_context(|| format!("reading store.tls_ca_file {}", path.display()))?,
                ),
                None => None,
            },
        )?),
    })
}

/// The shared state the settings describe, around `store`.
pub fn build_state(settings: &Settings, store: Arc<dyn Store>) -> anyhow::Result<AppState> {
    let apps = settings.apps()?;
    let w = &settings.wechat;
    let client_config = wechat_client::ClientConfig {
        base_url: w.api_base.clone(),
        connect_timeout: Duration::from_millis(w.connect_timeout_ms),
        request_timeout: Duration::from_millis(w.timeout_ms),
        retries: w.retries,
        allow_http: w.allow_insecure_http,
        ..wechat_client::ClientConfig::default()
    };
    // The longest one exchange can take: every attempt, its backoff, and a margin.
    let attempts = u64::from(w.retries) + 1;
    let code_wait = Duration::from_millis(attempts * (w.timeout_ms + 200) + 1000);
    let default_app = match apps.as_slice() {
        [only] => Some(only.appid.clone()),
        _ => None,
    };
    let metrics = Metrics::new();
    for app in &apps {
        metrics.init_app(&app.appid);
    }
    Ok(AppState {
        store,
        wechat: wechat_client::Client::new(client_config).context("building the WeChat client")?,
        default_app,
        apps: apps
            .into_iter()
            .map(|a| {
                let entry = AppEntry::new(a.secret, w.max_concurrent_calls_per_app);
                (a.appid, entry)
            })
            .collect(),
        admin_token: settings.admin_token()?,
        metrics,
        idle_ttl_secs: settings.session.idle_ttl_secs,
        max_lifetime_secs: settings.session.max_lifetime_secs,
        max_sessions_per_user: settings.session.max_sessions_per_user,
        store_timeout: settings.store_timeout(),
        code_wait,
        limits: crate::limits::Limits {
            login_per_ip: settings.limits.login_per_ip_per_minute,
            decrypt_failures_per_session: settings.limits.decrypt_failures_per_session_per_minute,
            trusted_proxies: settings.trusted_proxies()?,
        },
        keyring: settings.keyring()?,
    })
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
    /// Builds everything from settings.
    pub fn build(settings: &Settings) -> anyhow::Result<Self> {
        let store = build_store(settings)?;
        Self::build_with_state(settings, build_state(settings, store)?)
    }

    /// Builds the servers around a prepared state (tests inject stores this way).
    pub fn build_with_state(settings: &Settings, state: AppState) -> anyhow::Result<Self> {
        let state = web::Data::new(state);
        let server = &settings.server;
        let listener = bind("server.bind", &server.bind)?;
        let port = listener.local_addr()?.port();
        let metrics_listener = optional_bind("server.metrics_bind", server.metrics_bind.as_ref())?;
        let admin_listener = optional_bind("server.admin_bind", server.admin_bind.as_ref())?;
        let metrics_port = port_of(metrics_listener.as_ref())?;
        let admin_port = port_of(admin_listener.as_ref())?;
        let (metrics_here, admin_here) = (metrics_port.is_none(), admin_port.is_none());
        let deadline = ReadDeadline(Duration::from_millis(server.request_read_timeout_ms));
        let shutdown = server.shutdown_timeout_secs;
        let api_state = state.clone();
        let mut api = HttpServer::new(move || {
            App::new()
                .app_data(api_state.clone())
                .app_data(deadline)
                .wrap(from_fn(middleware::observe))
                .configure(|cfg| routes::configure(cfg, admin_here))
                .configure(|cfg| {
                    if metrics_here {
                        routes::configure_metrics(cfg, Audience::Public);
                    }
                })
                .default_service(web::to(routes::not_found))
        })
        .client_request_timeout(deadline.0)
        .shutdown_timeout(shutdown)
        .max_connection_rate(4096)
        .backlog(4096);
        if let Some(workers) = server.workers {
            api = api.workers(workers);
        }
        let api = api.listen(listener)?.run();
        let mut extra = Vec::new();
        if let Some(listener) = metrics_listener {
            let state = state.clone();
            extra.push(
                HttpServer::new(move || {
                    App::new()
                        .app_data(state.clone())
                        .configure(|cfg| routes::configure_metrics(cfg, Audience::Operator))
                        .default_service(web::to(routes::not_found))
                })
                .workers(1)
                .shutdown_timeout(shutdown)
                .listen(listener)?
                .run(),
            );
        }
        if let Some(listener) = admin_listener {
            extra.push(
                HttpServer::new(move || {
                    App::new()
                        .app_data(state.clone())
                        .app_data(deadline)
                        .wrap(from_fn(middleware::observe))
                        .configure(routes::configure_admin)
                        .default_service(web::to(routes::not_found))
                })
                .client_request_timeout(deadline.0)
                .workers(1)
                .shutdown_timeout(shutdown)
                .listen(listener)?
                .run(),
            );
        }
        Ok(Self {
            api,
            extra,
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
        for handle in handles {
            handle.stop(true).await;
        }
        for task in tasks {
            let _ = task.await;
        }
        result
    }
}
