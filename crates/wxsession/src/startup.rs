//! Builds the whole graph once — store, WeChat client, metrics — and the HTTP servers.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use anyhow::Context as _;

use crate::metrics::Metrics;
use crate::settings::{Backend, Connection, Mode, Settings};
use crate::state::AppState;
use crate::store::{MemoryStore, RedisStore, Store, Topology};
use crate::{middleware, routes};

/// A built, bound, not yet running service.
pub struct Application {
    api: Server,
    metrics: Option<Server>,
    port: u16,
    metrics_port: Option<u16>,
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
        apps: apps.into_iter().map(|a| (a.appid, a.secret)).collect(),
        admin_token: settings.admin_token()?,
        metrics,
        idle_ttl_secs: settings.session.idle_ttl_secs,
        max_lifetime_secs: settings.session.max_lifetime_secs,
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
            .finish_non_exhaustive()
    }
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
        let listener = TcpListener::bind(&settings.server.bind)
            .with_context(|| format!("binding server.bind {}", settings.server.bind))?;
        let port = listener.local_addr()?.port();
        let metrics_listener = match &settings.server.metrics_bind {
            Some(bind) => Some(
                TcpListener::bind(bind)
                    .with_context(|| format!("binding server.metrics_bind {bind}"))?,
            ),
            None => None,
        };
        let separate_metrics = metrics_listener.is_some();
        let api_state = state.clone();
        let mut api = HttpServer::new(move || {
            App::new()
                .app_data(api_state.clone())
                .wrap(from_fn(middleware::observe))
                .configure(routes::configure)
                .configure(|cfg| {
                    if !separate_metrics {
                        routes::configure_metrics(cfg);
                    }
                })
                .default_service(web::to(routes::not_found))
        })
        .shutdown_timeout(settings.server.shutdown_timeout_secs)
        .max_connection_rate(4096)
        .backlog(4096);
        if let Some(workers) = settings.server.workers {
            api = api.workers(workers);
        }
        let api = api.listen(listener)?.run();
        let (metrics, metrics_port) = match metrics_listener {
            Some(listener) => {
                let metrics_port = listener.local_addr()?.port();
                let server = HttpServer::new(move || {
                    App::new()
                        .app_data(state.clone())
                        .configure(routes::configure_metrics)
                        .default_service(web::to(routes::not_found))
                })
                .workers(1)
                .shutdown_timeout(settings.server.shutdown_timeout_secs)
                .listen(listener)?
                .run();
                (Some(server), Some(metrics_port))
            }
            None => (None, None),
        };
        Ok(Self {
            api,
            metrics,
            port,
            metrics_port,
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

    /// A handle to stop the API server.
    pub fn handle(&self) -> ServerHandle {
        self.api.handle()
    }

    /// Serves until SIGTERM/SIGINT (or a handle stops it), then drains in-flight requests.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        match self.metrics {
            Some(metrics) => {
                let metrics_handle = metrics.handle();
                let metrics_task = tokio::spawn(metrics);
                let result = self.api.await;
                metrics_handle.stop(true).await;
                let _ = metrics_task.await;
                result
            }
            None => self.api.await,
        }
    }
}
