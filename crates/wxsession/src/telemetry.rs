//! Structured logs: JSON in `serve`, human-readable in `dev`. `RUST_LOG` overrides the level.
//! Every format escapes control characters, so that text from outside (WeChat's `errmsg`, say)
//! cannot start a forged log line.

use std::fmt::Write as _;

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

/// Installs the global subscriber, writing to stdout. Calling it twice is harmless.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = match format {
        LogFormat::Json => tracing::subscriber::set_global_default(json(filter, std::io::stdout)),
        LogFormat::Text => tracing::subscriber::set_global_default(text(filter, std::io::stdout)),
    };
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
