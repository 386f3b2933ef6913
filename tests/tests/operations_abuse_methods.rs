//! Made-up HTTP methods (`Q0000001X / HTTP/1.1`) must not grow the process: each became a
//! metrics label with its own histogram (220 k such requests from one client without an
//! account took the API from 136 to 472 MB, and `/metrics` answered 303 MB in 5.9 s). Alone in
//! its test binary, so the process's resident size is this test's.

use std::time::Duration;

use souk_tests::{Backend, TestApp};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

const METHODS: usize = 50_000;
const CONNECTIONS: usize = 4;
/// Growth of the resident size allowed for the whole attack.
const CEILING_MB: u64 = 20;

fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Sends `count` requests with made-up methods on one kept-alive connection, reading each
/// answer; returns the status codes seen.
async fn made_up_methods(addr: String, first: usize, count: usize) -> Vec<u16> {
    let stream = TcpStream::connect(&addr).await.expect("connect");
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    let mut statuses = Vec::with_capacity(count);
    for i in first..first + count {
        let request = format!("Q{i:07}X / HTTP/1.1\r\nHost: souk.test\r\n\r\n");
        write.write_all(request.as_bytes()).await.expect("write");
        let mut status_line = String::new();
        read.read_line(&mut status_line).await.expect("status line");
        let status = status_line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let mut length = 0usize;
        loop {
            let mut line = String::new();
            read.read_line(&mut line).await.expect("header");
            if line == "\r\n" || line.is_empty() {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0u8; length];
        read.read_exact(&mut body).await.expect("body");
        statuses.push(status);
        if status_line.is_empty() {
            break;
        }
    }
    statuses
}

async fn attack(app: &TestApp, first: usize, count: usize) -> Vec<u16> {
    let addr = app.running.addr.to_string();
    let per = count / CONNECTIONS;
    let tasks: Vec<_> = (0..CONNECTIONS)
        .map(|c| tokio::spawn(made_up_methods(addr.clone(), first + c * per, per)))
        .collect();
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.expect("attack task"));
    }
    all
}

async fn metrics(app: &TestApp) -> String {
    let res = app.get("/metrics").await;
    assert_eq!(res.status(), 200);
    res.text().await.expect("metrics text")
}

#[tokio::test]
async fn made_up_methods_are_refused_and_leave_no_trace_in_memory_or_metrics() {
    if !std::path::Path::new("/proc/self/status").exists() {
        eprintln!("no /proc: memory test skipped");
        return;
    }
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.metrics_public = true).await;
    // Warm up: the server's buffers, the allocator's arenas, the metrics of ordinary routes.
    attack(&app, 90_000_000, 2_000).await;
    for _ in 0..3 {
        metrics(&app).await;
    }
    let before = metrics(&app).await;
    let rss_before = rss_kb();

    let statuses = attack(&app, 0, METHODS).await;
    assert_eq!(statuses.len(), METHODS);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let rss_after = rss_kb();
    let after = metrics(&app).await;

    let grown_mb = rss_after.saturating_sub(rss_before) / 1024;
    eprintln!(
        "RSS {} → {} MB; /metrics {} → {} bytes",
        rss_before / 1024,
        rss_after / 1024,
        before.len(),
        after.len()
    );
    assert!(
        !after.contains("Q0000"),
        "a made-up method became a metrics label"
    );
    assert!(
        after.len() < before.len() + 4_096,
        "/metrics grew from {} to {} bytes",
        before.len(),
        after.len()
    );
    assert!(
        grown_mb < CEILING_MB,
        "{METHODS} made-up methods grew the process by {grown_mb} MB"
    );
    assert!(
        statuses.iter().all(|s| *s == 405 || *s == 501),
        "made-up methods answered {:?}",
        statuses.iter().take(5).collect::<Vec<_>>()
    );
}
