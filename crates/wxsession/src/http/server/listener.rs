//! One listener as actix-web's `HttpServer::listen` builds it (actix-server accepting, an
//! actix-http HTTP/1 service per connection), with the connection wrapped in [`Deadlined`] so
//! that every request head has a deadline, an idle keep-alive timeout, and a bound on open
//! connections. `HttpServer` gives no way to wrap the stream, hence this file.

use std::net::TcpListener;
use std::num::NonZeroUsize;
use std::time::Duration;

use actix_http::body::MessageBody;
use actix_http::{HttpService, Request, Response};
use actix_server::ServerBuilder;
use actix_service::{IntoServiceFactory, Service, ServiceFactory, ServiceFactoryExt as _};
use actix_web::dev::AppConfig;
use tokio::net::TcpStream;

use super::head_deadline::{Deadlined, Phase};
use crate::settings::ServerSettings;

/// What every connection of a listener gets.
#[derive(Debug, Clone, Copy)]
pub(super) struct Timeouts {
    /// Each request head, from its first byte (and the first one from the connection's start).
    pub head: Duration,
    /// An idle keep-alive connection.
    pub keep_alive: Duration,
}

impl Timeouts {
    pub(super) fn of(settings: &ServerSettings) -> Self {
        Self {
            head: Duration::from_millis(settings.request_read_timeout_ms),
            keep_alive: Duration::from_secs(settings.keep_alive_secs),
        }
    }
}

/// A server of `workers` threads. actix bounds connections per worker, so
/// `server.max_connections` (per replica) is divided between them, rounding up.
pub(super) fn server(settings: &ServerSettings, workers: Option<usize>) -> ServerBuilder {
    let workers = workers
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, NonZeroUsize::get));
    ServerBuilder::new()
        .workers(workers)
        .backlog(4096)
        .max_concurrent_connections(settings.max_connections.div_ceil(workers))
        .shutdown_timeout(settings.shutdown_timeout_secs)
}

/// Adds `listener` to `server`, serving the app `factory` builds (once per worker).
pub(super) fn listen<F, I, S, B>(
    server: ServerBuilder,
    name: &str,
    listener: TcpListener,
    timeouts: Timeouts,
    factory: F,
) -> std::io::Result<ServerBuilder>
where
    F: Fn() -> I + Send + Clone + 'static,
    I: IntoServiceFactory<S, Request>,
    S: ServiceFactory<Request, Config = AppConfig> + 'static,
    S::Error: Into<actix_web::Error> + 'static,
    S::InitError: std::fmt::Debug,
    S::Response: Into<Response<B>> + 'static,
    <S::Service as Service<Request>>::Future: 'static,
    S::Service: 'static,
    B: MessageBody + 'static,
{
    let addr = listener.local_addr()?;
    let graceful = server.graceful_shutdown_signal();
    server.listen(name, listener, move || {
        let signal = graceful.clone();
        let app = factory()
            .into_factory()
            .map_err(|err| err.into().error_response());
        // The app reads no host or address from its config (it has the request's own).
        let app = actix_service::map_config(app, |()| AppConfig::default());
        // The head is complete when the service takes the request; its answer ends it.
        let app = actix_service::apply_fn_factory(app, |req: Request, service: &_| {
            let phase = req.conn_data::<Phase>().cloned();
            if let Some(phase) = &phase {
                phase.started();
            }
            let answer = Service::call(service, req);
            async move {
                let answer = answer.await;
                if let Some(phase) = phase {
                    phase.answered();
                }
                answer
            }
        });
        let http = HttpService::build()
            .keep_alive(timeouts.keep_alive)
            .client_request_timeout(timeouts.head)
            .client_disconnect_timeout(Duration::from_secs(1))
            .h1_allow_half_closed(true)
            .local_addr(addr)
            .graceful_shutdown_signal(move || {
                let signal = signal.clone();
                async move { signal.notified().await }
            })
            .on_connect_ext(|io: &Deadlined, data| {
                data.insert(io.phase());
            })
            .h1(app);
        actix_service::fn_service(move |io: TcpStream| {
            let peer = io.peer_addr().ok();
            std::future::ready(Ok((
                Deadlined::new(io, timeouts.head, timeouts.keep_alive),
                peer,
            )))
        })
        .and_then(http)
    })
}
