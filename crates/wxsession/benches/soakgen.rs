//! The soak's load: user cycles at a fixed rate across replicas, each a real user's life —
//! data encrypted by the simulator for the login's code, a login, eight validations, a decrypt,
//! a phone lookup, a logout — for `scripts/soak.sh`:
//!
//! `mix APIS SIM APPID CYCLES_PER_SEC SECS CONNS RUN`: APIS is a comma-separated list of
//! replica addresses; prints a JSON summary (cycles, requests, failures by operation and
//! status). Loopback only, bounded in time.

#[path = "support/args.rs"]
mod args;
#[path = "support/http.rs"]
mod http;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use self::http::{Conn, get, post};

use self::args::{Result, arg};

/// A request with a bearer token (and a JSON body when given).
fn authed(method: &str, path: &str, token: &str, body: &str) -> Vec<u8> {
    format!(
        "{method} {path} HTTP/1.1\r\nHost: soak\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// What one task saw.
#[derive(Default)]
struct Tally {
    cycles: u64,
    requests: u64,
    failures: BTreeMap<String, u64>,
}

impl Tally {
    /// Counts a request; `false` when it failed (the cycle stops there). A failure is counted
    /// by operation, status and the error code of its body.
    fn check(&mut self, op: &str, status: Result<u16>, ok: u16, body: &[u8]) -> bool {
        self.requests += 1;
        match status {
            Ok(s) if s == ok => true,
            Ok(s) => {
                let code = serde_json::from_slice::<serde_json::Value>(body)
                    .ok()
                    .and_then(|v| v.get("error")?.get("code")?.as_str().map(str::to_owned))
                    .unwrap_or_default();
                *self.failures.entry(format!("{op} {s} {code}")).or_default() += 1;
                false
            }
            Err(e) => {
                *self.failures.entry(format!("{op} {e}")).or_default() += 1;
                false
            }
        }
    }
}

fn field(body: &[u8], name: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    value.get(name)?.as_str().map(str::to_owned)
}

/// One user's life; stops at the first failure.
async fn cycle(
    apis: &mut [Conn],
    sim: &mut Conn,
    tally: &mut Tally,
    appid: &str,
    user: &str,
    run: &str,
    n: u64,
) {
    let code = format!("user:{user}:{run}-{n}");
    let encrypt = serde_json::json!({"appid": appid, "code": code, "data": {"n": n}}).to_string();
    let status = sim.send(&post("/__sim/encrypt", &encrypt)).await;
    if !tally.check("encrypt", status, 200, sim.body()) {
        return;
    }
    let encrypted = String::from_utf8_lossy(sim.body()).into_owned();
    let len = apis.len().max(1);
    let Some(api) = apis.get_mut((n as usize) % len) else {
        return;
    };
    let login = serde_json::json!({ "code": code }).to_string();
    let status = api.send(&post("/v1/sessions", &login)).await;
    if !tally.check("login", status, 201, api.body()) {
        return;
    }
    let Some(token) = field(api.body(), "session") else {
        *tally.failures.entry("login body".into()).or_default() += 1;
        return;
    };
    for _ in 0..8 {
        let status = api.send(&get("/v1/auth", &token)).await;
        if !tally.check("auth", status, 200, api.body()) {
            return;
        }
    }
    let decrypt = authed("POST", "/v1/sessions/current/decrypt", &token, &encrypted);
    let status = api.send(&decrypt).await;
    if !tally.check("decrypt", status, 200, api.body()) {
        return;
    }
    let phone = serde_json::json!({ "code": format!("phone:{user}:{run}-{n}") }).to_string();
    let phone = authed("POST", "/v1/sessions/current/phone", &token, &phone);
    let status = api.send(&phone).await;
    if !tally.check("phone", status, 200, api.body()) {
        return;
    }
    let logout = authed("DELETE", "/v1/sessions/current", &token, "");
    let status = api.send(&logout).await;
    if tally.check("logout", status, 204, api.body()) {
        tally.cycles += 1;
    }
}

#[allow(clippy::too_many_arguments)]
async fn mix(
    apis: Vec<SocketAddr>,
    sim: SocketAddr,
    appid: String,
    rate: f64,
    secs: f64,
    conns: usize,
    run: String,
) -> Result<()> {
    let interval = Duration::from_secs_f64(conns as f64 / rate);
    let start = Instant::now() + Duration::from_millis(200);
    let end = start + Duration::from_secs_f64(secs);
    let mut tasks = Vec::new();
    for c in 0..conns {
        let (apis, appid, run) = (apis.clone(), appid.clone(), run.clone());
        tasks.push(tokio::spawn(async move {
            let mut api_conns = Vec::new();
            for addr in &apis {
                api_conns.push(Conn::open(*addr).await?);
            }
            let mut sim_conn = Conn::open(sim).await?;
            let mut tally = Tally::default();
            let mut next = start + interval.mul_f64(c as f64 / conns as f64);
            let mut n = 0u64;
            // On schedule, and never past the end (a saturated run falls behind its schedule).
            while next < end && Instant::now() < end {
                tokio::time::sleep_until(next.into()).await;
                let user = format!("soak{c}x{}", n % 50);
                let failed_before: u64 = tally.failures.values().sum();
                cycle(
                    &mut api_conns,
                    &mut sim_conn,
                    &mut tally,
                    &appid,
                    &user,
                    &run,
                    n,
                )
                .await;
                // A failed request may have left a connection unusable: reopen them all.
                if tally.failures.values().sum::<u64>() > failed_before {
                    api_conns.clear();
                    for addr in &apis {
                        api_conns.push(Conn::open(*addr).await?);
                    }
                    sim_conn = Conn::open(sim).await?;
                }
                n += 1;
                next += interval;
            }
            Ok::<Tally, Box<dyn std::error::Error + Send + Sync>>(tally)
        }));
    }
    let mut total = Tally::default();
    for task in tasks {
        let tally = task.await??;
        total.cycles += tally.cycles;
        total.requests += tally.requests;
        for (k, v) in tally.failures {
            *total.failures.entry(k).or_default() += v;
        }
    }
    let failed: u64 = total.failures.values().sum();
    println!(
        "{}",
        serde_json::json!({
            "cycles": total.cycles,
            "requests": total.requests,
            "failed": failed,
            "failures": total.failures,
            "cycles_per_sec": total.cycles as f64 / secs,
        })
    );
    Ok(())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    if arg(&args, 0)? != "mix" {
        return Err("usage: soakgen mix APIS SIM APPID CYCLES_PER_SEC SECS CONNS RUN".into());
    }
    let apis = arg(&args, 1)?
        .split(',')
        .map(str::parse)
        .collect::<std::result::Result<Vec<SocketAddr>, _>>()?;
    mix(
        apis,
        arg(&args, 2)?.parse()?,
        arg(&args, 3)?.to_owned(),
        arg(&args, 4)?.parse()?,
        arg(&args, 5)?.parse()?,
        arg(&args, 6)?.parse()?,
        arg(&args, 7)?.to_owned(),
    )
    .await
}
