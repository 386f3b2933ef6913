//! `souk-console`: the moderation console with a big queue (bench/README.md, "Moderation
//! console"). On a database seeded with demo ads (`souk-api seed --count N`), files an open
//! report on `--items` ads from confirmed reporters, starts the API in this process, signs a
//! moderator in through the console's form, then times the queue page and item pages over
//! HTTP (one client: the console serves a team, not a crowd).

use std::time::Instant;

use clap::Parser;
use diesel::prelude::*;

#[path = "../sections.rs"]
mod sections;

type Error = Box<dyn std::error::Error + Send + Sync>;

#[derive(Parser)]
#[command(about = "souk: the moderation console's queue and item pages with many open items")]
struct Args {
    /// `postgres://…` or `sqlite://…`, seeded beforehand (`souk-api seed --count N`).
    #[arg(long)]
    database_url: String,
    /// Open items wanted in the queue (reported ads).
    #[arg(long, default_value_t = 10_000)]
    items: i64,
    /// Requests timed per page kind.
    #[arg(long, default_value_t = 200)]
    requests: usize,
    #[arg(long, default_value = "./data/console-bench")]
    work_dir: std::path::PathBuf,
    /// The API's index folder (default: in the work folder, built at start; the pages are
    /// timed once the API is ready either way).
    #[arg(long)]
    index_dir: Option<std::path::PathBuf>,
    #[arg(long, default_value = "bench/RESULTS.md")]
    out: std::path::PathBuf,
    #[arg(long, default_value = "")]
    label: String,
}

const MODERATOR: &str = "console-bench-moderator@souk.local";
const REPORTER_PREFIX: &str = "console-bench-reporter";
const PASSWORD: &str = "console bench password";

/// Makes the moderator and enough open reports; returns the reported ad ids.
fn prepare(url: &str, items: i64) -> Result<Vec<i64>, Error> {
    use souk_store::schema::{listings, reports, users};
    let pool = souk_store::open_pool(url, 2)?;
    let mut conn = pool.get()?;
    let hash = souk_api::auth::password::hash_password(PASSWORD)?;
    let now = souk_store::now();
    let ensure_user = |conn: &mut souk_store::DbConn, email: &str| -> Result<i64, Error> {
        if let Some(u) = souk_store::users::find_user_by_email(conn, email)? {
            return Ok(u.id);
        }
        let u = souk_store::users::create_user(
            conn,
            souk_store::users::NewUser {
                email,
                password_hash: &hash,
                display_name: "Bench",
                phone: None,
                language: "fr",
            },
        )?;
        diesel::update(users::table.find(u.id))
            .set(users::email_verified_at.eq(Some(now)))
            .execute(conn)?;
        Ok(u.id)
    };
    ensure_user(&mut conn, MODERATOR)?;
    souk_api::usecases::roles::set_role_by_email(
        &mut conn,
        MODERATOR,
        souk_domain::trust::Role::Moderator,
    )?;
    let reporter = ensure_user(&mut conn, &format!("{REPORTER_PREFIX}@souk.local"))?;
    let open: i64 = reports::table
        .filter(reports::resolved_at.is_null())
        .count()
        .get_result(&mut conn)?;
    let wanted = items - open;
    if wanted > 0 {
        eprintln!("filing {wanted} reports …");
        let ids: Vec<i64> = listings::table
            .filter(listings::status.eq("active"))
            .order(listings::id.desc())
            .limit(items)
            .select(listings::id)
            .load(&mut conn)?;
        for chunk in ids.chunks(500) {
            souk_store::db::write_transaction(&mut conn, |c| -> Result<(), Error> {
                for id in chunk {
                    let _ = souk_store::moderation::report(c, *id, reporter, "scam", None);
                }
                Ok(())
            })?;
        }
    }
    Ok(reports::table
        .filter(reports::resolved_at.is_null())
        .select(reports::listing_id)
        .limit(items)
        .load(&mut conn)?)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
}

async fn timed(client: &reqwest::Client, url: &str, cookie: &str) -> Result<f64, Error> {
    let start = Instant::now();
    let res = client
        .get(url)
        .header(reqwest::header::COOKIE, cookie)
        .send()
        .await?;
    let status = res.status();
    let _ = res.bytes().await?;
    if status != 200 {
        return Err(format!("{url}: {status}").into());
    }
    Ok(start.elapsed().as_secs_f64() * 1000.0)
}

