//! `souk-bench`: seeds (or reuses) N demo listings on PostgreSQL, then runs the fixed query mix
//! four ways on the same data — souk in process, souk over HTTP, PostgreSQL full-text search
//! as shipped, PostgreSQL tuned — and writes a results table. See bench/README.md, "Search benchmark".

mod discovery;
mod hints;
mod mix;
mod pg;
mod procfs;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use clap::Parser;
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, RunQueryDsl};
use mix::{BenchQuery, Kind};
use procfs::rss_mb;

#[derive(Parser)]
#[command(about = "souk search benchmark")]
struct Args {
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/souk_bench")]
    database_url: String,
    /// Listings wanted in the database (seeded when fewer).
    #[arg(long, default_value_t = 1_000_000)]
    count: usize,
    /// Queries per kind and way.
    #[arg(long, default_value_t = 200)]
    per_kind: usize,
    /// The souk-api binary to serve HTTP (a release build).
    #[arg(long, default_value = "target/release/souk-api")]
    api_bin: PathBuf,
    #[arg(long, default_value = "./data/bench")]
    work_dir: PathBuf,
    /// Command that restarts PostgreSQL, for sizing shared_buffers in the tuned run.
    #[arg(
        long,
        default_value = "pg_ctlcluster --skip-systemctl-redirect 15 main restart"
    )]
    pg_restart: String,
    /// shared_buffers for the tuned run.
    #[arg(long, default_value = "1536MB")]
    tuned_shared_buffers: String,
    #[arg(long, default_value = "bench/RESULTS.md")]
    out: PathBuf,
    /// Only souk in process, over an index kept from an earlier run when there is one: a quick
    /// loop while working on the engine (prints p50/p99 per kind, writes no report).
    #[arg(long)]
    inproc_only: bool,
    /// With --inproc-only: ask the mix this many times (for a profiler).
    #[arg(long, default_value_t = 1)]
    rounds: usize,
    /// With --inproc-only: also ask an API already serving this database, over HTTP.
    #[arg(long)]
    http_url: Option<String>,
    /// With --inproc-only: print each query slower than this (ms).
    #[arg(long)]
    show_slow_ms: Option<f64>,
    /// With --inproc-only: only these kinds (letters, e.g. `bd`).
    #[arg(long, default_value = "abcde")]
    kinds: String,
}

#[derive(Default, Clone)]
struct Stats {
    lat: Vec<Duration>,
    totals: Vec<i64>,
}

impl Stats {
    fn pct(&self, p: f64) -> f64 {
        let mut v: Vec<f64> = self.lat.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
        v.sort_by(f64::total_cmp);
        if v.is_empty() {
            return f64::NAN;
        }
        v[((v.len() as f64 - 1.0) * p).round() as usize]
    }
    fn qps(&self) -> f64 {
        self.lat.len() as f64 / self.lat.iter().map(Duration::as_secs_f64).sum::<f64>()
    }
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let t = Instant::now();
    let r = f();
    (r, t.elapsed())
}

fn by_kind(mix: &[BenchQuery], k: Kind) -> impl Iterator<Item = &BenchQuery> {
    mix.iter().filter(move |q| q.kind == k)
}

struct Api(Child);
impl Drop for Api {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    std::fs::create_dir_all(&args.work_dir)?;
    let mut report = String::new();
    let now = || chrono::Utc::now().timestamp_micros();

    // 1. Data.
    let pool = souk_store::open_pool(&args.database_url, 2)?;
    let have = souk_store::listings::count_all(&mut *pool.get()?)? as usize;
    if have < args.count {
        eprintln!("seeding {} listings", args.count - have);
        let (_, t) =
            timed(|| souk_api::seed::seed(&pool, args.count - have, 500, 42 + have as u64, true));
        eprintln!("seeded in {:.1} s", t.as_secs_f64());
    }
    let active = souk_store::feed::count_active(&mut *pool.get()?)?;
    drop(pool);

