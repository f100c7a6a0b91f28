#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod callbacks;
mod charge;
mod codes;
mod component;
mod push;
mod routes;
mod state;
mod tokens;

use std::net::SocketAddr;
use std::sync::Arc;

pub use charge::PHONE_SPU_ID;
pub use component::{ComponentStats, MerchantKind, MockComponent, MockMerchant, PushRecord};
pub use routes::phone_for;
pub use state::{MockApp, MockConfig, Stats, openid_for, unionid_for};

use state::State;

/// A simulator, ready to be served or mounted into another actix `App`.
#[derive(Debug, Clone)]
pub struct MockWechat {
    state: Arc<State>,
}

/// A simulator serving on a real socket.
#[derive(Debug)]
pub struct RunningMock {
    /// The base URL, e.g. `http://127.0.0.1:41234`.
    pub url: String,
    /// The bound address.
    pub addr: SocketAddr,
    handle: actix_web::dev::ServerHandle,
    mock: MockWechat,
    /// The periodic ticket pushes, when a platform is configured.
    pusher: Option<tokio::task::JoinHandle<()>>,
}

impl MockWechat {
    /// Builds a simulator for the given apps.
    pub fn new(config: MockConfig) -> Self {
        Self {
            state: Arc::new(State::new(config)),
        }
    }

    /// Adds the simulator's routes to an actix `App`.
    pub fn configure(&self, cfg: &mut actix_web::web::ServiceConfig) {
        routes::configure(cfg, self.state.clone());
    }

    /// Counters of what the simulator has answered.
    pub fn stats(&self) -> Stats {
        self.state.stats()
    }

    /// Counters of the simulated platform's side, when one is configured.
    pub fn component_stats(&self) -> Option<ComponentStats> {
        self.state
            .component
            .as_ref()
            .map(|p| p.lock().stats.clone())
    }

    /// Serves the simulator on `addr` (port 0 picks a free port) on the current tokio runtime.
    pub fn start(self, addr: SocketAddr) -> std::io::Result<RunningMock> {
        let mock = self.clone();
        let server = actix_web::HttpServer::new(move || {
            let mock = mock.clone();
            actix_web::App::new().configure(move |cfg| mock.configure(cfg))
        })
        .workers(1)
        .disable_signals()
        .shutdown_timeout(1)
        .bind(addr)?;
        let addr = server
            .addrs()
            .first()
            .copied()
            .ok_or_else(|| std::io::Error::other("simulator bound no address"))?;
        let server = server.run();
        let handle = server.handle();
        tokio::spawn(server);
        let pusher = self
            .state
            .component
            .as_ref()
            .map(|_| tokio::spawn(push::run(self.state.clone())));
        Ok(RunningMock {
            url: format!("http://{addr}"),
            addr,
            handle,
            mock: self,
            pusher,
        })
    }
}

impl RunningMock {
    /// Counters of what the simulator has answered.
    pub fn stats(&self) -> Stats {
        self.mock.stats()
    }

    /// Counters of the simulated platform's side, when one is configured.
    pub fn component_stats(&self) -> Option<ComponentStats> {
        self.mock.component_stats()
    }

    /// Stops the server (and the ticket pushes), waiting a moment for in-flight requests.
    pub async fn stop(mut self) {
        if let Some(pusher) = self.pusher.take() {
            pusher.abort();
        }
        self.handle.stop(true).await;
    }
}

impl Drop for RunningMock {
    fn drop(&mut self) {
        if let Some(pusher) = self.pusher.take() {
            pusher.abort();
        }
    }
}
