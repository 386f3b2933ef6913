//! `souk-streams`: the live event streams under load (bench/README.md, "Live streams"). Starts
//! the release `souk-api` with demo data, signs in 2,000 accounts, then:
//! 1. opens N idle streams (5 per account, the per-account cap) and reads the API's resident
//!    memory per stream and its CPU while they idle, and the search and ad-page p50s with and
//!    without them;
//! 2. 1,000 threads exchange messages (16 senders) while every stream stays open: the time from
//!    posting a message to its arrival on the other side's stream, p50/p99;
//! 3. with `--redis-url`, the same with the messages posted to a second API process (same
//!    database) and delivered through Redis to the streams held by the first.

#[path = "../procfs.rs"]
mod procfs;
#[path = "../sections.rs"]
mod sections;

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Parser;
use serde_json::{json, Value};

type Error = Box<dyn std::error::Error + Send + Sync>;

#[derive(Parser, Clone)]
#[command(about = "souk live streams: memory per idle stream, delivery latency")]
struct Args {
    /// `postgres://…`; SQLite in the work folder when absent.
    #[arg(long)]
    database_url: Option<String>,
    /// Redis for the two-process phase (skipped without it).
    #[arg(long)]
    redis_url: Option<String>,
    #[arg(long, default_value_t = 10_000)]
    streams: usize,
    /// Threads exchanging messages (each between two of the signed-in accounts).
    #[arg(long, default_value_t = 1_000)]
    threads: usize,
    /// Messages posted in each delivery phase.
    #[arg(long, default_value_t = 3_000)]
    messages: usize,
    /// Concurrent senders.
    #[arg(long, default_value_t = 16)]
    senders: usize,
    /// Demo ads seeded at start (the search and ad-page p50s read them).
    #[arg(long, default_value_t = 20_000)]
    demo: usize,
    #[arg(long, default_value = "target/release/souk-api")]
    api_bin: PathBuf,
    #[arg(long, default_value = "./data/streams")]
    work_dir: PathBuf,
    /// Where the results table goes (replacing its own section).
    #[arg(long, default_value = "bench/RESULTS.md")]
    out: PathBuf,
    /// Label of the results section.
    #[arg(long, default_value = "")]
    label: String,
}

struct Api {
    child: Child,
    base: String,
}

