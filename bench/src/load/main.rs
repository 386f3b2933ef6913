//! `souk-load`: a load benchmark of the whole API. Seeds (or reuses) N demo ads, starts the
//! release `souk-api` (and `souk-worker` on PostgreSQL) as their own processes, then runs a
//! realistic mix of reads and about 6 % writes from closed-loop clients for a fixed time at
//! each concurrency, and reports per endpoint group req/s, p50/p99, errors, the API's CPU and
//! memory, and how long a posted ad takes to show in browse. See bench/README.md.
//!
//! `--quick`: about a minute on both backends (small databases of their own, 1 and 16 clients),
//! printed beside the last committed results of the same configurations: the check to run
//! before landing a change to a write path.

#[path = "../mix.rs"]
#[allow(dead_code)]
mod mix;
#[path = "../procfs.rs"]
mod procfs;
mod quick;
mod report;
mod setup;
mod traffic;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;

#[derive(Parser, Clone)]
#[command(about = "souk load benchmark: the whole API at rising concurrency")]
pub struct Args {
    /// `postgres://…` or `sqlite://path`.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/souk_bench")]
    pub database_url: String,
    /// Ads wanted in the database (seeded when fewer).
    #[arg(long, default_value_t = 1_000_000)]
    pub count: usize,
    /// Concurrent clients, one point each.
    #[arg(long, default_value = "1,4,16,64", value_delimiter = ',')]
    pub clients: Vec<usize>,
    /// Seconds each point runs.
    #[arg(long, default_value_t = 8)]
    pub seconds: u64,
    /// Only this endpoint group (e.g. `listing`), for one path's scaling.
    #[arg(long)]
    pub only: Option<String>,
    /// The release `souk-api`; `souk-worker` is taken from the same folder.
    #[arg(long, default_value = "target/release/souk-api")]
    pub api_bin: PathBuf,
    #[arg(long, default_value = "./data/load")]
    pub work_dir: PathBuf,
    /// Where the results table goes (its own section, replaced on each run of the same label).
    #[arg(long, default_value = "bench/RESULTS.md")]
    pub out: PathBuf,
    /// Keep the API's index from the last run (it follows the feed; a seed writes none, so
    /// never keep it across a seed).
    #[arg(long)]
    pub keep_index: bool,
    /// Seconds to wait after the API is ready before the first point (an API whose readiness
    /// does not wait for its index is still building it).
    #[arg(long, default_value_t = 0)]
    pub settle_secs: u64,
    /// API processes on the one database, each with its own index, the clients spread over
    /// them (PostgreSQL only: SQLite has one writer per file).
    #[arg(long, default_value_t = 1)]
    pub api_processes: usize,
    /// Name of this configuration in the report, e.g. "PostgreSQL, 1 M ads".
    #[arg(long)]
    pub label: Option<String>,
    /// About a minute on both backends, beside the last committed results (see `quick.rs`).
    #[arg(long)]
    pub quick: bool,
    /// The PostgreSQL server of `--quick` (its database `souk_quick` is created when missing).
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/souk_quick")]
    pub quick_postgres: String,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    if args.quick {
        return quick::run(&args);
    }
    let table = run_configuration(&args)?;
    println!("{table}");
    Ok(())
}

/// One configuration: data, services, every point; writes its section of the results file and
/// returns its table.
pub fn run_configuration(args: &Args) -> Result<String, Box<dyn std::error::Error>> {
    std::fs::create_dir_all(&args.work_dir)?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores)
        .enable_all()
        .build()?;
    if args.api_processes > 1 && !args.database_url.starts_with("postgres") {
        return Err("several API processes need PostgreSQL (SQLite has one writer)".into());
    }
    let data = setup::prepare_database(args)?;
    let api = setup::start_services(args)?;
    // The label names the configuration, not this run's figures, so a rerun replaces its
    // own section of the results file.
    let label = label_of(args, cores);
    let world = runtime.block_on(async {
        api.wait_ready(Duration::from_secs(900)).await?;
        let most = args.clients.iter().copied().max().unwrap_or(1);
        let world = setup::World::build(&api.bases, &data, most).await;
        tokio::time::sleep(Duration::from_secs(args.settle_secs)).await;
        world
    })?;
    let world = Arc::new(world);
    let mut points = Vec::new();
    for &n in &args.clients {
        eprintln!("{n} clients for {} s …", args.seconds);
        let length = Duration::from_secs(args.seconds);
        let (before, gen_before) = (api.usage(), setup::usage_of(std::process::id()));
        let run = traffic::run(world.clone(), n, length, args.only.as_deref());
        let (after, gen_after) = (api.usage(), setup::usage_of(std::process::id()));
        let mut point = report::Point::new(n, run, before, after, length);
        point.generator_cores = (gen_after.cpu_secs - gen_before.cpu_secs) / length.as_secs_f64();
        eprintln!("{}", point.summary());
        points.push(point);
    }
    let locked = api.log_lines_containing("database is locked");
    let mut table = report::markdown(&label, args, &points, locked, data.active);
    let metrics = runtime.block_on(async {
        let res = reqwest::get(format!("{}/metrics", api.bases[0]))
            .await
            .ok()?;
        res.text().await.ok()
    });
    if let Some(m) = metrics {
        table.push_str(&report::writer_table(&m));
    }
    report::write_section(&args.out, &label, &table)?;
    eprintln!("written to {}", args.out.display());
    Ok(table)
}

/// The configuration's name in the results file.
pub fn label_of(args: &Args, cores: usize) -> String {
    args.label.clone().unwrap_or_else(|| {
        format!(
            "{}, {} ads seeded, {cores} cores{}",
            if args.database_url.starts_with("postgres") {
                "PostgreSQL"
            } else {
                "SQLite"
            },
            args.count,
            match args.api_processes {
                1 => String::new(),
                n => format!(", {n} API processes"),
            }
        )
    })
}
