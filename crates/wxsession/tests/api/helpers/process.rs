//! The real binary as a process (`wxsession serve`), its stdout and stderr in a file, for the
//! tests that read its log lines or signal it.

use std::io::Read as _;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::{ADMIN_TOKEN, APPID, Env, SECRET, free_port, port_opens};

/// A running `wxsession serve`, killed on drop.
pub struct Serve {
    pub child: Child,
    pub address: String,
    /// The admin listener, when [`serve_with`] was given `admin_bind = true`.
    pub admin_address: Option<String>,
    _dir: tempfile::TempDir,
    pub log: std::path::PathBuf,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `wxsession serve` with one app and the admin token, logging at debug level.
pub fn serve(env: &Env, shutdown_secs: u64) -> Serve {
    serve_with(env, shutdown_secs, false, "")
}

/// [`serve`], with the admin API on a listener of its own when `admin_bind`, and `tables`
/// (TOML tables other than `[server]`, `[store]`, `[wechat]` and `[admin]`, or arrays of tables
/// such as `[[admin.credential_readers]]`) appended to the configuration.
pub fn serve_with(env: &Env, shutdown_secs: u64, admin_bind: bool, tables: &str) -> Serve {
    serve_store(env, shutdown_secs, admin_bind, "", tables)
}

/// [`serve_with`], with `store_lines` (e.g. `mode = "sentinel"` and its keys) added to `[store]`.
pub fn serve_store(
    env: &Env,
    shutdown_secs: u64,
    admin_bind: bool,
    store_lines: &str,
    tables: &str,
) -> Serve {
    let dir = tempfile::tempdir().expect("dir");
    let port = free_port();
    let admin_port = admin_bind.then(free_port);
    let admin_line = admin_port.map_or(String::new(), |p| {
        format!("admin_bind = \"127.0.0.1:{p}\"\n")
    });
    let lines = [admin_line.as_str(), store_lines, tables];
    let config = write_config(env, dir.path(), port, shutdown_secs, lines);
    let log = dir.path().join("out.log");
    let child = spawn(&config, &log);
    for port in std::iter::once(port).chain(admin_port) {
        assert!(
            port_opens(port, Duration::from_secs(20)),
            "wxsession did not start"
        );
    }
    Serve {
        child,
        address: format!("http://127.0.0.1:{port}"),
        admin_address: admin_port.map(|p| format!("http://127.0.0.1:{p}")),
        _dir: dir,
        log,
    }
}

/// `wxsession serve` as [`serve`] starts it, expected to refuse to start: its exit status and
/// everything it wrote, once it has exited (killed, and the test failed, after 20 s).
pub fn serve_refused(env: &Env) -> (std::process::ExitStatus, String) {
    let dir = tempfile::tempdir().expect("dir");
    let config = write_config(env, dir.path(), free_port(), 1, ["", "", ""]);
    let log = dir.path().join("out.log");
    let mut child = spawn(&config, &log);
    let exited = super::wait_until(Duration::from_secs(20), || {
        matches!(child.try_wait(), Ok(Some(_)))
    });
    if !exited {
        let _ = child.kill();
    }
    let status = child.wait().expect("wxsession exits");
    assert!(exited, "wxsession kept running: {}", read_log(&log));
    (status, read_log(&log))
}

/// The configuration [`serve_store`] describes, written into `dir`: `[admin_line, store_lines,
/// tables]`.
fn write_config(
    env: &Env,
    dir: &std::path::Path,
    port: u16,
    shutdown_secs: u64,
    [admin_line, store_lines, tables]: [&str; 3],
) -> std::path::PathBuf {
    let secret_file = dir.join("secret");
    std::fs::write(&secret_file, format!("{SECRET}\n")).expect("secret");
    let config = dir.join("wxsession.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[server]
bind = "127.0.0.1:{port}"
shutdown_timeout_secs = {shutdown_secs}
workers = 2
{admin_line}
[store]
url = "{url}"
key_prefix = "{prefix}"
{store_lines}

[wechat]
api_base = "{api}"
allow_insecure_http = true

[admin]
token = "{ADMIN_TOKEN}"

[[apps]]
appid = "{APPID}"
secret_file = "{secret}"

{tables}
"#,
            url = env.redis.url(),
            prefix = env.prefix,
            api = env.sim.url,
            secret = secret_file.display(),
        ),
    )
    .expect("config");
    config
}

/// `wxsession serve --config config`, logging at debug level into `log`.
fn spawn(config: &std::path::Path, log: &std::path::Path) -> Child {
    let out = std::fs::File::create(log).expect("log file");
    Command::new(env!("CARGO_BIN_EXE_wxsession"))
        .args(["serve", "--config"])
        .arg(config)
        .env("RUST_LOG", "debug")
        .stdout(out.try_clone().expect("dup"))
        .stderr(out)
        .stdin(Stdio::null())
        .spawn()
        .expect("wxsession starts")
}

/// Sends SIGTERM.
pub fn sigterm(child: &Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
}

/// Everything the process wrote so far.
pub fn read_log(path: &std::path::Path) -> String {
    let mut text = String::new();
    std::fs::File::open(path)
        .and_then(|mut f| f.read_to_string(&mut text))
        .expect("log readable");
    text
}
