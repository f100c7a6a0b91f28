//! A stand-in for a Redis of another version: a few lines of RESP over TCP that answer
//! `INFO` with the `redis_version` the test gives, `PING` with `PONG`, and every other command
//! `OK`. It tests the service's version check, never the store: no data is kept.

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// A running stand-in; stopped when dropped.
pub struct OldRedis {
    pub port: u16,
    stop: Arc<AtomicBool>,
}

impl OldRedis {
    /// Listens on a free loopback port, reporting `version` in `INFO`.
    pub fn start(version: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let stop = Arc::new(AtomicBool::new(false));
        let (info, stopped) = (
            format!("# Server\r\nredis_version:{version}\r\nredis_mode:standalone\r\n"),
            stop.clone(),
        );
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopped.load(Ordering::Relaxed) {
                    break;
                }
                let info = info.clone();
                if let Ok(stream) = stream {
                    std::thread::spawn(move || serve(stream, &info));
                }
            }
        });
        Self { port, stop }
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }
}

impl Drop for OldRedis {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wakes the accept loop so that it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// Answers one connection's commands until it closes.
fn serve(stream: TcpStream, info: &str) {
    let Ok(mut out) = stream.try_clone() else {
        return;
    };
    let mut lines = BufReader::new(stream);
    while let Some(command) = read_command(&mut lines) {
        let answer = match command.first().map(|c| c.to_ascii_uppercase()).as_deref() {
            Some("INFO") => format!("${}\r\n{info}\r\n", info.len()),
            Some("PING") => "+PONG\r\n".to_owned(),
            _ => "+OK\r\n".to_owned(),
        };
        if out.write_all(answer.as_bytes()).is_err() {
            return;
        }
    }
}

/// One command (`*N` then N bulk strings); `None` at the end of the stream or on anything else.
fn read_command(lines: &mut BufReader<TcpStream>) -> Option<Vec<String>> {
    let mut line = String::new();
    let mut next = |line: &mut String| {
        line.clear();
        matches!(lines.read_line(line), Ok(n) if n > 0).then(|| line.trim_end().to_owned())
    };
    let count: usize = next(&mut line)?.strip_prefix('*')?.parse().ok()?;
    let mut args = Vec::with_capacity(count);
    for _ in 0..count {
        // `$len`, then the argument (the stand-in only ever sees text arguments).
        next(&mut line)?.strip_prefix('$')?;
        args.push(next(&mut line)?);
    }
    Some(args)
}