impl Drop for Api {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_api(args: &Args, port: u16, redis: Option<&str>, demo: bool) -> Result<Api, Error> {
    let dir = args.work_dir.join("api");
    std::fs::create_dir_all(&dir)?;
    let log = std::fs::File::create(args.work_dir.join(format!("api-{port}.log")))?;
    let mut cmd = Command::new(&args.api_bin);
    cmd.arg("serve");
    if demo {
        cmd.arg("--demo").arg(args.demo.to_string());
    }
    if let Some(url) = &args.database_url {
        cmd.env("DATABASE_URL", url);
    }
    if let Some(url) = redis {
        cmd.env("REDIS_URL", url);
    }
    cmd.env("SOUK_DATA_DIR", &dir)
        .env("SOUK_INDEX_DIR", dir.join(format!("index-{port}")))
        .env("SOUK_BIND", format!("127.0.0.1:{port}"))
        .env(
            "SOUK_JWT_SECRET",
            "streams-benchmark-secret-streams-benchmark",
        )
        .env("SOUK_ACCESS_TTL_SECS", "86400")
        .env("SOUK_RATE_LOGIN_PER_MIN", "10000000")
        .env("SOUK_RATE_REGISTER_PER_HOUR", "10000000")
        .env("SOUK_RATE_POST_PER_HOUR", "10000000")
        .env("SOUK_RATE_CONTACT_PER_HOUR", "10000000")
        .env("SOUK_RATE_THREADS_PER_DAY", "10000000")
        .env("SOUK_MESSAGE_EMAIL_DELAY_SECS", "600")
        .env("RUST_LOG", "warn")
        .stdout(log.try_clone()?)
        .stderr(log)
        .stdin(Stdio::null());
    let child = cmd.spawn()?;
    Ok(Api {
        child,
        base: format!("http://127.0.0.1:{port}"),
    })
}

async fn wait_ready(client: &reqwest::Client, api: &Api, within: Duration) -> Result<(), Error> {
    let start = Instant::now();
    while start.elapsed() < within {
        if let Ok(r) = client.get(format!("{}/readyz", api.base)).send().await {
            if r.status().is_success() {
                eprintln!(
                    "API {} ready after {:.1} s",
                    api.base,
                    start.elapsed().as_secs_f64()
                );
                return Ok(());
            }
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    Err(format!("{} never became ready", api.base).into())
}

async fn call(req: reqwest::RequestBuilder) -> Result<Value, Error> {
    let res = req.send().await?;
    let status = res.status();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        return Err(format!("{status}: {body}").into());
    }
    Ok(body)
}

/// Creates the accounts directly in the database (one password hash for all, confirmed
/// addresses), then signs each in over HTTP; returns their access tokens.
async fn accounts(
    args: &Args,
    api: &Api,
    client: &reqwest::Client,
    n: usize,
) -> Result<Vec<String>, Error> {
    let url = args
        .database_url
        .clone()
        .unwrap_or_else(|| souk_store::db::default_database_url(&args.work_dir.join("api")));
    let run = chrono::Utc::now().timestamp();
    let password = "streams benchmark password";
    let hash = souk_api::auth::password::hash_password(password).map_err(|e| e.to_string())?;
    let emails: Vec<String> = (0..n)
        .map(|i| format!("stream-{run}-{i}@example.dz"))
        .collect();
    let to_create = emails.clone();
    tokio::task::spawn_blocking(move || -> Result<(), Error> {
        let pool = souk_store::open::open_pool(&url, 2)?;
        let mut conn =
            souk_store::writer::take_writer(&pool, souk_store::writer::WriterUse::Background)?;
        for chunk in to_create.chunks(500) {
            souk_store::db::write_transaction(&mut conn, |c| {
                for email in chunk {
                    let u = souk_store::users::create_user(
                        c,
                        souk_store::users::NewUser {
                            email,
                            password_hash: &hash,
                            display_name: "Stream bench",
                            phone: None,
                            language: "fr",
                        },
                    )?;
                    souk_store::users::mark_email_verified(c, u.id)?;
                }
                Ok::<(), souk_store::StoreError>(())
            })?;
        }
        Ok(())
    })
    .await??;
    let started = Instant::now();
    let tokens: Vec<String> = futures_util::stream::iter(emails)
        .map(|email| {
            let client = client.clone();
            let base = api.base.clone();
            async move {
                let v = call(
                    client
                        .post(format!("{base}/v1/auth/login"))
                        .json(&json!({"email": email, "password": password})),
                )
                .await?;
                Ok::<_, Error>(v["access_token"].as_str().unwrap_or_default().to_string())
            }
        })
        .buffer_unordered(8)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()?;
    eprintln!(
        "{n} accounts signed in in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(tokens)
}

use futures_util::StreamExt;

/// Latencies recorded by stream readers: message marker → when it was posted.
#[derive(Default)]
struct Delivery {
    posted: HashMap<String, Instant>,
    latencies_ms: Vec<f64>,
}

/// Opens one stream and reads it until the process ends, recording deliveries.
async fn hold_stream(
    client: reqwest::Client,
    url: String,
    token: String,
    delivery: Arc<Mutex<Delivery>>,
    opened: tokio::sync::mpsc::Sender<bool>,
) {
    let res = client.get(&url).bearer_auth(&token).send().await;
    let mut res = match res {
        Ok(r) if r.status().is_success() => {
            let _ = opened.send(true).await;
            r
        }
        _ => {
            let _ = opened.send(false).await;
            return;
        }
    };
    drop(opened);
    let mut buffer = String::new();
    while let Ok(Some(chunk)) = res.chunk().await {
        buffer.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            if !block.contains("event: message.created") {
                continue;
            }
            let Some(data) = block.lines().find_map(|l| l.strip_prefix("data: ")) else {
                continue;
            };
            let Ok(v) = serde_json::from_str::<Value>(data) else {
                continue;
            };
            // The sender's own copy says from_me: only the other side's arrival counts.
            if v["message"]["from_me"] == true {
                continue;
            }
            let body = v["message"]["body"].as_str().unwrap_or_default();
            let mut d = delivery.lock().expect("delivery");
            if let Some(at) = d.posted.remove(body) {
                let ms = at.elapsed().as_secs_f64() * 1000.0;
                d.latencies_ms.push(ms);
            }
        }
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// p50 of `n` sequential GETs of `path`, in ms.
async fn p50(client: &reqwest::Client, base: &str, paths: &[String]) -> Result<f64, Error> {
    let mut times = Vec::with_capacity(paths.len());
    for p in paths {
        let t = Instant::now();
        let res = client.get(format!("{base}{p}")).send().await?;
        let _ = res.bytes().await?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(|a, b| a.total_cmp(b));
    Ok(percentile(&times, 0.5))
}

struct Phase {
    name: String,
    latencies: Vec<f64>,
    posted: usize,
    seconds: f64,
}

/// Posts `args.messages` messages over the threads from `args.senders` senders to `post_base`,
/// and waits for their deliveries.
async fn exchange(
    args: &Args,
    client: &reqwest::Client,
    post_base: &str,
    threads: &[(i64, String, String)],
    delivery: &Arc<Mutex<Delivery>>,
    name: &str,
) -> Result<Phase, Error> {
    delivery.lock().expect("delivery").latencies_ms.clear();
    let started = Instant::now();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut senders = Vec::new();
    for _ in 0..args.senders {
        let next = next.clone();
        let client = client.clone();
        let base = post_base.to_string();
        let threads = threads.to_vec();
        let delivery = delivery.clone();
        let total = args.messages;
        let tag = name.replace(' ', "-");
        senders.push(tokio::spawn(async move {
            loop {
                let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if n >= total {
                    return Ok::<_, Error>(());
                }
                let (thread, seller, buyer) = &threads[n % threads.len()];
                // Alternate sides: buyer, then seller, in each thread.
                let from = if (n / threads.len()).is_multiple_of(2) {
                    buyer
                } else {
                    seller
                };
                let marker = format!("bench {tag} message {n}");
                delivery
                    .lock()
                    .expect("delivery")
                    .posted
                    .insert(marker.clone(), Instant::now());
                call(
                    client
                        .post(format!("{base}/v1/conversations/{thread}/messages"))
                        .bearer_auth(from)
                        .json(&json!({"message": marker})),
                )
                .await?;
            }
        }));
    }
    for s in senders {
        s.await??;
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if delivery.lock().expect("delivery").latencies_ms.len() >= args.messages {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut d = delivery.lock().expect("delivery");
    let mut latencies = std::mem::take(&mut d.latencies_ms);
    d.posted.clear();
    latencies.sort_by(|a, b| a.total_cmp(b));
    Ok(Phase {
        name: name.into(),
        latencies,
        posted: args.messages,
        seconds: started.elapsed().as_secs_f64(),
    })
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args = Args::parse();
    let accounts_wanted = (args.streams.div_ceil(5)).max(args.threads * 2);
    if let Ok(limits) = std::fs::read_to_string("/proc/self/limits") {
        if let Some(line) = limits.lines().find(|l| l.starts_with("Max open files")) {
            let soft: usize = line
                .split_whitespace()
                .nth(3)
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            if soft < args.streams + 1000 {
                return Err(format!(
                    "open-file limit {soft} is below {} streams: run under `ulimit -n {}`",
                    args.streams,
                    args.streams + 2000
                )
                .into());
            }
        }
    }
    if args.database_url.is_none() {
        let _ = std::fs::remove_dir_all(args.work_dir.join("api"));
    }
    std::fs::create_dir_all(&args.work_dir)?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .timeout(Duration::from_secs(3600))
        .build()?;
    let api = start_api(&args, 18_301, args.redis_url.as_deref(), true)?;
    wait_ready(&client, &api, Duration::from_secs(900)).await?;
    let tokens = accounts(&args, &api, &client, accounts_wanted).await?;

    // Threads: account k sells one ad, account k + threads writes to them.
    let started = Instant::now();
    let mut threads: Vec<(i64, String, String)> = Vec::with_capacity(args.threads);
    let pairs: Vec<(String, String)> = (0..args.threads)
        .map(|k| (tokens[k].clone(), tokens[k + args.threads].clone()))
        .collect();
    let made: Vec<Result<(i64, String, String), Error>> = futures_util::stream::iter(pairs.into_iter().enumerate())
        .map(|(k, (seller, buyer))| {
            let client = client.clone();
            let base = api.base.clone();
            async move {
                let ad = call(client.post(format!("{base}/v1/listings")).bearer_auth(&seller).json(&json!({
                    "title": format!("Golf 7 banc d'essai {k}"),
                    "description": "Annonce du banc d'essai des flux en direct, première main.",
                    "category": "cars",
                    "attributes": {"brand": "volkswagen", "model": "golf", "year": 2016, "mileage_km": 90000 + k, "fuel": "diesel", "gearbox": "manual"},
                    "price": 2_000_000 + k as i64 * 1000,
                    "wilaya": 16, "commune": 1601,
                }))).await?;
                let id = ad["id"].as_i64().ok_or("no ad id")?;
                let c = call(client.post(format!("{base}/v1/listings/{id}/contact")).bearer_auth(&buyer)
                    .json(&json!({"message": "Salam, disponible ?", "name": "Banc"}))).await?;
                Ok((c["id"].as_i64().ok_or("no thread id")?, seller, buyer))
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    for m in made {
        threads.push(m?);
    }
    eprintln!(
        "{} threads in {:.1} s",
        threads.len(),
        started.elapsed().as_secs_f64()
    );
    // A fresh process for the measures: signing 2,000 accounts in (argon2, 19 MB a hash)
    // leaves the allocator holding hundreds of MB that idle streams would then fill unseen.
    drop(api);
    let api = start_api(&args, 18_301, args.redis_url.as_deref(), false)?;
    wait_ready(&client, &api, Duration::from_secs(900)).await?;
    let pid = api.child.id();

    // Reads to time before and with the streams.
    let ads: Vec<i64> = call(client.get(format!("{}/v1/listings?per_page=100", api.base))).await?
        ["items"]
        .as_array()
        .map(|a| a.iter().filter_map(|h| h["id"].as_i64()).collect())
        .unwrap_or_default();
    let words = [
        "golf",
        "clio",
        "appartement",
        "iphone",
        "samsung",
        "villa",
        "peugeot",
        "frigo",
    ];
    let searches: Vec<String> = (0..400)
        .map(|i| format!("/v1/search?q={}&facets=false", words[i % words.len()]))
        .collect();
    let pages: Vec<String> = (0..400)
        .map(|i| format!("/v1/listings/{}", ads[i % ads.len().max(1)]))
        .collect();
    p50(&client, &api.base, &searches).await?; // warm-up
    let search_before = p50(&client, &api.base, &searches).await?;
    let page_before = p50(&client, &api.base, &pages).await?;

    tokio::time::sleep(Duration::from_secs(3)).await;
    let before = procfs::rss_mb(pid).unwrap_or(f64::NAN);
    let delivery = Arc::new(Mutex::new(Delivery::default()));
    let (tx, mut rx) = tokio::sync::mpsc::channel(1024);
    let stream_client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()?;
    let opening = Instant::now();
    for i in 0..args.streams {
        let token = tokens[i / 5].clone();
        tokio::spawn(hold_stream(
            stream_client.clone(),
            format!("{}/v1/me/events", api.base),
            token,
            delivery.clone(),
            tx.clone(),
        ));
        if i % 256 == 255 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    drop(tx);
    let (mut ok, mut failed) = (0, 0);
    while let Some(opened) = rx.recv().await {
        if opened {
            ok += 1
        } else {
            failed += 1
        }
    }
    eprintln!(
        "{ok} streams open ({failed} refused) in {:.1} s",
        opening.elapsed().as_secs_f64()
    );
    tokio::time::sleep(Duration::from_secs(5)).await;
    let after = procfs::rss_mb(pid).unwrap_or(f64::NAN);
    let cpu0 = procfs::cpu_secs(pid).unwrap_or(0.0);
    let idle_secs = 30.0;
    tokio::time::sleep(Duration::from_secs_f64(idle_secs)).await;
    let cpu_idle = (procfs::cpu_secs(pid).unwrap_or(0.0) - cpu0) / idle_secs * 100.0;
    let search_with = p50(&client, &api.base, &searches).await?;
    let page_with = p50(&client, &api.base, &pages).await?;
    let per_stream_kb = (after - before) * 1024.0 / ok.max(1) as f64;
    eprintln!("RSS {before:.0} → {after:.0} MB: {per_stream_kb:.1} KB per idle stream; idle CPU {cpu_idle:.1} %");

    let mut phases = vec![
        exchange(
            &args,
            &client,
            &api.base,
            &threads,
            &delivery,
            "one process",
        )
        .await?,
    ];
    let mut second = None;
    if let Some(redis) = &args.redis_url {
        let b = start_api(&args, 18_302, Some(redis), false)?;
        wait_ready(&client, &b, Duration::from_secs(900)).await?;
        phases.push(
            exchange(
                &args,
                &client,
                &b.base,
                &threads,
                &delivery,
                "two processes over Redis",
            )
            .await?,
        );
        second = Some(b);
    }
    drop(second);

    let backend = if args.database_url.is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let label = if args.label.is_empty() {
        format!("{backend}, {} streams", args.streams)
    } else {
        args.label.clone()
    };
    let mut md = format!(
        "## Live streams: {label}\n\n`{}`\n\n| measure | value |\n|---|---|\n",
        std::env::args().collect::<Vec<_>>().join(" ")
    );
    md += &format!("| streams open (refused) | {ok} ({failed}) |\n");
    md += &format!(
        "| API resident memory before → with the streams | {before:.0} → {after:.0} MB |\n"
    );
    md += &format!("| memory per idle stream | {per_stream_kb:.1} KB |\n");
    md +=
        &format!("| API CPU while they idle ({idle_secs:.0} s) | {cpu_idle:.1} % of one core |\n");
    md += &format!(
        "| search p50 without → with the streams | {search_before:.2} → {search_with:.2} ms |\n"
    );
    md += &format!(
        "| ad page p50 without → with the streams | {page_before:.2} → {page_with:.2} ms |\n"
    );
    md += "\n| delivery (posted → on the other side's stream) | messages | delivered | p50 | p99 | max | posts/s |\n|---|---|---|---|---|---|---|\n";
    for p in &phases {
        md += &format!(
            "| {} | {} | {} | {:.1} ms | {:.1} ms | {:.1} ms | {:.0} |\n",
            p.name,
            p.posted,
            p.latencies.len(),
            percentile(&p.latencies, 0.5),
            percentile(&p.latencies, 0.99),
            p.latencies.last().copied().unwrap_or(f64::NAN),
            p.posted as f64 / p.seconds
        );
    }
    println!("{md}");
    sections::write_section(&args.out, &format!("## Live streams: {label}"), &md)?;
    Ok(())
}
