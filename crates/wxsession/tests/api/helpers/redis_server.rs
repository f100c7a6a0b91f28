//! redis-server processes of the tests' own, and reading what a test left in Redis.

use std::process::{Child, Command};
use std::time::Duration;

/// A free TCP port on loopback.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A redis-server of our own, on a free port, in a temp dir; killed on drop.
pub struct RedisServer {
    child: std::sync::Mutex<Option<Child>>,
    pub port: u16,
    dir: tempfile::TempDir,
    extra: Vec<String>,
}

impl RedisServer {
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// Starts with extra `redis-server` arguments (e.g. `--appendonly yes`); `{port}` in them
    /// stands for the server's port.
    pub fn start_with(extra: &[&str]) -> Self {
        Self::try_start_with(extra).unwrap_or_else(|why| panic!("{why}"))
    }

    /// [`Self::start_with`], or why the server did not start (with what it wrote).
    pub fn try_start_with(extra: &[&str]) -> Result<Self, String> {
        let server = Self {
            child: std::sync::Mutex::new(None),
            port: free_port(),
            dir: tempfile::tempdir().expect("temp dir"),
            extra: extra.iter().map(|s| (*s).to_owned()).collect(),
        };
        server.try_boot()?;
        Ok(server)
    }

    fn boot(&self) {
        self.try_boot().unwrap_or_else(|why| panic!("{why}"));
    }

    /// Starts the server and waits until its port opens or it exits.
    fn try_boot(&self) -> Result<(), String> {
        let log = self.dir.path().join("redis-server.out");
        let out = std::fs::File::create(&log).expect("log file");
        let child = Command::new("redis-server")
            .arg("--port")
            .arg(self.port.to_string())
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(self.dir.path())
            .args(
                self.extra
                    .iter()
                    .map(|a| a.replace("{port}", &self.port.to_string())),
            )
            .stdout(out.try_clone().expect("dup"))
            .stderr(out)
            .spawn()
            .expect("redis-server runs (scripts/test.sh installs it)");
        *self.child.lock().unwrap_or_else(|p| p.into_inner()) = Some(child);
        let exited = || {
            let mut child = self.child.lock().unwrap_or_else(|p| p.into_inner());
            child
                .as_mut()
                .is_some_and(|c| matches!(c.try_wait(), Ok(Some(_))))
        };
        let up = crate::helpers::wait_until(Duration::from_secs(10), || {
            exited() || std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok()
        });
        if up && !exited() {
            return Ok(());
        }
        self.stop();
        Err(format!(
            "redis-server did not start: {}",
            std::fs::read_to_string(&log).unwrap_or_default().trim()
        ))
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// Kills the server (SIGKILL) and waits for it.
    pub fn stop(&self) {
        let child = self.child.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(mut child) = child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port and directory.
    pub fn restart(&self) {
        self.stop();
        self.boot();
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Where a test's Redis comes from: the suite's shared server (`WXSESSION_TEST_REDIS_URL`,
/// set by scripts/test.sh) or one of its own.
pub enum RedisHandle {
    Shared(String),
    Owned(RedisServer),
}

impl RedisHandle {
    pub fn get() -> Self {
        match std::env::var("WXSESSION_TEST_REDIS_URL") {
            Ok(url) if !url.is_empty() => Self::Shared(url),
            _ => Self::Owned(RedisServer::start()),
        }
    }

    pub fn url(&self) -> String {
        match self {
            Self::Shared(url) => url.clone(),
            Self::Owned(server) => server.url(),
        }
    }
}

/// A direct connection to the Redis at `url`.
pub async fn connect(url: &str) -> redis::aio::MultiplexedConnection {
    redis::Client::open(url)
        .expect("redis url")
        .get_multiplexed_async_connection()
        .await
        .expect("redis connects")
}

/// Every key under `prefix` in the Redis at `url`, with its TTL.
pub async fn keys_with_ttl(url: &str, prefix: &str) -> Vec<(String, i64)> {
    let mut conn = connect(url).await;
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}:*"))
        .query_async(&mut conn)
        .await
        .expect("KEYS");
    let mut out = Vec::new();
    for key in keys {
        let ttl: i64 = redis::cmd("TTL")
            .arg(&key)
            .query_async(&mut conn)
            .await
            .expect("TTL");
        out.push((key, ttl));
    }
    out
}
