//! `souk-api healthcheck [--ready]`: asks the running service's `/healthz` (or `/readyz`) and
//! exits 0 on 200, for container health checks in images that carry no curl.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::time::Duration;

const WITHIN: Duration = Duration::from_secs(3);

/// Where to ask: the bound address, with a wildcard bind (0.0.0.0, ::) asked on loopback.
fn target(bind: SocketAddr) -> SocketAddr {
    match bind.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), bind.port())
        }
        IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), bind.port())
        }
        _ => bind,
    }
}

/// `Ok` with the status line when the service answers 200; `Err` says why not.
pub fn check(bind: SocketAddr, ready: bool) -> Result<String, String> {
    let path = if ready { "/readyz" } else { "/healthz" };
    let addr = target(bind);
    let mut stream =
        TcpStream::connect_timeout(&addr, WITHIN).map_err(|e| format!("{addr}: {e}"))?;
    stream
        .set_read_timeout(Some(WITHIN))
        .and_then(|_| stream.set_write_timeout(Some(WITHIN)))
        .map_err(|e| e.to_string())?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .map_err(|e| format!("{addr}: {e}"))?;
    let mut head = Vec::new();
    // The status line is all that is needed; a few KB at most are read.
    let _ = stream.take(4096).read_to_end(&mut head);
    let text = String::from_utf8_lossy(&head);
    let status = text.lines().next().unwrap_or("").trim().to_string();
    match status.split_whitespace().nth(1) {
        Some("200") => Ok(format!("{path}: {status}")),
        Some(_) => Err(format!("{path}: {status}")),
        None => Err(format!("{path}: no HTTP answer from {addr}")),
    }
}

#[cfg(test)]
mod tests {
    use super::target;

    #[test]
    fn wildcard_binds_are_asked_on_loopback() {
        assert_eq!(
            target("0.0.0.0:8080".parse().unwrap()),
            "127.0.0.1:8080".parse().unwrap()
        );
        assert_eq!(
            target("[::]:80".parse().unwrap()),
            "[::1]:80".parse().unwrap()
        );
        assert_eq!(
            target("10.0.0.5:8080".parse().unwrap()),
            "10.0.0.5:8080".parse().unwrap()
        );
    }
}
