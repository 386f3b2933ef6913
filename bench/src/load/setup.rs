//! What a load run needs before it starts: the data, the services as processes, and for each
//! client a signed-in demo seller with an ad of their own, a thread to write in, photos to fetch.

use std::io::Cursor;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::Client;
use serde_json::{json, Value};

use crate::Args;

type Error = Box<dyn std::error::Error>;

/// Demo sellers whose address the run marks confirmed, one per client (at most).
pub const SELLERS: usize = 64;
const DEMO_PASSWORD: &str = "demo-password";

pub struct Data {
    pub active: i64,
    /// Active ads sampled across the id range: (id, seller id).
    pub sample: Vec<(i64, i64)>,
}

pub fn prepare_database(args: &Args) -> Result<Data, Error> {
    let pool = souk_store::open_pool(&args.database_url, 2)?;
    let mut conn = pool.get()?;
    let have = souk_store::listings::count_all(&mut conn)? as usize;
    if have < args.count {
        eprintln!("seeding {} ads", args.count - have);
        drop(conn);
        souk_api::seed::seed(&pool, args.count - have, 500, 42 + have as u64, true)?;
        conn = pool.get()?;
    }
    let run = chrono::Utc::now().timestamp();
    for i in 1..=SELLERS {
        if let Some(u) =
            souk_store::users::find_user_by_email(&mut conn, &format!("demo{i}@souk.local"))?
        {
            if u.email_verified_at.is_none() {
                souk_store::users::mark_email_verified(&mut conn, u.id)?;
            }
            // Credits for the bumps of the mix.
            let key = format!("load-{run}-{i}");
            souk_store::db::write_transaction(&mut conn, |c| {
                souk_api::usecases::credits::grant_in(
                    c,
                    u.id,
                    100_000,
                    "load benchmark",
                    &key,
                    None,
                )
            })?;
        }
    }
    let active = souk_store::feed::count_active(&mut conn)?;
    let top = souk_store::listings::count_all(&mut conn)?;
    let mut rng = StdRng::seed_from_u64(3);
    let mut sample = Vec::new();
    for _ in 0..40 {
        let after = rng.gen_range(0..top.max(1));
        for l in souk_store::feed::active_after(&mut conn, after, 100)? {
            sample.push((l.id, l.user_id));
        }
    }
    if sample.is_empty() {
        return Err("no active ads to read".into());
    }
    Ok(Data { active, sample })
}

/// The API processes (and on PostgreSQL one `souk-worker`) as processes of their own.
pub struct Services {
    /// One per API process.
    pub bases: Vec<String>,
    apis: Vec<Child>,
    worker: Option<Child>,
    log: PathBuf,
}

