//! `souk-index-start`: how a new API process gets its search index (bench/README.md, "Index
//! start"). On a seeded database, starts the release `souk-api`:
//! 1. on an empty index folder: it rebuilds from the database (and publishes a snapshot);
//! 2. again on the index it built: a restart;
//! 3. on another empty folder with the snapshot folder: a new replica from the snapshot.
//!
//! For each: seconds until `/readyz` answers 200, the peak resident memory (VmHWM), and the
//! resident memory once serving (anonymous and file-backed apart: mapped index files count as
//! resident but the kernel drops them under pressure).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use clap::Parser;

#[path = "../procfs.rs"]
mod procfs;
#[path = "../sections.rs"]
mod sections;

type Error = Box<dyn std::error::Error + Send + Sync>;

#[derive(Parser)]
#[command(about = "souk: time and memory to a ready search index, rebuilt or from a snapshot")]
struct Args {
    /// `postgres://…` or `sqlite://…`, seeded beforehand (`souk-api seed --count N`).
    #[arg(long)]
    database_url: String,
    #[arg(long, default_value = "target/release/souk-api")]
    api_bin: PathBuf,
    #[arg(long, default_value = "./data/index-start")]
    work_dir: PathBuf,
    #[arg(long, default_value = "bench/RESULTS.md")]
    out: PathBuf,
    #[arg(long, default_value = "")]
    label: String,
}

/// Memory figures of a process from /proc/<pid>/status, in MB.
#[derive(Clone, Copy, Default)]
struct Memory {
    peak: f64,
    rss: f64,
    anon: f64,
    file: f64,
}

fn memory(pid: u32) -> Memory {
    let [peak, rss, anon, file] =
        procfs::status_mb(pid, &["VmHWM:", "VmRSS:", "RssAnon:", "RssFile:"])
            .map(|v| v.unwrap_or(f64::NAN));
    Memory {
        peak,
        rss,
        anon,
        file,
    }
}

struct Api(Child);

impl Drop for Api {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let _ = self.0.wait();
    }
}

fn start(
    args: &Args,
    index: &Path,
    snapshots: &Path,
    publish: bool,
    log: &str,
) -> Result<Api, Error> {
    let log = std::fs::File::create(args.work_dir.join(log))?;
    let mut cmd = Command::new(&args.api_bin);
    cmd.arg("serve")
        .env("DATABASE_URL", &args.database_url)
        .env("SOUK_DATA_DIR", args.work_dir.join("data"))
        .env("SOUK_INDEX_DIR", index)
        .env("SOUK_INDEX_SNAPSHOTS", snapshots)
        .env("SOUK_BIND", "127.0.0.1:18401")
        .env("SOUK_EMBEDDED_WORKER", "false")
        .env(
            "SOUK_JWT_SECRET",
            "index-start-benchmark-secret-index-start",
        )
        .env("RUST_LOG", "info")
        .stdout(log.try_clone()?)
        .stderr(log)
        .stdin(Stdio::null());
    if publish {
        cmd.env("SOUK_INDEX_SNAPSHOT_EVERY_SECS", "1");
    }
    Ok(Api(cmd.spawn()?))
}

struct Phase {
    name: &'static str,
    ready_secs: f64,
    /// The largest anonymous resident memory seen while waiting for ready (sampled every 50 ms):
    /// the peak without the mapped index files.
    peak_anon: f64,
    at_ready: Memory,
    settled: Memory,
}