    // 2. In-process index, rebuilt from PostgreSQL (timed: the reindex target).
    let index_dir = args.work_dir.join("index-inproc");
    if args.inproc_only {
        let (index, checkpoint) = souk_search::SearchIndex::open(&index_dir, 32 * 1024 * 1024)?;
        if checkpoint.is_some() {
            let url = souk_store::DbUrl::parse(&args.database_url);
            souk_api::indexing::fill_shelf(&index, &mut souk_store::db::establish(&url)?)?;
            return quick_inproc(&index, &args);
        }
    }
    let _ = std::fs::remove_dir_all(&index_dir);
    let (index, _) = souk_search::SearchIndex::open(&index_dir, 512 * 1024 * 1024)?;
    let mut conn = souk_store::db::establish(&souk_store::DbUrl::parse(&args.database_url))?;
    let bar = indicatif::ProgressBar::new(0);
    let (checkpoint, reindex) =
        timed(|| souk_api::indexing::rebuild::rebuild(&mut conn, &index, &bar));
    checkpoint?;
    let (merged, merge_time) = timed(|| index.finish_rebuild(32 * 1024 * 1024));
    merged?;
    drop(index);
    let (index, _) = souk_search::SearchIndex::open(&index_dir, 32 * 1024 * 1024)?;
    // Reopened from disk: the featured ads go back on its shelf, as the API's follower does.
    souk_api::indexing::fill_shelf(&index, &mut conn)?;
    eprintln!(
        "reindexed {} docs in {:.1} s",
        index.num_docs(),
        reindex.as_secs_f64()
    );

    if args.inproc_only {
        return quick_inproc(&index, &args);
    }
    let mix = mix::mix(args.per_kind, 7);
    let mut results: Vec<(Kind, &str, Stats)> = Vec::new();

    // 3. souk in process (warm up once, then measure).
    for q in &mix {
        index.search(&q.request(), now())?;
    }
    for k in Kind::ALL {
        let mut s = Stats::default();
        for q in by_kind(&mix, k) {
            let (r, t) = timed(|| index.search(&q.request(), now()));
            s.lat.push(t);
            s.totals.push(r?.total as i64);
        }
        results.push((k, "souk in process", s));
    }
    let (_, t) = timed(|| {
        std::thread::scope(|sc| {
            for half in [0, 1] {
                let (index, mix) = (&index, &mix);
                sc.spawn(move || {
                    for q in mix.iter().skip(half).step_by(2) {
                        let _ = index.search(&q.request(), now());
                    }
                });
            }
        })
    });
    let inproc_2c_qps = mix.len() as f64 / t.as_secs_f64();

    // 4. souk over HTTP: the release binary as its own process, its own index.
    let api_dir = args.work_dir.join("api");
    let _ = std::fs::remove_dir_all(&api_dir);
    let port = 18_099;
    let child = Command::new(&args.api_bin)
        .arg("serve")
        .env("DATABASE_URL", &args.database_url)
        .env("SOUK_DATA_DIR", &api_dir)
        .env("SOUK_BIND", format!("127.0.0.1:{port}"))
        .env("SOUK_RATE_POST_PER_HOUR", "1000000")
        .env("SOUK_RATE_REGISTER_PER_HOUR", "1000")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()?;
    let api = Api(child);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let (_, api_ready) = timed(|| {
        rt.block_on(async {
            for _ in 0..1200 {
                if let Ok(r) = client
                    .get(format!("{base}/v1/search?limit=1&facets=false"))
                    .send()
                    .await
                {
                    if r.status() == 200 {
                        return;
                    }
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            panic!("API never became ready");
        })
    });
    eprintln!(
        "API ready (index built) after {:.1} s",
        api_ready.as_secs_f64()
    );
    // One client's latency is measured on a single-threaded runtime: a multi-threaded one
    // hands every response between its threads, which is the client's cost, not the server's.
    let single = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let single_client = reqwest::Client::new();
    let http1 = |q: &BenchQuery| http_total(single_client.clone(), base.clone(), q.http_query());
    single.block_on(async {
        for q in &mix {
            let _ = http1(q).await;
        }
    });
    for k in Kind::ALL {
        let mut s = Stats::default();
        for q in by_kind(&mix, k) {
            let t = Instant::now();
            let total = single.block_on(http1(q))?;
            s.lat.push(t.elapsed());
            s.totals.push(total);
        }
        results.push((k, "souk over HTTP", s));
    }
    // Two clients as two threads, each with its own connection and single-threaded runtime,
    // as two separate programs would be (the in-process figure uses two threads likewise).
    let (_, t) = timed(|| {
        std::thread::scope(|sc| {
            for half in [0usize, 1] {
                let (mix, base) = (&mix, &base);
                sc.spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .expect("runtime");
                    let client = reqwest::Client::new();
                    rt.block_on(async {
                        for q in mix.iter().skip(half).step_by(2) {
                            let _ = http_total(client.clone(), base.clone(), q.http_query()).await;
                        }
                    });
                });
            }
        })
    });
    let http_2c_qps = mix.len() as f64 / t.as_secs_f64();
    let api_rss = rss_mb(api.0.id());