fn main() -> Result<(), Error> {
    let args = Args::parse();
    let ads = prepare(&args.database_url, args.items)?;
    eprintln!("{} open items", ads.len());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let (queue, filtered, last_page, item) = runtime.block_on(async {
        std::fs::create_dir_all(&args.work_dir)?;
        let mut config = souk_api::config::Config::from_env()?;
        config.database_url = args.database_url.clone();
        config.data_dir = args.work_dir.clone();
        config.index_dir = args
            .index_dir
            .clone()
            .unwrap_or_else(|| args.work_dir.join("index"));
        config.jwt_secret = Some("console-bench-secret-console-bench-secret".into());
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        let (running, server) = souk_api::start(config, listener).await?;
        tokio::spawn(server);
        let base = format!("http://{}", running.addr);
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        // Not while the index builds: it would take the cores the pages are timed on.
        let started = Instant::now();
        while client.get(format!("{base}/readyz")).send().await?.status() != 200 {
            if started.elapsed().as_secs() > 600 {
                return Err("the API never became ready".into());
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
        eprintln!("ready after {:.1} s", started.elapsed().as_secs_f64());
        let cookie = sign_in(&client, &base).await?;
        // Warm up, then time.
        for _ in 0..5 {
            timed(&client, &format!("{base}/mod/"), &cookie).await?;
        }
        let mut queue = Vec::new();
        for _ in 0..args.requests {
            queue.push(timed(&client, &format!("{base}/mod/"), &cookie).await?);
        }
        // Filtered by the database and paged deep: the same statement with a wilaya, and the
        // last page of the queue.
        let mut filtered = Vec::new();
        for i in 0..args.requests {
            let wilaya = 1 + (i % 58);
            let url = format!("{base}/mod/?wilaya={wilaya}");
            filtered.push(timed(&client, &url, &cookie).await?);
        }
        let deep = (ads.len() / souk_api::console::QUEUE_PAGE) * souk_api::console::QUEUE_PAGE;
        let mut last_page = Vec::new();
        for _ in 0..args.requests {
            let url = format!("{base}/mod/?offset={}", deep.saturating_sub(1));
            last_page.push(timed(&client, &url, &cookie).await?);
        }
        let mut item = Vec::new();
        for i in 0..args.requests {
            let id = ads[(i * 7919) % ads.len()];
            item.push(timed(&client, &format!("{base}/mod/listings/{id}"), &cookie).await?);
        }
        running.stop().await;
        Ok::<_, Error>((queue, filtered, last_page, item))
    })?;
    let mut md = String::new();
    let label = if args.label.is_empty() {
        format!("{} open items", ads.len())
    } else {
        args.label.clone()
    };
    md.push_str(&format!("## Moderation console: {label}\n\n"));
    md.push_str(&format!(
        "`target/release/souk-console --database-url {} --items {} --requests {}` (one client, over HTTP on loopback; the queue page shows {} items of the queue).\n\n",
        args.database_url, args.items, args.requests, souk_api::console::QUEUE_PAGE
    ));
    md.push_str("| page | p50 ms | p99 ms | max ms |\n|---|---:|---:|---:|\n");
    for (name, mut v) in [
        ("queue (`/mod/`)", queue),
        ("queue by wilaya (`/mod/?wilaya=N`)", filtered),
        ("queue, last page (`/mod/?offset=…`)", last_page),
        ("item (`/mod/listings/{id}`)", item),
    ] {
        v.sort_by(|a, b| a.total_cmp(b));
        let line = format!(
            "| {name} | {:.1} | {:.1} | {:.1} |\n",
            percentile(&v, 0.5),
            percentile(&v, 0.99),
            v.last().copied().unwrap_or_default()
        );
        eprint!("{line}");
        md.push_str(&line);
    }
    sections::write_section(&args.out, &format!("## Moderation console: {label}"), &md)?;
    println!("{md}");
    Ok(())
}

async fn sign_in(client: &reqwest::Client, base: &str) -> Result<String, Error> {
    let page = client.get(format!("{base}/mod/login")).send().await?;
    let login = cookie_of(&page, "souk_console_login").ok_or("no login cookie")?;
    let html = page.text().await?;
    let marker = "name=\"csrf\" value=\"";
    let at = html.find(marker).ok_or("no csrf field")? + marker.len();
    let csrf = html[at..].split('"').next().unwrap_or_default().to_string();
    let res = client
        .post(format!("{base}/mod/login"))
        .header(reqwest::header::COOKIE, login)
        .form(&[
            ("email", MODERATOR),
            ("password", PASSWORD),
            ("csrf", &csrf),
        ])
        .send()
        .await?;
    cookie_of(&res, "souk_console").ok_or_else(|| "sign-in refused".into())
}

fn cookie_of(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .find_map(|v| {
            let pair = v.to_str().ok()?.split(';').next()?;
            pair.starts_with(&format!("{name}="))
                .then(|| pair.to_string())
        })
}
