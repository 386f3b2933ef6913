//! `souk-limiter`: the in-process rate limiter as its map fills with live keys (bench/README.md,
//! "Rate limiter"). Each listing view claims a key for a day (one count per viewer), so a busy
//! day leaves millions of live keys; a claim must cost the same at 0 and at 2 M of them. For
//! each fill level it times 100,000 claims of new keys (the view path's limiter work) and
//! reads the process's resident memory.

#[path = "../procfs.rs"]
mod procfs;

use std::time::{Duration, Instant};

use souk_api::ratelimit::RateLimiter;

const LEVELS: [usize; 5] = [0, 250_000, 500_000, 1_000_000, 2_000_000];
const TIMED: usize = 100_000;
const DAY: Duration = Duration::from_secs(86_400);

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

/// A key shaped like the view path's (listing and viewer).
fn view_key(i: usize) -> String {
    format!("view:{}:u{}", 100_000 + i % 900_000, i)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let limiter = RateLimiter::default();
    let pid = std::process::id();
    let base_rss = procfs::rss_mb(pid).unwrap_or(0.0);
    let mut filled = 0usize;
    let mut next = 10_000_000usize;
    println!("| live keys | claim p50 µs | claim p99 µs | RSS MB (growth) |");
    println!("|---:|---:|---:|---:|");
    runtime.block_on(async {
        for level in LEVELS {
            while filled < level {
                limiter.claim(&view_key(filled), DAY).await.expect("fill");
                filled += 1;
            }
            let mut took = Vec::with_capacity(TIMED);
            for _ in 0..TIMED {
                let key = view_key(next);
                next += 1;
                let t = Instant::now();
                limiter.claim(&key, DAY).await.expect("claim");
                took.push(t.elapsed().as_secs_f64() * 1e6);
            }
            let rss = procfs::rss_mb(pid).unwrap_or(0.0);
            println!(
                "| {} | {:.2} | {:.2} | {:.0} (+{:.0}) |",
                limiter.keys_in_process(),
                pct(&mut took, 0.5),
                pct(&mut took, 0.99),
                rss,
                rss - base_rss
            );
            // The timed keys stay: the next level starts from what is live.
            filled += TIMED;
        }
    });
}
