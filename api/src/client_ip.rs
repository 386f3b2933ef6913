//! Who the client is, for per-client limits. Behind a reverse proxy every request comes from
//! the proxy's address, so the client is read from the header the proxy writes, but only when
//! the connection really comes from a proxy listed in `SOUK_TRUSTED_PROXIES`, and only up to
//! the rightmost hop that is not a trusted proxy: everything left of it was written by the
//! client and proves nothing.

use std::net::{IpAddr, Ipv6Addr};

use actix_web::http::header::HeaderMap;

/// An address block in CIDR notation (`10.0.0.0/8`, `fd00::/8`, or one address).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    net: IpAddr,
    prefix: u8,
}

impl Cidr {
    pub fn parse(s: &str) -> Option<Cidr> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let net: IpAddr = addr.parse().ok()?;
        let max = if net.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max)?,
            None => max,
        };
        Some(Cidr { net, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        match (self.net, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

/// An IPv4 client seen through an IPv6 socket (`::ffff:1.2.3.4`) is the IPv4 client.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

/// The header a trusted proxy writes the client chain into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForwardHeader {
    /// `X-Forwarded-For: client, proxy1, …` (nginx, HAProxy, most load balancers).
    XForwardedFor,
    /// RFC 7239 `Forwarded: for=client, for=…`.
    Forwarded,
}

impl ForwardHeader {
    pub fn parse(s: &str) -> Option<ForwardHeader> {
        match s.trim().to_ascii_lowercase().as_str() {
            "x-forwarded-for" => Some(ForwardHeader::XForwardedFor),
            "forwarded" => Some(ForwardHeader::Forwarded),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct TrustedProxies {
    pub nets: Vec<Cidr>,
    pub header: ForwardHeader,
}

impl Default for TrustedProxies {
    fn default() -> Self {
        TrustedProxies {
            nets: Vec::new(),
            header: ForwardHeader::XForwardedFor,
        }
    }
}

impl TrustedProxies {
    /// `SOUK_TRUSTED_PROXIES`: comma-separated CIDRs; the error names the bad entry.
    pub fn parse_list(list: &str) -> Result<Vec<Cidr>, String> {
        list.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| Cidr::parse(s).ok_or_else(|| format!("{s:?} is not an address or CIDR")))
            .collect()
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.nets.iter().any(|n| n.contains(ip))
    }

    /// The client's address: the socket peer, unless that peer is a trusted proxy; then the
    /// rightmost address of the forwarding chain that is not itself a trusted proxy. A chain
    /// entry that is not an address ends the walk at the last trusted hop.
    pub fn client(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> Option<IpAddr> {
        let peer = canonical(peer?);
        if !self.trusts(peer) {
            return Some(peer);
        }
        let mut client = peer;
        for hop in self.chain(headers).iter().rev() {
            match hop {
                Some(ip) => {
                    client = canonical(*ip);
                    if !self.trusts(client) {
                        break;
                    }
                }
                None => break,
            }
        }
        Some(client)
    }

    /// Every hop of every occurrence of the header, in order (a proxy may add a second line).
    fn chain(&self, headers: &HeaderMap) -> Vec<Option<IpAddr>> {
        let name = match self.header {
            ForwardHeader::XForwardedFor => "x-forwarded-for",
            ForwardHeader::Forwarded => "forwarded",
        };
        let mut hops = Vec::new();
        for value in headers.get_all(name) {
            // Split the raw bytes: a client's junk (non-ASCII) in its own entry must not hide
            // the entries our proxy appended after it.
            for part in value.as_bytes().split(|b| *b == b',') {
                let part = std::str::from_utf8(part).unwrap_or("");
                hops.push(match self.header {
                    ForwardHeader::XForwardedFor => parse_hop(part),
                    ForwardHeader::Forwarded => forwarded_for(part).and_then(parse_hop),
                });
            }
        }
        hops
    }
}

/// `for=` of one `Forwarded` element (`for=192.0.2.1;proto=https`).
fn forwarded_for(element: &str) -> Option<&str> {
    element.split(';').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        k.trim().eq_ignore_ascii_case("for").then_some(v.trim())
    })
}

/// An address as proxies write it: bare, quoted, `[v6]`, with or without a port.
fn parse_hop(s: &str) -> Option<IpAddr> {
    let s = s.trim().trim_matches('"');
    if let Ok(ip) = s.parse() {
        return Some(ip);
    }
    if let Some(rest) = s.strip_prefix('[') {
        return rest.split_once(']')?.0.parse().ok();
    }
    let (host, port) = s.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    host.parse().ok()
}

/// The client address as a rate-limit key. An IPv6 client usually holds a whole /64, so its
/// addresses count as one.
pub fn limit_key(ip: Option<IpAddr>) -> String {
    match ip.map(canonical) {
        Some(IpAddr::V6(v6)) => {
            let net = u128::from(v6) & (u128::MAX << 64);
            format!("{}/64", Ipv6Addr::from(net))
        }
        Some(v4) => v4.to_string(),
        None => "unknown".into(),
    }
}

/// The key of the client's site for the limits that also count a whole IPv6 /48 (a site's
/// allocation: one subscriber can hold 65,536 /64s); none for IPv4.
pub fn site_key(ip: Option<IpAddr>) -> Option<String> {
    match ip.map(canonical) {
        Some(IpAddr::V6(v6)) => {
            let net = u128::from(v6) & (u128::MAX << 80);
            Some(format!("{}/48", Ipv6Addr::from(net)))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};

    #[test]
    fn a_site_is_an_ipv6_slash_48() {
        let a: IpAddr = "2001:db8:1:2:3:4:5:6".parse().unwrap();
        let b: IpAddr = "2001:db8:1:ffff::1".parse().unwrap();
        let c: IpAddr = "2001:db8:2::1".parse().unwrap();
        assert_eq!(site_key(Some(a)), site_key(Some(b)), "two /64s of one /48");
        assert_ne!(limit_key(Some(a)), limit_key(Some(b)));
        assert_ne!(site_key(Some(a)), site_key(Some(c)));
        assert_eq!(site_key(Some(a)).as_deref(), Some("2001:db8:1::/48"));
        assert_eq!(site_key(Some("192.0.2.1".parse().unwrap())), None);
    }

    fn headers(name: &str, values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    fn proxies(list: &str, header: ForwardHeader) -> TrustedProxies {
        TrustedProxies {
            nets: TrustedProxies::parse_list(list).unwrap(),
            header,
        }
    }

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn cidrs_match_their_block_only() {
        let c = Cidr::parse("10.1.0.0/16").unwrap();
        assert!(c.contains("10.1.200.3".parse().unwrap()));
        assert!(!c.contains("10.2.0.1".parse().unwrap()));
        assert!(c.contains("::ffff:10.1.0.9".parse().unwrap()));
        assert!(Cidr::parse("0.0.0.0/0")
            .unwrap()
            .contains("8.8.8.8".parse().unwrap()));
        assert!(Cidr::parse("fd00::/8")
            .unwrap()
            .contains("fd12::1".parse().unwrap()));
        assert_eq!(Cidr::parse("10.0.0.0/33"), None);
        assert_eq!(Cidr::parse("nonsense"), None);
        assert!(TrustedProxies::parse_list("10.0.0.0/8, bad").is_err());
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        let p = proxies("10.0.0.0/8", ForwardHeader::XForwardedFor);
        let h = headers("x-forwarded-for", &["1.2.3.4"]);
        assert_eq!(p.client(ip("203.0.113.9"), &h), ip("203.0.113.9"));
        let none = TrustedProxies::default();
        assert_eq!(none.client(ip("10.0.0.1"), &h), ip("10.0.0.1"));
    }

    #[test]
    fn behind_trusted_proxies_the_rightmost_untrusted_hop_is_the_client() {
        let p = proxies("10.0.0.0/8", ForwardHeader::XForwardedFor);
        // The client forged "1.2.3.4"; its proxy appended the real address, then a second proxy.
        let h = headers("x-forwarded-for", &["1.2.3.4, 198.51.100.7", "10.0.0.5"]);
        assert_eq!(p.client(ip("10.0.0.2"), &h), ip("198.51.100.7"));
        // Only proxies in the chain: the leftmost is as close to the client as we know.
        let h = headers("x-forwarded-for", &["10.0.0.9"]);
        assert_eq!(p.client(ip("10.0.0.2"), &h), ip("10.0.0.9"));
        // A client's non-ASCII junk does not hide what the proxy appended.
        let mut h = HeaderMap::new();
        h.insert(
            HeaderName::from_static("x-forwarded-for"),
            HeaderValue::from_bytes(b"\xff\xfe, 198.51.100.8").unwrap(),
        );
        assert_eq!(p.client(ip("10.0.0.2"), &h), ip("198.51.100.8"));
        // Garbage where a trusted proxy wrote: stop at that proxy.
        let h = headers("x-forwarded-for", &["198.51.100.7, junk"]);
        assert_eq!(p.client(ip("10.0.0.2"), &h), ip("10.0.0.2"));
        // No header at all: the proxy itself.
        assert_eq!(p.client(ip("10.0.0.2"), &HeaderMap::new()), ip("10.0.0.2"));
    }

    #[test]
    fn forwarded_header_elements_with_ports_and_brackets() {
        let p = proxies("10.0.0.0/8", ForwardHeader::Forwarded);
        let h = headers(
            "forwarded",
            &[r#"for=1.2.3.4, for="[2001:db8::1]:4711";proto=https, for=10.0.0.3"#],
        );
        assert_eq!(p.client(ip("10.0.0.2"), &h), ip("2001:db8::1"));
        // X-Forwarded-For is not read when the proxy is said to write Forwarded.
        let h = headers("x-forwarded-for", &["1.2.3.4"]);
        assert_eq!(p.client(ip("10.0.0.2"), &h), ip("10.0.0.2"));
        assert_eq!(parse_hop("198.51.100.7:8080"), ip("198.51.100.7"));
    }

    #[test]
    fn ipv6_clients_count_per_64() {
        assert_eq!(
            limit_key(ip("2001:db8:1:2:aaaa::1")),
            limit_key(ip("2001:db8:1:2:bbbb::9"))
        );
        assert_ne!(
            limit_key(ip("2001:db8:1:2::1")),
            limit_key(ip("2001:db8:1:3::1"))
        );
        assert_eq!(limit_key(ip("::ffff:192.0.2.1")), "192.0.2.1");
    }
}
