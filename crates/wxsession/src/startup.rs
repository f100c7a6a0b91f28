//! Builds the whole graph once — store, WeChat client, metrics, state — for the HTTP servers
//! (`http::server`).

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;

use crate::domain::apps::Apps;
use crate::domain::clock::{Clock, SystemClock};
pub use crate::http::server::Application;
use crate::metrics::Metrics;
use crate::settings::{Backend, Connection, Mode, Settings};
use crate::state::AppState;
use crate::store::timed::Timed;
use crate::store::{LocalCache, MemoryStore, RedisStore, Store, StoreError, Topology};

/// The store the settings ask for, on `clock`; with the local validation cache when
/// `session.local_cache` is on and the touch interval is more than 0 (Redis only).
pub fn build_store(settings: &Settings, clock: Arc<dyn Clock>) -> anyhow::Result<Arc<dyn Store>> {
    let s = &settings.store;
    if s.backend == Backend::Memory {
        return Ok(Arc::new(
            MemoryStore::new(settings.session.max_lifetime_secs).with_clock(clock),
        ));
    }
    let topology = match s.mode {
        Mode::Standalone => Topology::Standalone(&s.url),
        Mode::Cluster => Topology::Cluster(&s.urls),
        Mode::Sentinel => Topology::Sentinel {
            sentinels: &s.sentinels,
            master_name: s.master_name.as_deref().unwrap_or_default(),
            master: &s.url,
        },
    };
    let tls_ca = match &s.tls_ca_file {
        Some(path) => Some(
            std::fs::read(path)
                .with_context(|| format!("reading store.tls_ca_file {}", path.display()))?,
        ),
        None => None,
    };
    let store = RedisStore::new(
        topology,
        &s.key_prefix,
        (s.connection == Connection::Pool).then_some(s.pool_size),
        settings.store_timeout(),
        settings.session.max_lifetime_secs,
        tls_ca.clone(),
    )?
    .with_buckets(s.buckets, s.also_read_buckets)
    .with_clock(clock);
    if let Some(also_read) = s.also_read_buckets {
        tracing::info!(
            buckets = s.buckets,
            also_read_buckets = also_read,
            "entries are written under store.buckets and read under both counts (a change of the bucket count)"
        );
    }
    let session = &settings.session;
    if !session.local_cache || session.touch_interval() == 0 {
        return Ok(Arc::new(store));
    }
    let cache = LocalCache {
        entries: session.local_cache_entries,
        idle_ttl_secs: session.idle_ttl_secs,
        touch_interval_secs: session.touch_interval(),
        timeout: settings.store_timeout(),
    };
    Ok(Arc::new(store.with_local_cache(topology, tls_ca, cache)?))
}

