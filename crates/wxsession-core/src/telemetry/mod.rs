//! Structured logs: JSON in `serve`, human-readable in `dev`. `RUST_LOG` overrides the level.
//! Every format escapes control characters, so that text from outside (WeChat's `errmsg`, say)
//! cannot start a forged log line.
//!
//! Lines are formatted on the request's thread and written to stdout by a thread of their own
//! through a bounded queue (`tracing-appender`'s non-blocking writer): a slow stdout (a pipe
//! into a busy log shipper) never stalls a request. When the queue is full a line is dropped,
//! not waited for, and counted (`wxsession_log_lines_dropped_total`).

use std::fmt::Write as _;
use std::sync::OnceLock;

use tracing_appender::non_blocking::{ErrorCounter, NonBlockingBuilder, WorkerGuard};

mod request_line;

pub use self::request_line::{RequestLine, request};

use tracing_subscriber::EnvFilter;
use tracing_subscriber::field::MakeExt as _;
use tracing_subscriber::fmt::MakeWriter;

/// How log lines look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// One JSON object per line.
    Json,
    /// Human-readable.
    Text,
}

/// Lines the writer queue holds before it drops: ~10 MiB of request lines.
const QUEUE_LINES: usize = 64 * 1024;

/// The writer's count of dropped lines, once logging is set up.
static DROPPED: OnceLock<ErrorCounter> = OnceLock::new();

/// The writer, for the request lines written without the generic formatter (JSON only).
static FAST: OnceLock<tracing_appender::non_blocking::NonBlocking> = OnceLock::new();

/// Lines dropped so far because the writer's queue was full.
pub fn dropped_lines() -> u64 {
    DROPPED
        .get()
        .map_or(0, |c| u64::try_from(c.dropped_lines()).unwrap_or(u64::MAX))
}

/// Stdout for the writer thread, buffered: the thread writes every line it has queued, then
/// flushes, so that under load many lines leave in one `write` (`std::io::stdout()` would
/// flush at every newline). A duplicate of descriptor 1, so that it shares its offset and
/// mode; plain `stdout()` where the duplicate cannot be made.
fn batched_stdout() -> Box<dyn std::io::Write + Send> {
    use std::os::fd::AsFd as _;
    match std::io::stdout().as_fd().try_clone_to_owned() {
        Ok(fd) => Box::new(std::io::BufWriter::with_capacity(
            64 * 1024,
            std::fs::File::from(fd),
        )),
        Err(_) => Box::new(std::io::stdout()),
    }
}

/// Installs the global subscriber, writing to stdout from a writer thread. Keep the guard
/// until the process ends: dropping it flushes what is queued. Calling it twice is harmless
/// (the second subscriber is not installed).
#[must_use = "dropping the guard stops the log writer"]
pub fn init(format: LogFormat) -> WorkerGuard {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let (writer, guard) = NonBlockingBuilder::default()
        .lossy(true)
        .buffered_lines_limit(QUEUE_LINES)
        .thread_name("wxsession-log")
        .finish(batched_stdout());
    let _ = DROPPED.set(writer.error_counter());
    if format == LogFormat::Json {
        let _ = FAST.set(writer.clone());
    }
    let _ = match format {
        LogFormat::Json => tracing::subscriber::set_global_default(json(filter, writer)),
        LogFormat::Text => tracing::subscriber::set_global_default(text(filter, writer)),
    };
    guard
}

/// The JSON subscriber: serde_json escapes every control character.
fn json<W>(filter: EnvFilter, writer: W) -> impl tracing::Subscriber + Send + Sync
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(writer)
        .json()
        .flatten_event(true)
        .with_current_span(false)
        .finish()
}

/// The human-readable subscriber, with every field value escaped.
fn text<W>(filter: EnvFilter, writer: W) -> impl tracing::Subscriber + Send + Sync
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let fields = tracing_subscriber::fmt::format::debug_fn(|w, field, value| {
        let value = escape_controls(&format!("{value:?}"));
        if field.name() == "message" {
            write!(w, "{value}")
        } else {
            write!(w, "{field}={value}")
        }
    })
    .delimited(" ");
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(writer)
        .compact()
        .fmt_fields(fields)
        .finish()
}

/// `err: cause: cause …`, for logs only.
pub fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// `text` with control characters written as escapes (`\n`, `\u{1b}`, …).
fn escape_controls(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() {
            let _ = write!(out, "{}", c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Buffer {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Buffer {
        type Writer = Self;

        fn make_writer(&'a self) -> Self {
            self.clone()
        }
    }

    fn log_forgery(subscriber: impl tracing::Subscriber + Send + Sync) {
        tracing::subscriber::with_default(subscriber, || {
            let errmsg = "invalid code\n2026-01-01T00:00:00Z  INFO admin revoked nothing";
            tracing::warn!(
                error = %errmsg,
                plain = errmsg,
                "code exchange failed\r\nforged"
            );
        });
    }

    #[test]
    fn every_format_writes_one_line_per_event() {
        for format in [LogFormat::Text, LogFormat::Json] {
            let buffer = Buffer::default();
            match format {
                LogFormat::Text => log_forgery(text(EnvFilter::new("info"), buffer.clone())),
                LogFormat::Json => log_forgery(json(EnvFilter::new("info"), buffer.clone())),
            }
            let out = String::from_utf8(buffer.0.lock().expect("lock").clone()).expect("utf-8");
            assert_eq!(out.lines().count(), 1, "{format:?}: {out}");
            assert!(out.contains("invalid code"), "{format:?}: {out}");
            assert!(out.contains(r"\n"), "{format:?}: {out}");
        }
    }
}