    // 5. Freshness under a steady 50 writes/s: each write searchable within?
    let lags = rt.block_on(freshness(&client, &base, 50, Duration::from_secs(10)))?;
    let api_rss_after = rss_mb(api.0.id());
    drop(api);

    // 6. PostgreSQL as shipped (default settings).
    let mut pg = PgConnection::establish(&args.database_url)?;
    let (_, setup) = timed(|| pg.batch_execute(pg::SHIPPED_SETUP));
    eprintln!("shipped setup {:.1} s", setup.as_secs_f64());
    for q in &mix {
        pg::run(&mut pg, q, false);
    }
    for k in Kind::ALL {
        let mut s = Stats::default();
        for q in by_kind(&mix, k) {
            let (n, t) = timed(|| pg::run(&mut pg, q, false));
            s.lat.push(t);
            s.totals.push(n);
        }
        results.push((k, "PostgreSQL shipped", s));
    }
    drop(pg);

    // 7. PostgreSQL tuned: shared_buffers sized to the data, indexes, one-pass facets.
    let mut pg = PgConnection::establish(&args.database_url)?;
    pg.batch_execute(pg::TUNED_SETUP)?;
    pg.batch_execute(&format!(
        "ALTER SYSTEM SET shared_buffers = '{}'",
        args.tuned_shared_buffers
    ))?;
    drop(pg);
    let restarted = restart_pg(&args.pg_restart);
    let mut pg = connect_retry(&args.database_url)?;
    pg.batch_execute(pg::TUNED_SESSION)?;
    let _ = pg.batch_execute("SELECT pg_prewarm('listings'); SELECT pg_prewarm('bench_tsv'); SELECT pg_prewarm('bench_c'); SELECT pg_prewarm('bench_e');");
    let shared_buffers: String = diesel::sql_query("SHOW shared_buffers")
        .get_result::<Setting>(&mut pg)
        .map(|s| s.shared_buffers)
        .unwrap_or_default();
    for q in &mix {
        pg::run(&mut pg, q, true);
    }
    for k in Kind::ALL {
        let mut s = Stats::default();
        for q in by_kind(&mix, k) {
            let (n, t) = timed(|| pg::run(&mut pg, q, true));
            s.lat.push(t);
            s.totals.push(n);
        }
        results.push((k, "PostgreSQL tuned", s));
    }
    pg.batch_execute("ALTER SYSTEM RESET shared_buffers")?;
    drop(pg);
    restart_pg(&args.pg_restart);

