//! Who a client is, for the limits: the configured limits, the walk through
//! `X-Forwarded-For`, and the bucket of an address.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use ipnet::IpNet;

/// The configured limits; 0 disables one.
#[derive(Debug, Clone, Default)]
pub struct Limits {
    /// Logins per client address per minute.
    pub login_per_ip: u64,
    /// Browser login starts and callbacks per client address per minute.
    pub web_login_per_ip: u64,
    /// Phone-number lookups per session per minute.
    pub phone_lookups_per_session: u64,
    /// `key-status` checks per session per minute.
    pub key_status_per_session: u64,
    /// Failed decrypts per session per minute.
    pub decrypt_failures_per_session: u64,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpNet>,
}

impl Limits {
    /// The client's address. The peer, unless it is a trusted proxy: then `X-Forwarded-For` is
    /// walked from the right, each trusted hop handing over to the one before it, until the
    /// first address that is not a trusted proxy. A hop that is not an address (`ip`,
    /// `ip:port`, `[ipv6]` or `[ipv6]:port`) ends the walk at the last trusted hop: whatever a
    /// client wrote to the left of it cannot pick its bucket.
    pub fn client_ip(&self, peer: IpAddr, forwarded_for: &[&str]) -> IpAddr {
        let mut client = peer;
        if !self.is_trusted(peer) {
            return client;
        }
        for hop in forwarded_for.iter().flat_map(|v| v.split(',')).rev() {
            let Some(ip) = parse_hop(hop) else {
                break;
            };
            client = ip;
            if !self.is_trusted(ip) {
                break;
            }
        }
        client
    }

    fn is_trusted(&self, ip: IpAddr) -> bool {
        self.trusted_proxies.iter().any(|net| net.contains(&ip))
    }
}

/// One `X-Forwarded-For` entry as an address.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|a| a.ip()))
        .or_else(|| {
            hop.strip_prefix('[')?
                .strip_suffix(']')?
                .parse::<Ipv6Addr>()
                .ok()
                .map(IpAddr::V6)
        })
        .map(|ip| ip.to_canonical())
}

/// The rate-limit bucket of an address: IPv4 addresses one by one, IPv6 by /64 (one host
/// usually holds a whole /64).
pub(super) fn bucket(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let net = ipnet::Ipv6Net::new(v6, 64).map_or(v6, |n| n.network());
            format!("{net}/64")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(trusted: &[&str]) -> Limits {
        Limits {
            trusted_proxies: trusted.iter().map(|t| t.parse().expect("net")).collect(),
            ..Limits::default()
        }
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("ip")
    }

    #[test]
    fn forwarded_for_is_walked_from_the_right() {
        let l = limits(&["10.0.0.0/8"]);
        let peer = ip("10.0.0.1");
        let cases: &[(&[&str], &str)] = &[
            (&[], "10.0.0.1"),
            (&["198.51.100.7"], "198.51.100.7"),
            (&["203.0.113.9, 198.51.100.7"], "198.51.100.7"),
            (&["203.0.113.9, 198.51.100.7, 10.0.0.2"], "198.51.100.7"),
            (&["203.0.113.9", "198.51.100.7"], "198.51.100.7"),
            // A client's own junk or addresses to the left of a real hop change nothing.
            (&["10.0.0.5, junk, 198.51.100.7"], "198.51.100.7"),
            (&["junk, 10.0.0.9, 198.51.100.7"], "198.51.100.7"),
            // Junk right after trusted hops: the last trusted hop's view.
            (&["198.51.100.7, junk, 10.0.0.3"], "10.0.0.3"),
            (&["198.51.100.7, junk"], "10.0.0.1"),
            (&["10.0.0.5, junk"], "10.0.0.1"),
            // Ports and brackets.
            (&["198.51.100.7:4711"], "198.51.100.7"),
            (&["[2001:db8::1]:4711"], "2001:db8::1"),
            (&["[2001:db8::1]"], "2001:db8::1"),
            (&["2001:db8::1"], "2001:db8::1"),
            (&["::ffff:198.51.100.7"], "198.51.100.7"),
        ];
        for (headers, want) in cases {
            assert_eq!(l.client_ip(peer, headers), ip(want), "{headers:?}");
        }
        // An untrusted peer's header is ignored.
        assert_eq!(
            l.client_ip(ip("198.51.100.1"), &["203.0.113.9"]),
            ip("198.51.100.1")
        );
    }

    #[test]
    fn ipv6_clients_share_a_bucket_per_64() {
        assert_eq!(bucket(ip("2001:db8:1:2:aaaa::1")), "2001:db8:1:2::/64");
        assert_eq!(
            bucket(ip("2001:db8:1:2:ffff::9")),
            bucket(ip("2001:db8:1:2::1"))
        );
        assert_ne!(bucket(ip("2001:db8:1:3::1")), bucket(ip("2001:db8:1:2::1")));
        assert_eq!(bucket(ip("198.51.100.7")), "198.51.100.7");
        assert_eq!(bucket(ip("::ffff:198.51.100.7")), "198.51.100.7");
    }
}
