//! Where the client's connections live: a runtime of the client's own, so that a pooled
//! connection outlives the runtime of whichever caller opened it.
//!
//! hyper spawns a connection's task on the runtime of the call that opens it, and every clone
//! of a client shares one pool. actix-web runs one single-threaded runtime per worker; a worker
//! that stops once its own requests are done would drop connections that another worker's call
//! is using, after its code has reached WeChat. So every call runs here, and the caller only
//! awaits the result.

use std::future::Future;

use tokio::runtime::{Handle, Runtime};
use tokio::task::JoinHandle;
use tracing::Instrument as _;

use crate::Error;

/// The client's runtime: one thread, stopped when the last clone of the client is dropped.
#[derive(Debug)]
pub(crate) struct Io {
    handle: Handle,
    runtime: Option<Runtime>,
}

impl Io {
    pub(crate) fn new() -> Result<Self, Error> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("wechat-io")
            .enable_all()
            .build()
            .map_err(Error::Runtime)?;
        Ok(Self {
            handle: runtime.handle().clone(),
            runtime: Some(runtime),
        })
    }

    /// Runs `call` on the client's runtime and awaits its result. Dropping the returned future
    /// cancels the call, as dropping the call itself would.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        call: impl Future<Output = Result<T, Error>> + Send + 'static,
    ) -> Result<T, Error> {
        // The caller's span (a request id) follows the call to its runtime.
        let mut task = Task(self.handle.spawn(call.instrument(tracing::Span::current())));
        match (&mut task.0).await {
            Ok(result) => result,
            Err(err) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
            // Only a runtime shut down under a caller cancels a task, and a caller holds the
            // client (so the runtime) until the call ends; kept as an error all the same.
            Err(_) => Err(Error::Runtime(std::io::Error::other(
                "the WeChat client's runtime stopped",
            ))),
        }
    }
}

impl Drop for Io {
    fn drop(&mut self) {
        // Never blocks, so the last clone may be dropped anywhere, inside a runtime or not.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// A spawned call that is aborted when its caller goes away.
struct Task<T>(JoinHandle<T>);

impl<T> Drop for Task<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}
