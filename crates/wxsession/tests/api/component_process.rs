//! The real binary running a third-party platform (`wxsession serve` with `[component]`,
//! logging at debug level into a file), `wxsession component recover` on the same
//! configuration, and what a test needs to search them: every value under the test's prefix
//! in Redis, whatever its type.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::helpers::{
    ADMIN_TOKEN, APPID, Env, PLATFORM_AES_KEY, PLATFORM_APPID, PLATFORM_SECRET, PLATFORM_TOKEN,
    PUBLIC_URL, SECRET, connect, free_port, kek_file, port_opens,
};

/// A running `wxsession serve` with the platform on; killed on drop.
pub struct PlatformServe {
    pub child: Child,
    pub address: String,
    pub config: PathBuf,
    pub log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for PlatformServe {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `wxsession serve` with the test's app and the platform the simulator plays, at debug level.
pub fn serve_platform(env: &Env) -> PlatformServe {
    let dir = tempfile::tempdir().expect("dir");
    let file = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, format!("{text}\n")).expect("file written");
        path.display().to_string()
    };
    let port = free_port();
    let config = dir.path().join("wxsession.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[server]
bind = "127.0.0.1:{port}"
public_url = "{PUBLIC_URL}"
shutdown_timeout_secs = 2
workers = 2

[store]
url = "{url}"
key_prefix = "{prefix}"
key_encryption_key_files = ["{kek}"]
durability = "trusted"

[wechat]
api_base = "{sim}"
mp_base = "{sim}"
allow_insecure_http = true

[admin]
token = "{ADMIN_TOKEN}"

[[apps]]
appid = "{APPID}"
secret_file = "{app_secret}"

[component]
appid = "{PLATFORM_APPID}"
secret_file = "{secret}"
token_file = "{token}"
encoding_aes_key_file = "{aes}"
after_authorize_url = "https://vendor.test/welcome"
"#,
            url = env.redis.url(),
            prefix = env.prefix,
            kek = kek_file().display(),
            sim = env.sim.url,
            app_secret = file("app_secret", SECRET),
            secret = file("component_secret", PLATFORM_SECRET),
            token = file("component_token", PLATFORM_TOKEN),
            aes = file("component_aes", PLATFORM_AES_KEY),
        ),
    )
    .expect("config");
    let log = dir.path().join("out.log");
    let out = std::fs::File::create(&log).expect("log file");
    let child = Command::new(env!("CARGO_BIN_EXE_wxsession"))
        .args(["serve", "--config"])
        .arg(&config)
        .env("RUST_LOG", "debug")
        .stdout(out.try_clone().expect("dup"))
        .stderr(out)
        .stdin(Stdio::null())
        .spawn()
        .expect("wxsession starts");
    assert!(
        port_opens(port, Duration::from_secs(20)),
        "wxsession did not start"
    );
    PlatformServe {
        child,
        address: format!("http://127.0.0.1:{port}"),
        config,
        log,
        _dir: dir,
    }
}

/// `wxsession component recover --config …` at debug level: its exit and everything it wrote.
pub fn recover(serve: &PlatformServe) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_wxsession"))
        .args(["component", "recover", "--config"])
        .arg(&serve.config)
        .env("RUST_LOG", "debug")
        .stdin(Stdio::null())
        .output()
        .expect("recover runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn flatten(value: redis::Value, into: &mut Vec<Vec<u8>>) {
    match value {
        redis::Value::BulkString(bytes) => into.push(bytes),
        redis::Value::SimpleString(text) => into.push(text.into_bytes()),
        redis::Value::Array(items) | redis::Value::Set(items) => {
            items.into_iter().for_each(|v| flatten(v, into));
        }
        redis::Value::Map(pairs) => {
            for (k, v) in pairs {
                flatten(k, into);
                flatten(v, into);
            }
        }
        redis::Value::Int(n) => into.push(n.to_string().into_bytes()),
        _ => {}
    }
}

/// Every key under `prefix` with all its values (strings, hash fields and values, list, set,
/// sorted-set and stream entries), as text.
pub async fn redis_dump(url: &str, prefix: &str) -> Vec<(String, String)> {
    let mut conn = connect(url).await;
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}:*"))
        .query_async(&mut conn)
        .await
        .expect("KEYS");
    let mut dump = Vec::new();
    for key in keys {
        let kind: String = redis::cmd("TYPE")
            .arg(&key)
            .query_async(&mut conn)
            .await
            .expect("TYPE");
        let mut cmd = match kind.as_str() {
            "string" => redis::cmd("GET"),
            "hash" => redis::cmd("HGETALL"),
            "list" => redis::cmd("LRANGE"),
            "set" => redis::cmd("SMEMBERS"),
            "zset" => redis::cmd("ZRANGE"),
            "stream" => redis::cmd("XRANGE"),
            other => panic!("{key} is a {other}"),
        };
        cmd.arg(&key);
        match kind.as_str() {
            "list" => cmd.arg(0).arg(-1),
            "zset" => cmd.arg(0).arg(-1).arg("WITHSCORES"),
            "stream" => cmd.arg("-").arg("+"),
            _ => &mut cmd,
        };
        let value: redis::Value = cmd.query_async(&mut conn).await.expect("read");
        let mut parts = Vec::new();
        flatten(value, &mut parts);
        let text = parts
            .iter()
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .collect::<Vec<_>>()
            .join("\n");
        dump.push((key, text));
    }
    dump
}
