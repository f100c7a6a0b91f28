//! A peer (Redis, the simulator) in a network namespace of its own, joined to the tests' by a
//! veth pair, so that a test can cut the link and heal it: a real partition, where packets
//! vanish and connections stall, not a stopped process that refuses connections. Needs root
//! and `ip netns`; where that is impossible [`Netns::create`] fails the test, saying why, unless
//! `WXSESSION_TEST_SKIP` names `netns`.

use std::net::{Ipv4Addr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use super::wait_until;

static NEXT: AtomicU32 = AtomicU32::new(0);

/// A network namespace holding one end of a veth pair; deleted (with the pair) on drop.
pub struct Netns {
    name: String,
    inside: String,
    /// The address of the namespace's end, where its peer listens.
    pub peer_ip: Ipv4Addr,
    children: std::sync::Mutex<Vec<Child>>,
}

fn ip(args: &[&str]) -> Result<(), String> {
    let out = Command::new("ip")
        .args(args)
        .output()
        .map_err(|e| format!("`ip` cannot run: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "`ip {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

impl Netns {
    /// A new namespace with a /30 link to this one. Where network namespaces cannot be made
    /// here the test fails, or, when `WXSESSION_TEST_SKIP` names `netns`, the skip is recorded
    /// and this is `None` ([`super::prereq`]).
    pub fn create() -> Option<Self> {
        match Self::try_create() {
            Ok(ns) => Some(ns),
            Err(why) => {
                super::prereq::missing(
                    "netns",
                    &format!("{why}; partitions need root and `ip netns`"),
                );
                None
            }
        }
    }

    fn try_create() -> Result<Self, String> {
        let seq = NEXT.fetch_add(1, Ordering::Relaxed);
        let pid = std::process::id();
        let name = format!("wxs-{pid}-{seq}");
        // A /30 per namespace, unique per process and sequence number.
        let block = (pid % 4096) * 64 + seq % 64;
        let base = u32::from(Ipv4Addr::new(10, 240, 0, 0)) + block * 4;
        let (host_ip, peer_ip) = (Ipv4Addr::from(base + 1), Ipv4Addr::from(base + 2));
        let outside = format!("wx{}o{seq}", pid % 1_000_000);
        let inside = format!("wx{}i{seq}", pid % 1_000_000);
        ip(&["netns", "add", &name])?;
        let ns = Self {
            name,
            inside,
            peer_ip,
            children: std::sync::Mutex::new(Vec::new()),
        };
        let host_cidr = format!("{host_ip}/30");
        let peer_cidr = format!("{peer_ip}/30");
        ip(&[
            "link", "add", &outside, "type", "veth", "peer", "name", &ns.inside,
        ])?;
        ip(&["link", "set", &ns.inside, "netns", &ns.name])?;
        ip(&["addr", "add", &host_cidr, "dev", &outside])?;
        ip(&["link", "set", &outside, "up"])?;
        ip(&["-n", &ns.name, "addr", "add", &peer_cidr, "dev", &ns.inside])?;
        ip(&["-n", &ns.name, "link", "set", &ns.inside, "up"])?;
        ip(&["-n", &ns.name, "link", "set", "lo", "up"])?;
        Ok(ns)
    }

    /// Starts `program` with `args` inside the namespace; killed on drop.
    pub fn spawn(&self, program: &str, args: &[&str]) {
        let child = Command::new("ip")
            .args(["netns", "exec", &self.name, program])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{program} starts in the namespace: {e}"));
        self.children
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(child);
    }

    /// Whether something listens on `port` of the namespace's address, seen from here.
    pub fn port_opens(&self, port: u16, timeout: Duration) -> bool {
        let addr = (self.peer_ip, port).into();
        wait_until(timeout, || {
            TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
        })
    }

    /// Cuts the link: the namespace's end goes down, so packets to it vanish (no refusal, no
    /// reset: established connections stall, new ones get no answer to their SYN).
    pub fn cut(&self) {
        ip(&["-n", &self.name, "link", "set", &self.inside, "down"]).expect("link down");
    }

    /// Heals the link.
    pub fn heal(&self) {
        ip(&["-n", &self.name, "link", "set", &self.inside, "up"]).expect("link up");
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        for mut child in self
            .children
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drain(..)
        {
            let _ = child.kill();
            let _ = child.wait();
        }
        // Deleting the namespace deletes the pair.
        let _ = ip(&["netns", "del", &self.name]);
    }
}