    // 8. Report.
    use std::fmt::Write;
    writeln!(report, "# souk search benchmark\n")?;
    writeln!(
        report,
        "Run {} on {} cores: {} listings in PostgreSQL ({} active), {} queries per kind and way.\n",
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0),
        args.count,
        active,
        args.per_kind
    )?;
    writeln!(report, "Reproduce: `cargo build --release -p souk-api -p souk-bench && target/release/souk-bench` (see bench/README.md).\n")?;
    writeln!(
        report,
        "| kind | way | p50 ms | p99 ms | q/s (1 client) | mean total hits |"
    )?;
    writeln!(report, "|---|---|---:|---:|---:|---:|")?;
    for (k, way, s) in &results {
        let mean = s.totals.iter().sum::<i64>() as f64 / s.totals.len().max(1) as f64;
        writeln!(
            report,
            "| {} | {} | {:.3} | {:.3} | {:.0} | {:.1} |",
            k.label(),
            way,
            s.pct(0.5),
            s.pct(0.99),
            s.qps(),
            mean
        )?;
    }
    writeln!(report, "\n## Ratios at p50 (PostgreSQL ÷ souk over HTTP)\n")?;
    writeln!(report, "| kind | shipped ÷ HTTP | tuned ÷ HTTP | HTTP − in process (ms) | totals equal (souk vs PG shipped / tuned) |")?;
    writeln!(report, "|---|---:|---:|---:|---|")?;
    for k in Kind::ALL {
        let get = |w: &str| {
            results
                .iter()
                .find(|(kk, ww, _)| *kk == k && *ww == w)
                .map(|(_, _, s)| s.clone())
                .unwrap_or_default()
        };
        let (inp, http, shipped, tuned) = (
            get("souk in process"),
            get("souk over HTTP"),
            get("PostgreSQL shipped"),
            get("PostgreSQL tuned"),
        );
        let same = |a: &Stats, b: &Stats| {
            a.totals
                .iter()
                .zip(&b.totals)
                .filter(|(x, y)| x == y)
                .count()
        };
        writeln!(
            report,
            "| {} | {:.1}× | {:.1}× | {:.3} | {}/{} , {}/{} |",
            k.label(),
            shipped.pct(0.5) / http.pct(0.5),
            tuned.pct(0.5) / http.pct(0.5),
            http.pct(0.5) - inp.pct(0.5),
            same(&http, &shipped),
            http.totals.len(),
            same(&http, &tuned),
            http.totals.len()
        )?;
    }
    let mut lag: Vec<f64> = lags.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
    lag.sort_by(f64::total_cmp);
    let lp = |p: f64| {
        lag.get(((lag.len() as f64 - 1.0) * p).round() as usize)
            .copied()
            .unwrap_or(f64::NAN)
    };
    writeln!(report, "\n## Other targets\n")?;
    writeln!(report, "| measure | value |\n|---|---|")?;
    writeln!(
        report,
        "| full reindex from PostgreSQL (in process, 2 threads): searchable / merges done | {:.1} s / +{:.1} s for {} docs |",
        reindex.as_secs_f64(),
        merge_time.as_secs_f64(),
        active
    )?;
    writeln!(
        report,
        "| API start to first search (index built from PostgreSQL) | {:.1} s |",
        api_ready.as_secs_f64()
    )?;
    writeln!(
        report,
        "| throughput with 2 concurrent clients: HTTP / in process | {:.0} / {:.0} q/s ({:.2}) |",
        http_2c_qps,
        inproc_2c_qps,
        http_2c_qps / inproc_2c_qps
    )?;
    writeln!(
        report,
        "| API resident memory after the query runs / after the write run | {:.0} MB / {:.0} MB |",
        api_rss.unwrap_or(f64::NAN),
        api_rss_after.unwrap_or(f64::NAN)
    )?;
    writeln!(report, "| write → searchable at 50 writes/s for 10 s ({} writes): p50 / p99 / max | {:.0} / {:.0} / {:.0} ms |", lag.len(), lp(0.5), lp(0.99), lp(1.0))?;
    writeln!(
        report,
        "| PostgreSQL tuned shared_buffers (restart {}) | {} |",
        if restarted { "ok" } else { "FAILED" },
        shared_buffers
    )?;
    std::fs::write(&args.out, &report)?;
    println!("{report}");
    Ok(())
}

