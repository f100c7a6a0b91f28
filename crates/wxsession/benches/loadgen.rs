//! A small HTTP/1.1 load generator for `scripts/bench.sh`, for what wrk cannot do:
//!
//! - `rate ADDR PATH TOKENS_FILE RATE SECS CONNS`: a fixed request rate, spread over CONNS
//!   connections on a schedule; latency is measured from each request's send, and how far the
//!   sender fell behind its schedule is reported as `lag` (tokio's timer has 1 ms resolution,
//!   so counting from the scheduled time would measure the timer); prints p50/p99/max in µs.
//! - `mint ADDR COUNT CONCURRENCY PREFIX [USERS] [FIRST]`: COUNT logins, of COUNT distinct users
//!   or spread over USERS users, numbered from FIRST (0) so that steps get fresh codes; prints
//!   logins/s.
//! - `conns ADDR COUNT HOLD_SECS`: opens COUNT keep-alive connections, one request each, holds
//!   them for HOLD_SECS; prints when they are all open.
//! - `web ADDR SIM_ADDR APPID COUNT CONCURRENCY`: COUNT browser logins of a website app, each
//!   the whole way (login → the simulator's consent → callback with the state cookie); prints
//!   logins/s.
//!
//! Loopback only, bounded in count and time.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

#[path = "support/args.rs"]
mod args;
#[path = "support/http.rs"]
mod http;

use self::http::{Conn, get, get_with, post};

use self::args::{Result, arg};

fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(idx).copied().unwrap_or(0)
}

