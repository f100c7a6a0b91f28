//! `wxsession check-config`: validation names the key; output redacts secrets.

use std::process::Command;

fn check(toml: &str, env: &[(&str, &str)]) -> (bool, String, String) {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("c.toml");
    std::fs::write(&path, toml).expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_wxsession"))
        .args(["check-config", "--config"])
        .arg(&path)
        .env_remove("WXSESSION__STORE__URL")
        .envs(env.iter().copied())
        .output()
        .expect("runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const GOOD: &str = r#"
[store]
url = "redis://:hunter2-redis-password@10.0.0.1:6379/0"
[admin]
token = "a-very-secret-admin-token"
[[apps]]
appid = "wx1234567890abcdef"
secret = "super-secret-app-secret"
"#;

#[test]
fn valid_config_prints_redacted() {
    let (ok, out, err) = check(GOOD, &[]);
    assert!(ok, "{err}");
    assert!(out.contains("wx1234567890abcdef"), "{out}");
    assert!(out.contains("idle_ttl_secs = 7200"), "{out}");
    for secret in [
        "super-secret-app-secret",
        "a-very-secret-admin-token",
        "hunter2-redis-password",
    ] {
        assert!(
            !out.contains(secret) && !err.contains(secret),
            "{secret} leaked: {out}"
        );
    }
    assert!(out.contains("[redacted]"), "{out}");
}

#[test]
fn environment_overrides_apply_and_are_validated() {
    let (ok, out, err) = check(GOOD, &[("WXSESSION__SESSION__IDLE_TTL_SECS", "60")]);
    assert!(ok, "{err}");
    assert!(out.contains("idle_ttl_secs = 60"), "{out}");
    let (ok, _, err) = check(GOOD, &[("WXSESSION__STORE__URL", "http://nope")]);
    assert!(!ok);
    assert!(err.contains("store.url"), "{err}");
    let (ok, _, err) = check(GOOD, &[("WXSESSION__APP__SECRET_ENV_X", "1")]);
    assert!(!ok, "unknown env key is an error");
    assert!(err.contains("app"), "{err}");
}

#[test]
fn secrets_from_file_and_env() {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("secret");
    std::fs::write(&file, "from-file\n").expect("write");
    let toml = format!(
        "[[apps]]\nappid = \"wxa\"\nsecret_file = \"{}\"\n[[apps]]\nappid = \"wxb\"\nsecret_env = \"WXB_SECRET\"\n",
        file.display()
    );
    let (ok, out, err) = check(&toml, &[("WXB_SECRET", "from-env")]);
    assert!(ok, "{err}");
    assert!(
        !out.contains("from-file") && !out.contains("from-env"),
        "{out}"
    );
    let (ok, _, err) = check(&toml, &[]);
    assert!(!ok);
    assert!(
        err.contains("apps[1].secret_env") && err.contains("WXB_SECRET"),
        "{err}"
    );
}

#[test]
fn invalid_configs_name_the_key() {
    let cases = [
        (
            "[server]\nbnd = \"x\"\n[[apps]]\nappid=\"wxa\"\nsecret=\"s\"\n",
            "bnd",
        ),
        (
            "[[apps]]\nappid=\"wxa\"\nsecret=\"s\"\n[[apps]]\nappid=\"wxa\"\nsecret=\"t\"\n",
            "apps[1].appid",
        ),
        ("[[apps]]\nappid=\"wxa\"\n", "apps[0].secret"),
        (
            "[[apps]]\nappid=\"wxa\"\nsecret=\"s\"\nsecret_env=\"X\"\n",
            "apps[0].secret",
        ),
        (
            "[[apps]]\nappid=\"wxa\"\nsecret_file=\"/nonexistent/file\"\n",
            "apps[0].secret_file",
        ),
        ("", "apps"),
        (
            "[store]\nurl = \"postgres://x\"\n[[apps]]\nappid=\"wxa\"\nsecret=\"s\"\n",
            "store.url",
        ),
        (
            "[store]\nmode = \"cluster\"\n[[apps]]\nappid=\"wxa\"\nsecret=\"s\"\n",
            "store.urls",
        ),
        (
            "[store]\nmode = \"cluster\"\nurls = [\"http://x\"]\n[[apps]]\nappid=\"wxa\"\nsecret=\"s\"\n",
            "store.urls[0]",
        ),
        (
            "[store]\nmode = \"sentinel\"\nsentinels = [\"redis://127.0.0.1:26379\"]\n[[apps]]\nappid=\"wxa\"\nsecret=\"s\"\n",
            "store.master_name",
        ),
        (
            "[store]\nmode = \"bogus\"\n[[apps]]\nappid=\"wxa\"\nsecret=\"s\"\n",
            "mode",
        ),
        (
            "[store]\nbackend = \"mongo\"\n[[apps]]\nappid=\"wxa\"\nsecret=\"s\"\n",
            "backend",
        ),
        (
            "[wechat]\napi_base = \"ftp://x\"\n[[apps]]\nappid=\"wxa\"\nsecret=\"s\"\n",
            "wechat.api_base",
        ),
        (
            "[server]\nbind = \"nowhere\"\n[[apps]]\nappid=\"wxa\"\nsecret=\"s\"\n",
            "server.bind",
        ),
        (
            "[session]\nidle_ttl_secs = 0\n[[apps]]\nappid=\"wxa\"\nsecret=\"s\"\n",
            "session.idle_ttl_secs",
        ),
        (
            "[admin]\ntoken = \"short\"\n[[apps]]\nappid=\"wxa\"\nsecret=\"s\"\n",
            "admin.token",
        ),
        ("[[apps]]\nappid=\"wx a\"\nsecret=\"s\"\n", "apps[0].appid"),
        (
            "[store]\npool_size = 0\n[[apps]]\nappid=\"wxa\"\nsecret=\"s\"\n",
            "store.pool_size",
        ),
        (
            "[store]\nbuckets = 0\n[[apps]]\nappid=\"wxa\"\nsecret=\"s\"\n",
            "store.buckets",
        ),
        (
            "[store]\nbuckets = 16777217\n[[apps]]\nappid=\"wxa\"\nsecret=\"s\"\n",
            "store.buckets",
        ),
        (
            "[store]\nalso_read_buckets = 4096\n[[apps]]\nappid=\"wxa\"\nsecret=\"s\"\n",
            "store.also_read_buckets",
        ),
        // A web app needs the URL WeChat sends its users back to.
        (
            "[[apps]]\nappid=\"wxa\"\nsecret=\"s\"\nkind=\"website\"\n",
            "server.public_url",
        ),
        (
            "[server]\npublic_url=\"login.example.com\"\n[[apps]]\nappid=\"wxa\"\nsecret=\"s\"\n",
            "server.public_url",
        ),
        (
            "[[apps]]\nappid=\"wxa\"\nsecret=\"s\"\nkind=\"pager\"\n",
            "kind",
        ),
        (
            "[[apps]]\nappid=\"wxa\"\nsecret=\"s\"\nkind=\"mobile\"\nscope=\"snsapi_base\"\n",
            "apps[0].scope",
        ),
        (
            "[[apps]]\nappid=\"wxa\"\nsecret=\"s\"\nkind=\"mobile\"\naccess_token=\"stable\"\n",
            "apps[0].access_token",
        ),
        (
            "[web]\nallowed_origins=[\"https://app.example.com/path\"]\n[[apps]]\nappid=\"wxa\"\nsecret=\"s\"\n",
            "web.allowed_origins[0]",
        ),
        (
            "[wechat]\nopen_base=\"http://open.example\"\n[[apps]]\nappid=\"wxa\"\nsecret=\"s\"\n",
            "wechat.open_base",
        ),
        (
            "[wechat]\nforce_refresh_per_app_per_day = 21\n[[apps]]\nappid=\"wxa\"\nsecret=\"s\"\n",
            "wechat.force_refresh_per_app_per_day",
        ),
        // A reader scoped to an app that is not configured (a typo) or to none at all.
        (
            "[[admin.credential_readers]]\nname=\"orders\"\ntoken=\"orders-token-0123456789\"\napps=[\"wxb\"]\n[[apps]]\nappid=\"wxa\"\nsecret=\"s\"\n",
            "admin.credential_readers[0].apps",
        ),
        (
            "[[admin.credential_readers]]\nname=\"orders\"\ntoken=\"orders-token-0123456789\"\napps=[]\n[[apps]]\nappid=\"wxa\"\nsecret=\"s\"\n",
            "admin.credential_readers[0].apps",
        ),
    ];
    for (toml, key) in cases {
        let (ok, _, err) = check(toml, &[]);
        assert!(!ok, "accepted: {toml}");
        assert!(err.contains(key), "{key} not named in: {err}");
        assert!(!err.contains("\"s\""), "{err}");
    }
}

#[test]
fn the_example_config_is_valid() {
    let dir = tempfile::tempdir().expect("dir");
    let example = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../config/wxsession.example.toml"
    ))
    .expect("example config");
    let admin = dir.path().join("admin");
    let secret = dir.path().join("secret");
    std::fs::write(&admin, "an-admin-token-of-some-length").expect("write");
    std::fs::write(&secret, "app-secret").expect("write");
    let toml = example
        .replace("/run/secrets/wxsession-admin", &admin.display().to_string())
        .replace("/run/secrets/wx-secret", &secret.display().to_string());
    let (ok, out, err) = check(&toml, &[]);
    assert!(ok, "{err}");
    assert!(out.contains("metrics_bind = \"0.0.0.0:9090\""), "{out}");
}
