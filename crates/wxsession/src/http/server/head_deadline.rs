//! A deadline on every request head of a connection, not only the first.
//!
//! actix-http 3 (`h1/dispatcher.rs`, 3.19 and 3.20 alike) arms its head timer
//! (`client_request_timeout`) once per connection, on its first poll, and clears it for good when
//! the first request is parsed; its keep-alive timer is cleared by the first byte of the next
//! request. A later head that never completes is held with no timer at all, with its buffers,
//! for as long as the client likes. [`Deadlined`] wraps the TCP stream and closes that gap: the
//! first byte of a head starts `server.request_read_timeout_ms`, the service taking the request
//! (the head is complete) stops it, and past it the connection gets a `408` and reads end of
//! file, so actix closes it.

use std::cell::Cell;
use std::future::Future as _;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::{Instant, Sleep, sleep_until};

/// What a client that runs out of time reads, as actix answers a slow first head.
const TIMED_OUT: &[u8] =
    b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";

/// Where a connection is between its requests.
#[derive(Debug, Clone, Copy)]
enum State {
    /// No request in the service and nothing read since the last one.
    Idle,
    /// A head is arriving and must be complete by `deadline`; `answer`: a `408` can be written
    /// (no response of an earlier request may still be on its way).
    Head { deadline: Instant, answer: bool },
    /// A request is in the service; `read_more`: bytes arrived meanwhile (its body, or the
    /// start of the next head).
    Busy { read_more: bool },
    /// The deadline passed: the connection reads end of file.
    Expired,
}

#[derive(Debug)]
struct Shared {
    state: Cell<State>,
    timeout: Duration,
    /// How long actix keeps an idle connection open.
    keep_alive: Duration,
}

/// The state a connection shares with the requests read from it (through actix's
/// `conn_data`): the service marks when it takes a request and when it answers.
#[derive(Debug, Clone)]
pub(super) struct Phase(Rc<Shared>);

impl Phase {
    fn get(&self) -> State {
        self.0.state.get()
    }

    fn set(&self, state: State) {
        self.0.state.set(state);
    }

    /// The service took a request: its head is complete.
    pub(super) fn started(&self) {
        self.set(State::Busy { read_more: false });
    }

    /// The service answered. Bytes that arrived meanwhile may begin the next head, or may have
    /// been the request's own body (then the connection is merely idle, and actix's keep-alive
    /// closes it): which, only actix knows, so the deadline starts now and is the longer of the
    /// two — a later head is still bounded, and an idle connection is never closed before its
    /// keep-alive.
    pub(super) fn answered(&self) {
        self.set(match self.get() {
            State::Busy { read_more: false } => State::Idle,
            State::Busy { read_more: true } => State::Head {
                deadline: Instant::now() + self.0.timeout.max(self.0.keep_alive),
                answer: false,
            },
            other => other,
        });
    }
}

/// A TCP connection whose request heads each get `timeout`.
#[derive(Debug)]
pub(super) struct Deadlined {
    io: TcpStream,
    phase: Phase,
    /// One timer per connection, moved rather than re-created (no allocation per request).
    timer: Option<Pin<Box<Sleep>>>,
}

impl Deadlined {
    pub(super) fn new(io: TcpStream, timeout: Duration, keep_alive: Duration) -> Self {
        let shared = Shared {
            state: Cell::new(State::Idle),
            timeout,
            keep_alive,
        };
        Self {
            io,
            phase: Phase(Rc::new(shared)),
            timer: None,
        }
    }

    /// The handle the connection's requests carry.
    pub(super) fn phase(&self) -> Phase {
        self.phase.clone()
    }

    /// Whether `deadline` has passed; if not, the task is woken at it. A timer left at an
    /// earlier head's deadline fires early and is moved then, so under load the timer is
    /// re-registered about once per deadline, not once per request.
    fn expired(&mut self, cx: &mut Context<'_>, deadline: Instant) -> bool {
        let timer = self
            .timer
            .get_or_insert_with(|| Box::pin(sleep_until(deadline)));
        loop {
            if timer.as_mut().poll(cx).is_pending() {
                return false;
            }
            if Instant::now() >= deadline {
                return true;
            }
            timer.as_mut().reset(deadline);
        }
    }

    /// After a write: a head armed by [`Phase::answered`] gets its wake-up.
    fn watch(&mut self, cx: &mut Context<'_>) {
        if let State::Head { deadline, .. } = self.phase.get() {
            let _ = self.expired(cx, deadline);
        }
    }
}

impl AsyncRead for Deadlined {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match this.phase.get() {
            State::Expired => return Poll::Ready(Ok(())),
            State::Head { deadline, answer } if this.expired(cx, deadline) => {
                if answer {
                    // Best effort: a client that does not read gets the close alone.
                    let _ = Pin::new(&mut this.io).poll_write(cx, TIMED_OUT);
                }
                this.phase.set(State::Expired);
                return Poll::Ready(Ok(()));
            }
            _ => {}
        }
        let before = buf.filled().len();
        let read = Pin::new(&mut this.io).poll_read(cx, buf);
        if buf.filled().len() > before {
            match this.phase.get() {
                State::Idle => {
                    let deadline = Instant::now() + this.phase.0.timeout;
                    this.phase.set(State::Head {
                        deadline,
                        answer: true,
                    });
                    let _ = this.expired(cx, deadline);
                }
                State::Busy { .. } => this.phase.set(State::Busy { read_more: true }),
                State::Head { .. } | State::Expired => {}
            }
        }
        read
    }
}

impl AsyncWrite for Deadlined {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let written = Pin::new(&mut this.io).poll_write(cx, buf);
        this.watch(cx);
        written
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let written = Pin::new(&mut this.io).poll_write_vectored(cx, bufs);
        this.watch(cx);
        written
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}