impl Drop for Services {
    fn drop(&mut self) {
        for c in self.apis.iter_mut().chain(self.worker.as_mut()) {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// CPU seconds and resident memory of a process, read from /proc.
#[derive(Debug, Clone, Copy)]
pub struct Usage {
    pub cpu_secs: f64,
    pub rss_mb: f64,
}

pub fn start_services(args: &Args) -> Result<Services, Error> {
    let dir = args.work_dir.join("api");
    let index_of = |i: usize| match i {
        0 => dir.join("index"),
        i => dir.join(format!("index-{i}")),
    };
    if !args.keep_index {
        for i in 0..args.api_processes.max(1) {
            let _ = std::fs::remove_dir_all(index_of(i));
        }
    }
    std::fs::create_dir_all(&dir)?;
    let log = args.work_dir.join("api.log");
    let generous = [
        ("SOUK_RATE_POST_PER_HOUR", "1000000"),
        ("SOUK_RATE_LOGIN_PER_MIN", "1000000"),
        ("SOUK_RATE_CONTACT_PER_HOUR", "1000000"),
        ("SOUK_RATE_REGISTER_PER_HOUR", "1000000"),
        ("SOUK_RATE_THREADS_PER_DAY", "1000000"),
        ("SOUK_RATE_UPLOAD_PER_HOUR", "1000000"),
        ("SOUK_RATE_REPORT_PER_HOUR", "1000000"),
        // The mix edits each seat's own ad several times a second.
        ("SOUK_RATE_CHANGES_PER_AD_PER_HOUR", "1000000"),
        // Reports are part of the mix: the sampled ads must stay up while they come in.
        ("SOUK_REPORTS_TO_HIDE", "1000"),
        ("SOUK_JWT_SECRET", "load-benchmark-secret-load-benchmark"),
        // The run reads the writer's histograms at its end.
        ("SOUK_METRICS_PUBLIC", "true"),
    ];
    // The API logs (tracing) on stdout; both go to the log file that is searched afterwards.
    let log_file = std::fs::File::create(&log)?;
    let log_filter = std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into());
    let mut apis = Vec::new();
    let mut bases = Vec::new();
    for i in 0..args.api_processes.max(1) {
        // One folder of data (photos, secret) for all; an index each.
        let port = 18_199 + i;
        apis.push(
            Command::new(&args.api_bin)
                .arg("serve")
                .env("DATABASE_URL", &args.database_url)
                .env("SOUK_DATA_DIR", &dir)
                .env("SOUK_INDEX_DIR", index_of(i))
                .env("SOUK_BIND", format!("127.0.0.1:{port}"))
                .envs(generous)
                .env("RUST_LOG", &log_filter)
                .stdout(log_file.try_clone()?)
                .stderr(log_file.try_clone()?)
                .spawn()?,
        );
        bases.push(format!("http://127.0.0.1:{port}"));
    }
    let worker = if args.database_url.starts_with("postgres") {
        let bin = args.api_bin.with_file_name("souk-worker");
        Some(
            Command::new(bin)
                .env("DATABASE_URL", &args.database_url)
                .env("SOUK_DATA_DIR", &dir)
                .env("RUST_LOG", "warn")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()?,
        )
    } else {
        None
    };
    Ok(Services {
        bases,
        apis,
        worker,
        log,
    })
}

impl Services {
    pub async fn wait_ready(&self, within: Duration) -> Result<(), Error> {
        let client = Client::new();
        let start = Instant::now();
        loop {
            let mut ready = 0;
            for base in &self.bases {
                if let Ok(r) = client.get(format!("{base}/readyz")).send().await {
                    ready += usize::from(r.status().is_success());
                }
            }
            if ready == self.bases.len() {
                eprintln!("API ready after {:.1} s", start.elapsed().as_secs_f64());
                return Ok(());
            }
            if start.elapsed() > within {
                return Err("the API never became ready".into());
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Summed over the API processes.
    pub fn usage(&self) -> Usage {
        self.apis.iter().map(|a| usage_of(a.id())).fold(
            Usage {
                cpu_secs: 0.0,
                rss_mb: 0.0,
            },
            |sum, u| Usage {
                cpu_secs: sum.cpu_secs + u.cpu_secs,
                rss_mb: sum.rss_mb + u.rss_mb,
            },
        )
    }

    pub fn log_lines_containing(&self, needle: &str) -> usize {
        std::fs::read_to_string(&self.log)
            .map(|s| s.lines().filter(|l| l.contains(needle)).count())
            .unwrap_or(0)
    }
}

/// One signed-in seller, as a client of the run plays them.
pub struct Seat {
    pub token: String,
    pub own_ad: i64,
    pub conversation: i64,
}

pub struct World {
    /// The API processes' addresses: client `n` calls `bases[n % len]`.
    pub bases: Vec<String>,
    /// This run's mark (seconds since 1970), in what the run writes, so runs never collide.
    pub run: i64,
    pub sample: Vec<(i64, i64)>,
    pub photos: Vec<String>,
    pub seats: Vec<Seat>,
    pub searches: Vec<Vec<(String, String)>>,
}

async fn call(req: reqwest::RequestBuilder) -> Result<Value, Error> {
    let res = req.send().await?;
    let status = res.status();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        return Err(format!("setup call failed: {status} {body}").into());
    }
    Ok(body)
}

/// A photo of its own for every seat and run (big blocks placed from `seed`): a seller posting
/// the photo of one of their active ads again is refused as a repost.
pub fn demo_photo(seed: u64, width: u32, height: u32) -> Vec<u8> {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let blocks: Vec<(u32, u32, u32, [u8; 3])> = (0..5)
        .map(|_| {
            (
                rng.gen_range(0..width),
                rng.gen_range(0..height),
                rng.gen_range(width / 12..width / 3),
                rng.gen(),
            )
        })
        .collect();
    let cells: Vec<[u8; 3]> = (0..48).map(|_| rng.gen()).collect();
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        let inside = blocks
            .iter()
            .find(|(bx, by, side, _)| x >= *bx && x < bx + side && y >= *by && y < by + side);
        // A grid of cells of random colours under the blocks: every photo its own perceptual
        // hash (a seller's photo too near one of their others is refused as a repost).
        let cell = cells[((y * 6 / height) * 8 + x * 8 / width) as usize];
        image::Rgb(inside.map_or(cell, |b| b.3))
    });
    let mut out = Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Jpeg)
        .expect("encode a JPEG in memory");
    out.into_inner()
}

impl World {
    pub async fn build(bases: &[String], data: &Data, clients: usize) -> Result<World, Error> {
        let base = &bases[0];
        let client = Client::new();
        let mut seats = Vec::new();
        let mut photos = Vec::new();
        // Each run's setup ads differ from the last run's, still active: not reposts.
        let run = chrono::Utc::now().timestamp();
        for i in 0..clients.min(SELLERS) {
            let photo = demo_photo(run as u64 * 64 + i as u64, 1024, 768);
            let login = call(client.post(format!("{base}/v1/auth/login")).json(&json!({
                "email": format!("demo{}@souk.local", i + 1), "password": DEMO_PASSWORD})))
            .await?;
            let token = login["access_token"]
                .as_str()
                .ok_or("no token")?
                .to_string();
            let ad = call(client.post(format!("{base}/v1/listings")).bearer_auth(&token).json(&json!({
                "title": format!("Renault Symbol 2016 essence, réf. {run}-{i}"), "description": "Bon état, contrôle technique à jour, prix à débattre.",
                "category": "cars", "attributes": {"brand": "renault", "model": "symbol", "year": 2016, "mileage_km": 120000, "fuel": "petrol", "gearbox": "manual"},
                "price": 1_650_000, "wilaya": 16, "commune": 1601}))).await?;
            let own_ad = ad["id"].as_i64().ok_or("no id")?;
            if i < 4 {
                let form = reqwest::multipart::Form::new().part(
                    "photo",
                    reqwest::multipart::Part::bytes(photo.clone())
                        .file_name("car.jpg")
                        .mime_str("image/jpeg")?,
                );
                let p = call(
                    client
                        .post(format!("{base}/v1/listings/{own_ad}/photos"))
                        .bearer_auth(&token)
                        .multipart(form),
                )
                .await?;
                for k in ["thumb_url", "large_url"] {
                    photos.push(p[k].as_str().ok_or("no photo url")?.to_string());
                }
            }
            // A thread with another seller (one's own ad, or one sold meanwhile, is refused).
            let mut conversation = None;
            for k in 0..10 {
                let (target, _) = data.sample[(i * 7919 + k * 104_729) % data.sample.len()];
                let thread = call(client.post(format!("{base}/v1/listings/{target}/contact")).bearer_auth(&token).json(&json!({
                    "message": "Salam, toujours disponible ? Je peux passer samedi.", "name": "Karim"}))).await;
                if let Ok(t) = thread {
                    conversation = t["id"].as_i64();
                    break;
                }
            }
            seats.push(Seat {
                token,
                own_ad,
                conversation: conversation.ok_or("could not open a thread")?,
            });
        }
        let searches = crate::mix::mix(40, 7)
            .iter()
            .map(|q| q.http_query())
            .collect();
        Ok(World {
            bases: bases.to_vec(),
            run,
            sample: data.sample.clone(),
            photos,
            seats,
            searches,
        })
    }
}

/// CPU seconds and resident memory of process `pid` (`std::process::id()` for this one).
pub fn usage_of(pid: u32) -> Usage {
    Usage {
        cpu_secs: crate::procfs::cpu_secs(pid).unwrap_or(0.0),
        rss_mb: crate::procfs::rss_mb(pid).unwrap_or(0.0),
    }
}