/// The shared state the settings describe, around `store` and on `clock` (the store's own:
/// production passes [`SystemClock`], tests a clock they move).
pub fn build_state(
    settings: &Settings,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<AppState> {
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
    let metrics = Metrics::new();
    store.count_old_layout_reads(metrics.store_old_layout_reads_total.clone());
    if let Some(cache) = store.session_cache() {
        cache.count_into(&metrics);
    }
    for app in &apps {
        metrics.init_app(app.appid.as_str());
        if app.kind.is_web() {
            metrics.init_web_app(app.appid.as_str());
        }
    }
    for appid in settings.metrics.labelled()? {
        metrics.init_app(appid.as_str());
    }
    // Every other app counts here.
    metrics.init_app(crate::metrics::OTHER_APP);
    let apps = Apps::new(apps, w.max_concurrent_calls_per_app);
    metrics.set_apps(&apps);
    Ok(AppState {
        store,
        clock,
        wechat: wechat_client::Client::new(client_config).context("building the WeChat client")?,
        apps,
        durability: settings.store.durability,
        admin_token: settings.admin_token()?,
        credential_readers: settings.admin.credential_readers()?,
        force_refresh_per_day: w.force_refresh_per_app_per_day,
        idle_ttl_secs: settings.session.idle_ttl_secs,
        max_lifetime_secs: settings.session.max_lifetime_secs,
        max_sessions_per_user: settings.session.max_sessions_per_user,
        timed: Timed::new(settings.store_timeout(), metrics.clone()),
        metrics,
        code_wait,
        limits: crate::domain::limits::policy::Limits {
            login_per_ip: settings.limits.login_per_ip_per_minute,
            web_login_per_ip: settings.limits.web_login_per_ip_per_minute,
            phone_lookups_per_session: settings.limits.phone_lookups_per_session_per_minute,
            key_status_per_session: settings.limits.key_status_per_session_per_minute,
            decrypt_failures_per_session: settings.limits.decrypt_failures_per_session_per_minute,
            trusted_proxies: settings.trusted_proxies()?,
        },
        keyring: settings.keyring()?,
        eviction_policy: std::sync::Mutex::new(None),
        web: web_config(settings)?,
        phone: crate::state::PhoneConfig {
            remember_secs: settings.phone.remember_secs(),
            quota_poll_secs: settings.phone.quota_poll_secs,
            quota_spu_id: settings.phone.quota_spu_id.clone(),
        },
        component: settings.component()?,
    })
}

/// The browser logins' settings: the allowed origins include the service's own.
fn web_config(settings: &Settings) -> anyhow::Result<crate::state::WebConfig> {
    let public = settings.server.public_url();
    let mut allowed_origins = settings.web.origins();
    if let Some((_, own)) = &public {
        allowed_origins.push(own.clone());
    }
    Ok(crate::state::WebConfig {
        public_url: public.map(|(url, _)| url),
        allowed_origins,
        open_base: settings.wechat.open_base.trim_end_matches('/').to_owned(),
        mp_base: settings.wechat.mp_base.trim_end_matches('/').to_owned(),
        secure_cookies: !settings.web.insecure_cookies,
        demo_page: settings.web.demo_page,
        state_keys: std::sync::Arc::new(settings.web.state_keys()?),
    })
}

/// Builds everything from settings, on the system clock: store, state, servers. Refuses a
/// Redis older than the store needs ([`check_store_version`]).
pub async fn build(settings: &Settings) -> anyhow::Result<Application> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let store = build_store(settings, clock.clone())?;
    check_store_version(store.as_ref(), settings.store_timeout()).await?;
    let state = build_state(settings, store, clock)?;
    // The apps added at runtime, before the first request (else the registry follows the
    // store as soon as it answers, and logins of those apps answer 503 until then).
    let started = std::time::Instant::now();
    match crate::domain::apps::follow::load(&state).await {
        Ok(()) => tracing::info!(
            apps = state.apps.others_len(),
            elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            "apps read from the store"
        ),
        Err(err) => tracing::warn!(
            error = %err,
            "the store's apps could not be read at start-up: they are read when it answers"
        ),
    }
    Application::build_with_state(settings, state)
}

/// Fails when the store's server is too old (Redis before 7.0: see the README's Redis
/// requirements). A store that does not answer yet is not waited for: the replica starts, and
/// every `/readyz` checks the version again, answering 503 until the store answers and is new
/// enough.
pub async fn check_store_version(store: &dyn Store, timeout: Duration) -> anyhow::Result<()> {
    match tokio::time::timeout(timeout, store.server_version()).await {
        Ok(Ok(Some(version))) => tracing::info!(redis_version = version, "Redis version"),
        Ok(Ok(None)) => {}
        Ok(Err(StoreError::Unsupported(why))) => anyhow::bail!(why),
        Ok(Err(err)) => tracing::warn!(
            error = %crate::telemetry::error_chain(&err),
            "the store did not answer at start-up: its version is checked when it does (/readyz)"
        ),
        Err(_) => tracing::warn!(
            "the store did not answer at start-up in time: its version is checked when it does (/readyz)"
        ),
    }
    Ok(())
}