/// `--inproc-only`: the mix in process, `rounds` times, p50/p99 per kind of the last round.
fn quick_inproc(
    index: &souk_search::SearchIndex,
    args: &Args,
) -> Result<(), Box<dyn std::error::Error>> {
    let (per_kind, rounds, kinds) = (args.per_kind, args.rounds, args.kinds.as_str());
    let now = chrono::Utc::now().timestamp_micros();
    let mix = mix::mix(per_kind, 7);
    eprintln!(
        "{} docs, {} segments, {} featured",
        index.num_docs(),
        index.num_segments(),
        index.num_featured()
    );
    for q in &mix {
        index.search(&q.request(), now)?;
    }
    let kinds: Vec<Kind> = Kind::ALL
        .into_iter()
        .filter(|k| kinds.contains(k.letter()))
        .collect();
    for round in 0..rounds.max(1) {
        for &k in &kinds {
            let mut s = Stats::default();
            for q in by_kind(&mix, k) {
                let (r, t) = timed(|| index.search(&q.request(), now));
                let r = r?;
                if args
                    .show_slow_ms
                    .is_some_and(|ms| t.as_secs_f64() * 1000.0 > ms)
                {
                    eprintln!(
                        "{:.3} ms, {} hits: {:?}",
                        t.as_secs_f64() * 1000.0,
                        r.total,
                        q
                    );
                }
                s.lat.push(t);
                s.totals.push(r.total as i64);
            }
            if round + 1 == rounds.max(1) {
                print_quick(k, "in process", &s);
                // What the featured slots add to each of these searches, in the same process
                // at the same moment ("mean total": featured ads shown per page).
                let mut slots = Stats::default();
                for q in by_kind(&mix, k) {
                    let (r, t) = timed(|| index.pick_promoted(&q.request(), now));
                    slots.lat.push(t);
                    slots.totals.push(r?.len() as i64);
                }
                print_quick(k, "featured slots", &slots);
            }
        }
    }
    if let Some(base) = &args.http_url {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let client = reqwest::Client::new();
        let http = |q: &BenchQuery| http_total(client.clone(), base.clone(), q.http_query());
        for q in &mix {
            rt.block_on(http(q))?;
        }
        for &k in &kinds {
            let mut s = Stats::default();
            for q in by_kind(&mix, k) {
                let (r, t) = timed(|| rt.block_on(http(q)));
                s.lat.push(t);
                s.totals.push(r?);
            }
            print_quick(k, "over HTTP", &s);
        }
    }
    // Fair-price hints: drafts from the database's own ads, their comparables from the index.
    let mut conn = PgConnection::establish(&args.database_url)?;
    let drafts = hints::drafts(&mut conn, per_kind * 2)?;
    hints::in_process(index, &drafts);
    println!("{}", hints::in_process(index, &drafts).line("in process"));
    if let Some(base) = &args.http_url {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let client = reqwest::Client::new();
        rt.block_on(hints::over_http(&client, base, &drafts));
        let t = rt.block_on(hints::over_http(&client, base, &drafts));
        println!("{}", t.line("over HTTP"));
    }
    // Suggestions (every prefix of typed names) and similar ads (ads spread over the table).
    let typed = discovery::prefixes();
    let ads = discovery::ads(&mut conn, per_kind * 2)?;
    discovery::suggest_in_process(index, &typed);
    discovery::similar_in_process(index, &ads);
    let s = discovery::suggest_in_process(index, &typed);
    println!("{}", discovery::line("suggest", "in process", &s));
    let s = discovery::similar_in_process(index, &ads);
    println!("{}", discovery::line("similar", "in process", &s));
    if let Some(base) = &args.http_url {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let client = reqwest::Client::new();
        rt.block_on(discovery::suggest_over_http(&client, base, &typed));
        let s = rt.block_on(discovery::suggest_over_http(&client, base, &typed));
        println!("{}", discovery::line("suggest", "over HTTP", &s));
        rt.block_on(discovery::similar_over_http(&client, base, &ads));
        let s = rt.block_on(discovery::similar_over_http(&client, base, &ads));
        println!("{}", discovery::line("similar", "over HTTP", &s));
    }
    Ok(())
}