async fn measure(name: &'static str, api: &Api, client: &reqwest::Client) -> Result<Phase, Error> {
    let started = Instant::now();
    let pid = api.0.id();
    let mut peak_anon: f64 = 0.0;
    loop {
        let m = memory(pid);
        if m.anon.is_finite() {
            peak_anon = peak_anon.max(m.anon);
        }
        if let Ok(r) = client.get("http://127.0.0.1:18401/readyz").send().await {
            if r.status().is_success() {
                break;
            }
        }
        if started.elapsed() > Duration::from_secs(1800) {
            return Err(format!("{name}: not ready after 30 min").into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let ready_secs = started.elapsed().as_secs_f64();
    let at_ready = memory(pid);
    // Serving: a few searches, then ten seconds for the allocator to settle.
    for q in ["clio", "iphone", "appartement", "frigo", "golf 7"] {
        let _ = client
            .get(format!("http://127.0.0.1:18401/v1/search?q={q}"))
            .send()
            .await?
            .bytes()
            .await?;
    }
    tokio::time::sleep(Duration::from_secs(10)).await;
    let settled = memory(pid);
    eprintln!(
        "{name}: ready in {ready_secs:.2} s; peak {:.0} MB ({peak_anon:.0} anon); serving {:.0} MB ({:.0} anon + {:.0} file)",
        settled.peak, settled.rss, settled.anon, settled.file
    );
    Ok(Phase {
        name,
        ready_secs,
        peak_anon,
        at_ready,
        settled,
    })
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args = Args::parse();
    let _ = std::fs::remove_dir_all(&args.work_dir);
    std::fs::create_dir_all(&args.work_dir)?;
    let (built, replica, snapshots) = (
        args.work_dir.join("index-built"),
        args.work_dir.join("index-replica"),
        args.work_dir.join("snapshots"),
    );
    let client = reqwest::Client::new();
    let mut phases = Vec::new();

    let api = start(&args, &built, &snapshots, true, "rebuild.log")?;
    phases.push(measure("rebuild from the database", &api, &client).await?);
    let waited = Instant::now();
    while !snapshots.join("LATEST").exists() {
        if waited.elapsed() > Duration::from_secs(600) {
            return Err("no snapshot published within 10 min".into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let publish_secs = waited.elapsed().as_secs_f64();
    drop(api);

    let api = start(&args, &built, &snapshots, false, "restart.log")?;
    phases.push(measure("restart on its own index", &api, &client).await?);
    drop(api);

    let api = start(&args, &replica, &snapshots, false, "replica.log")?;
    phases.push(measure("new replica from the snapshot", &api, &client).await?);
    drop(api);

    let snapshot_mb = dir_mb(&snapshots);
    let label = if args.label.is_empty() {
        "index start".to_string()
    } else {
        args.label.clone()
    };
    let mut md = format!(
        "## Index start: {label}\n\n`{}`\n\n| how the index came | ready after | peak RSS (peak anon, sampled) | RSS at ready (anon + file) | RSS serving, 10 s later (anon + file) |\n|---|---|---|---|---|\n",
        std::env::args().collect::<Vec<_>>().join(" ")
    );
    for p in &phases {
        md += &format!(
            "| {} | {:.2} s | {:.0} MB ({:.0} MB) | {:.0} MB ({:.0} + {:.0}) | {:.0} MB ({:.0} + {:.0}) |\n",
            p.name,
            p.ready_secs,
            p.settled.peak,
            p.peak_anon,
            p.at_ready.rss,
            p.at_ready.anon,
            p.at_ready.file,
            p.settled.rss,
            p.settled.anon,
            p.settled.file
        );
    }
    md += &format!(
        "\nThe rebuilt process published its snapshot while it served (the tool waited {publish_secs:.1} s more for it after the 10 s of the memory reading); snapshot folder {snapshot_mb:.0} MB. Rebuild ÷ snapshot time to ready: {:.1}×.\n",
        phases[0].ready_secs / phases[2].ready_secs
    );
    println!("{md}");
    sections::write_section(&args.out, &format!("## Index start: {label}"), &md)?;
    Ok(())
}

fn dir_mb(dir: &Path) -> f64 {
    let mut total = 0u64;
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            match e.metadata() {
                Ok(m) if m.is_dir() => pending.push(e.path()),
                Ok(m) => total += m.len(),
                Err(_) => {}
            }
        }
    }
    total as f64 / 1024.0 / 1024.0
}