async fn rate(
    addr: SocketAddr,
    path: String,
    tokens: Vec<String>,
    rate: f64,
    secs: f64,
    conns: usize,
) -> Result<()> {
    let per_conn = rate / conns as f64;
    let interval = Duration::from_secs_f64(1.0 / per_conn);
    let start = Instant::now() + Duration::from_millis(200);
    let end = start + Duration::from_secs_f64(secs);
    let mut tasks = Vec::new();
    for c in 0..conns {
        let path = path.clone();
        let token = tokens
            .get(c % tokens.len().max(1))
            .cloned()
            .unwrap_or_default();
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::open(addr).await?;
            let request = get(&path, &token);
            let mut lat = Vec::new();
            let mut lag_max = 0u64;
            let mut errors = 0u64;
            // Spread the connections' schedules across one interval.
            let mut next = start + interval.mul_f64(c as f64 / conns as f64);
            while next < end {
                tokio::time::sleep_until(next.into()).await;
                let sent = Instant::now();
                lag_max = lag_max.max(sent.saturating_duration_since(next).as_micros() as u64);
                match conn.send(&request).await {
                    Ok(200) => lat.push(sent.elapsed().as_micros() as u64),
                    _ => errors += 1,
                }
                next += interval;
                // A sender that fell behind skips ahead rather than bursting.
                if next < Instant::now() {
                    next = Instant::now();
                }
            }
            Result::Ok((lat, errors, lag_max))
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    let mut lag = 0;
    for t in tasks {
        let (lat, e, l) = t.await??;
        all.extend(lat);
        errors += e;
        lag = lag.max(l);
    }
    all.sort_unstable();
    println!(
        "{{\"requests\":{},\"errors\":{errors},\"rps\":{:.0},\"p50_us\":{},\"p99_us\":{},\"max_us\":{},\"lag_max_us\":{lag}}}",
        all.len(),
        all.len() as f64 / secs,
        percentile(&all, 0.50),
        percentile(&all, 0.99),
        all.last().copied().unwrap_or(0)
    );
    Ok(())
}

/// `count` numbered jobs shared by several tasks: each takes the next number until none is left.
#[derive(Clone)]
struct Jobs {
    next: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    count: usize,
}

impl Jobs {
    fn take(&self) -> Option<usize> {
        let i = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        (i < self.count).then_some(i)
    }
}

/// Runs `concurrency` tasks (`task(k, jobs)`, each returning how many of its logins failed)
/// over `count` logins, and prints logins/s.
async fn logins<F, Fut>(count: usize, concurrency: usize, task: F) -> Result<()>
where
    F: Fn(usize, Jobs) -> Fut,
    Fut: std::future::Future<Output = Result<u64>> + Send + 'static,
{
    let started = Instant::now();
    let jobs = Jobs {
        next: std::sync::Arc::default(),
        count,
    };
    let tasks: Vec<_> = (0..concurrency)
        .map(|k| tokio::spawn(task(k, jobs.clone())))
        .collect();
    let mut failed = 0;
    for t in tasks {
        failed += t.await??;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{{\"logins\":{count},\"failed\":{failed},\"secs\":{secs:.2},\"per_sec\":{:.0}}}",
        count as f64 / secs
    );
    Ok(())
}

async fn mint(
    addr: SocketAddr,
    count: usize,
    concurrency: usize,
    prefix: String,
    users: usize,
    first: usize,
) -> Result<()> {
    logins(count, concurrency, |_, jobs| {
        let prefix = prefix.clone();
        async move {
            let mut conn = Conn::open(addr).await?;
            let mut failed = 0u64;
            while let Some(i) = jobs.take() {
                let i = i + first;
                let body = format!("{{\"code\":\"user:{prefix}{}:{i}\"}}", i % users);
                if conn.send(&post("/v1/sessions", &body)).await? != 201 {
                    failed += 1;
                }
            }
            Ok(failed)
        }
    })
    .await
}

/// One browser login of a website app, the whole way: `/v1/web/{appid}/login` (302 and the
/// state cookie), the simulator's consent (`/connect/confirm`, 302 to the callback), then the
/// callback with the cookie (303 and the session cookie).
async fn web_login(api: &mut Conn, sim: &mut Conn, appid: &str, user: &str) -> Result<bool> {
    let status = api
        .send(&get_with(&format!("/v1/web/{appid}/login?return_to=/"), ""))
        .await?;
    let (Some(location), Some(cookie)) = (api.header("location"), api.header("set-cookie")) else {
        return Ok(false);
    };
    let state_cookie = cookie.split(';').next().unwrap_or_default().to_owned();
    let query = location
        .split_once('?')
        .map(|(_, q)| q.split('#').next().unwrap_or_default())
        .unwrap_or_default()
        .replace("&response_type=code", "");
    if status != 302 {
        return Ok(false);
    }
    let confirm = format!("/connect/confirm?{query}&user={user}&decision=allow");
    if sim.send(&get_with(&confirm, "")).await? != 302 {
        return Ok(false);
    }
    let Some(callback) = sim.header("location").and_then(|l| {
        l.find("/v1/web/")
            .map(|i| l.get(i..).unwrap_or_default().to_owned())
    }) else {
        return Ok(false);
    };
    let status = api
        .send(&get_with(&callback, &format!("Cookie: {state_cookie}\r\n")))
        .await?;
    Ok(status == 303)
}

async fn web(
    api: SocketAddr,
    sim: SocketAddr,
    appid: String,
    count: usize,
    concurrency: usize,
) -> Result<()> {
    logins(count, concurrency, |task, jobs| {
        let appid = appid.clone();
        async move {
            let (mut a, mut s) = (Conn::open(api).await?, Conn::open(sim).await?);
            let mut failed = 0u64;
            while let Some(i) = jobs.take() {
                if !web_login(&mut a, &mut s, &appid, &format!("web{task}x{i}")).await? {
                    failed += 1;
                }
            }
            Ok(failed)
        }
    })
    .await
}

async fn conns(addr: SocketAddr, count: usize, hold: f64) -> Result<()> {
    let mut open = Vec::with_capacity(count);
    let request = b"GET /healthz HTTP/1.1\r\nHost: bench\r\n\r\n".to_vec();
    for chunk in (0..count).collect::<Vec<_>>().chunks(500) {
        let mut batch = Vec::new();
        for _ in chunk {
            let request = request.clone();
            batch.push(tokio::spawn(async move {
                let mut conn = Conn::open(addr).await?;
                conn.send(&request).await?;
                Result::Ok(conn)
            }));
        }
        for t in batch {
            open.push(t.await??);
        }
    }
    println!("{{\"open\":{}}}", open.len());
    tokio::time::sleep(Duration::from_secs_f64(hold)).await;
    drop(open);
    Ok(())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    // `cargo bench` passes `--bench`; ignore flags.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let addr: SocketAddr = arg(&args, 1)?.parse()?;
    match arg(&args, 0)? {
        "rate" => {
            let tokens = std::fs::read_to_string(arg(&args, 3)?)?
                .lines()
                .map(str::to_owned)
                .collect();
            rate(
                addr,
                arg(&args, 2)?.to_owned(),
                tokens,
                arg(&args, 4)?.parse()?,
                arg(&args, 5)?.parse()?,
                arg(&args, 6)?.parse()?,
            )
            .await
        }
        "mint" => {
            let count: usize = arg(&args, 2)?.parse()?;
            let users = match args.get(5) {
                Some(u) => u.parse()?,
                None => count,
            };
            let concurrency = arg(&args, 3)?.parse()?;
            mint(
                addr,
                count,
                concurrency,
                arg(&args, 4)?.to_owned(),
                users.max(1),
                args.get(6).map_or(Ok(0), |f| f.parse())?,
            )
            .await
        }
        "conns" => conns(addr, arg(&args, 2)?.parse()?, arg(&args, 3)?.parse()?).await,
        // web API_ADDR SIM_ADDR APPID COUNT CONCURRENCY
        "web" => {
            web(
                addr,
                arg(&args, 2)?.parse()?,
                arg(&args, 3)?.to_owned(),
                arg(&args, 4)?.parse()?,
                arg(&args, 5)?.parse()?,
            )
            .await
        }
        other => Err(format!("unknown mode {other}").into()),
    }
}