/// One search over HTTP; its `total`.
async fn http_total(
    client: reqwest::Client,
    base: String,
    params: Vec<(String, String)>,
) -> Result<i64, reqwest::Error> {
    // A client reads the typed fields it needs; parsing the whole page into a generic
    // `Value` would measure the client's allocator more than the server.
    #[derive(serde::Deserialize)]
    struct Page {
        total: i64,
    }
    let page: Page = client
        .get(format!("{base}/v1/search"))
        .query(&params)
        .send()
        .await?
        .json()
        .await?;
    Ok(page.total)
}

fn print_quick(k: Kind, way: &str, s: &Stats) {
    println!(
        "{:48} {:10} p50 {:7.3} ms  p99 {:7.3} ms  mean total {:.1}",
        k.label(),
        way,
        s.pct(0.5),
        s.pct(0.99),
        s.totals.iter().sum::<i64>() as f64 / s.totals.len().max(1) as f64
    );
}

#[derive(diesel::QueryableByName)]
struct Setting {
    #[diesel(sql_type = diesel::sql_types::Text)]
    shared_buffers: String,
}

fn restart_pg(cmd: &str) -> bool {
    let mut parts = cmd.split_whitespace();
    let Some(bin) = parts.next() else {
        return false;
    };
    Command::new(bin)
        .args(parts)
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

fn connect_retry(url: &str) -> Result<PgConnection, Box<dyn std::error::Error>> {
    for _ in 0..100 {
        if let Ok(c) = PgConnection::establish(url) {
            return Ok(c);
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Ok(PgConnection::establish(url)?)
}

/// Posts `per_sec` ads a second for `for_how_long`, each with a unique word, and measures for
/// each how long after its POST returned it is found by search.
async fn freshness(
    client: &reqwest::Client,
    base: &str,
    per_sec: u32,
    for_how_long: Duration,
) -> Result<Vec<Duration>, Box<dyn std::error::Error>> {
    let email = format!("bench{}@souk.local", chrono::Utc::now().timestamp_micros());
    let password = "bench-password-123";
    client
        .post(format!("{base}/v1/auth/register"))
        .json(&serde_json::json!({"email": email, "password": password, "display_name": "Bench"}))
        .send()
        .await?;
    let login: serde_json::Value = client
        .post(format!("{base}/v1/auth/login"))
        .json(&serde_json::json!({"email": email, "password": password}))
        .send()
        .await?
        .json()
        .await?;
    let token = login["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let n = (per_sec as f64 * for_how_long.as_secs_f64()) as usize;
    let mut tasks = tokio::task::JoinSet::new();
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / per_sec as f64));
    for i in 0..n {
        tick.tick().await;
        let (client, base, token) = (client.clone(), base.to_string(), token.clone());
        tasks.spawn(async move {
            let word = format!("fresh{i}x{}", chrono::Utc::now().timestamp_micros() % 1_000_000);
            let body = serde_json::json!({"title": format!("Peugeot 208 {word}"), "description": "Voiture très propre, papiers en règle.",
                "category": "cars", "attributes": {"brand": "peugeot", "year": 2019}, "price": 2_000_000, "wilaya": 16, "commune": 1601});
            let r = client.post(format!("{base}/v1/listings")).bearer_auth(&token).json(&body).send().await.ok()?;
            if r.status() != 201 {
                return None;
            }
            let posted = Instant::now();
            loop {
                let v: serde_json::Value = client.get(format!("{base}/v1/search?q={word}&facets=false")).send().await.ok()?.json().await.ok()?;
                if v["total"].as_i64() == Some(1) {
                    return Some(posted.elapsed());
                }
                if posted.elapsed() > Duration::from_secs(30) {
                    return Some(posted.elapsed());
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        });
    }
    let mut out = Vec::new();
    while let Some(r) = tasks.join_next().await {
        if let Ok(Some(d)) = r {
            out.push(d);
        }
    }
    Ok(out)
}
