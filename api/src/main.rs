//! `souk-api`: serves the API; admin subcommands for migrations, demo data and the spec.

use std::net::TcpListener;

use clap::{Parser, Subcommand};
use souk_api::config::Config;

#[derive(Parser)]
#[command(about = "souk classifieds API", version)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (the default).
    Serve {
        /// On start, when the database has no listings, seed this many demo listings.
        #[arg(long)]
        demo: Option<usize>,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Insert demo users and listings across every category and wilaya.
    Seed {
        #[arg(long, default_value_t = 10_000)]
        count: usize,
        /// Demo sellers to spread the listings over.
        #[arg(long, default_value_t = 500)]
        users: usize,
        /// Random seed, for reproducible data sets.
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// Rebuild the search index from the database into a new generation, with a progress
    /// bar; a running service switches to it when done, searching the old one meanwhile.
    Reindex {
        /// Then publish it as an index snapshot into SOUK_INDEX_SNAPSHOTS, for new replicas.
        #[arg(long)]
        publish: bool,
    },
    /// Print the OpenAPI document (YAML), as checked in at openapi.yaml.
    Openapi,
    /// Inspect and retry background jobs.
    Jobs {
        #[command(subcommand)]
        action: JobsAction,
    },
    /// Give a user a role: `souk-api set-role amine@example.dz admin` (user, moderator,
    /// admin). The first admin can only be made this way, never through the API.
    SetRole { email: String, role: String },
    /// Give credits to an account: `souk-api grant-credits amine@example.dz 1000 "launch offer"`
    /// (logged; run it twice and it gives twice).
    GrantCredits {
        email: String,
        amount: i64,
        reason: String,
    },
    /// Back the site up into a new folder: the SQLite database (an online snapshot; on
    /// PostgreSQL use pg_dump), ad and message photos, the generated JWT secret. Never the
    /// search index. Safe while the service runs.
    Backup { dest: std::path::PathBuf },
    /// Restore a backup made by `backup` into this configuration's site, with the service
    /// stopped. The search index is rebuilt at the next start.
    Restore {
        src: std::path::PathBuf,
        /// Replace an existing database (kept aside, not deleted) and JWT secret.
        #[arg(long)]
        force: bool,
    },
    /// Copy the local photo, message-photo and export folders into the bucket SOUK_S3_BUCKET
    /// names. Resumable and idempotent: files already there are skipped, so run it before the
    /// switch, then once more after it. Exits 1 when a file could not be copied.
    FilesToBucket,
    /// Ask the running service's /healthz (or /readyz with --ready); exit 0 when it answers
    /// 200. For container health checks without curl.
    Healthcheck {
        #[arg(long)]
        ready: bool,
    },
}

#[derive(Subcommand)]
enum JobsAction {
    /// List dead jobs with their last error.
    Dead,
    /// Queue dead jobs again (all, or one by id).
    Retry { id: Option<i64> },
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    souk_api::telemetry::limit_malloc_arenas();
    let cli = Cli::parse();
    if let Some(Command::Openapi) = cli.command {
        print!("{}", souk_api::openapi::yaml());
        return Ok(());
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("RUST_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .init();
    let config = Config::from_env()?;
    if let Some(Command::Healthcheck { ready }) = cli.command {
        return match souk_api::healthcheck::check(config.bind, ready) {
            Ok(line) => {
                println!("{line}");
                Ok(())
            }
            Err(why) => {
                eprintln!("unhealthy: {why}");
                std::process::exit(1);
            }
        };
    }
    // A price list that does not parse or makes no sense stops the start, with its reason.
    souk_worker::price_list::install_from_env()?;
    match cli.command.unwrap_or(Command::Serve { demo: None }) {
        Command::Serve { demo } => serve(config, demo),
        Command::Migrate => {
            souk_store::open_pool(&config.database_url, 1)?;
            tracing::info!("database is up to date");
            Ok(())
        }
        Command::Seed { count, users, seed } => {
            let pool = souk_store::open_pool(&config.database_url, 2)?;
            souk_api::seed::seed(&pool, count, users, seed, true)?;
            Ok(())
        }
        Command::Jobs { action } => jobs(&config, action),
        Command::Reindex { publish } => reindex(&config, publish),
        Command::SetRole { email, role } => {
            let role = souk_domain::trust::Role::parse(&role)
                .ok_or("role must be user, moderator or admin")?;
            let pool = souk_store::open_pool(&config.database_url, 1)?;
            let email =
                souk_domain::account::normalize_email(&email).ok_or("not an email address")?;
            let id = souk_store::db::write_transaction(&mut *pool.get()?, |c| {
                souk_api::usecases::roles::set_role_by_email(c, &email, role)
            })
            .map_err(|e| format!("{email}: {e}"))?;
            println!("user {id} ({email}) is now {}", role.as_str());
            Ok(())
        }
        Command::GrantCredits {
            email,
            amount,
            reason,
        } => {
            if !(1..=souk_api::usecases::credits::MAX_GRANT).contains(&amount) {
                return Err(format!(
                    "the amount must be 1–{} credits",
                    souk_api::usecases::credits::MAX_GRANT
                )
                .into());
            }
            let pool = souk_store::open_pool(&config.database_url, 1)?;
            let email =
                souk_domain::account::normalize_email(&email).ok_or("not an email address")?;
            let key = format!("cli:{}", uuid_like());
            let balance = souk_store::db::write_transaction(&mut *pool.get()?, |c| {
                let u = souk_store::users::find_user_by_email(c, &email)?
                    .ok_or(souk_api::error::ApiError::NotFound)?;
                souk_api::usecases::credits::grant_in(c, u.id, amount, &reason, &key, None)
                    .map(|d| d.movement.balance_after)
            })
            .map_err(|e| format!("{email}: {e}"))?;
            println!("{email}: +{amount} credits, balance {balance}");
            Ok(())
        }
        Command::Backup { dest } => {
            let manifest =
                souk_api::backup::backup(&config, &dest, &mut |line| eprintln!("{line}"))?;
            println!(
                "backup written to {} ({} backend{})",
                dest.display(),
                manifest.backend,
                if manifest.database.is_some() {
                    ", database included"
                } else {
                    "; database not included: pg_dump it"
                }
            );
            Ok(())
        }
        Command::Restore { src, force } => {
            souk_api::backup::restore(&config, &src, force, &mut |line| eprintln!("{line}"))?;
            println!("restored from {}; start the service", src.display());
            Ok(())
        }
        Command::FilesToBucket => {
            let runtime = tokio::runtime::Runtime::new()?;
            let done = runtime.block_on(souk_api::bucket_copy::files_to_bucket(
                &config,
                &mut |line| eprintln!("{line}"),
            ))?;
            println!(
                "{} copied, {} already in the bucket, {} failed",
                done.copied, done.already_there, done.failed
            );
            if done.failed > 0 {
                eprintln!("run it again to retry the files that failed");
                std::process::exit(1);
            }
            Ok(())
        }
        Command::Healthcheck { .. } => unreachable!("handled above"),
        Command::Openapi => unreachable!("handled above"),
    }
}

/// A key no other grant has: the time in nanoseconds and the process id.
fn uuid_like() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{nanos:x}-{:x}", std::process::id())
}

fn serve(config: Config, demo: Option<usize>) -> Result<(), Box<dyn std::error::Error>> {
    if let Some(count) = demo {
        let pool = souk_store::open_pool(&config.database_url, 2)?;
        let existing = souk_store::listings::count_all(&mut *pool.get()?)?;
        if existing == 0 {
            tracing::info!(count, "empty database: seeding demo data");
            souk_api::seed::seed(&pool, count, (count / 20).clamp(5, 500), 42, true)?;
        }
    }
    let listener = match souk_api::shutdown::passed_listener()? {
        Some(passed) => {
            tracing::info!(addr = ?passed.local_addr()?, "listening on the socket passed by the supervisor");
            passed
        }
        None => TcpListener::bind(config.bind)?,
    };
    actix_web::rt::System::new().block_on(async move {
        let (running, server) = souk_api::start(config, listener).await?;
        // SIGTERM (a deployment stopping or restarting it) drains first; Ctrl-C stops at once.
        // Either way live streams end first: they never end by themselves.
        actix_web::rt::spawn(async move {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                    .expect("SIGTERM handler");
            tokio::select! {
                _ = term.recv() => running.drain_and_stop().await,
                _ = tokio::signal::ctrl_c() => running.stop().await,
            }
        });
        server.await?;
        Ok(())
    })
}

fn jobs(config: &Config, action: JobsAction) -> Result<(), Box<dyn std::error::Error>> {
    use souk_store::jobs;
    let pool = souk_store::open_pool(&config.database_url, 1)?;
    let mut conn = pool.get()?;
    match action {
        JobsAction::Dead => {
            for j in jobs::list_by_status(&mut conn, jobs::STATUS_DEAD, 1000)? {
                println!(
                    "{}\t{}\tattempts={}\t{}\t{}",
                    j.id,
                    j.kind,
                    j.attempts,
                    j.updated_at,
                    j.last_error.unwrap_or_default()
                );
            }
        }
        JobsAction::Retry { id } => {
            println!("{} job(s) queued again", jobs::retry_dead(&mut conn, id)?)
        }
    }
    Ok(())
}

fn reindex(config: &Config, publish: bool) -> Result<(), Box<dyn std::error::Error>> {
    let snapshots = match (publish, &config.index_snapshots) {
        (true, None) => {
            return Err("--publish needs SOUK_INDEX_SNAPSHOTS (the shared folder)".into())
        }
        (true, Some(dir)) => Some(dir.clone()),
        (false, _) => None,
    };
    use souk_api::indexing::{new_generation_name, rebuild::rebuild, set_current_generation};
    souk_store::open_pool(&config.database_url, 1)?;
    let mut conn = souk_store::db::establish(&souk_store::DbUrl::parse(&config.database_url))?;
    let generation = new_generation_name();
    std::fs::create_dir_all(&config.index_dir)?;
    let started = std::time::Instant::now();
    let (index, _) = souk_search::SearchIndex::open(
        &config.index_dir.join(&generation),
        souk_api::indexing::build_heap(),
    )?;
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} indexing [{bar:40}] {pos}/{len} listings ({per_sec}, eta {eta})",
        )?
        .progress_chars("=> "),
    );
    let checkpoint = rebuild(&mut conn, &index, &bar)?;
    // Let the merges finish before the service switches over.
    index.finish_rebuild(souk_api::indexing::FOLLOW_HEAP)?;
    let docs = index.num_docs();
    if let Some(dir) = snapshots {
        let info = souk_api::indexing::snapshot::publish(&index, &dir)?;
        println!(
            "published snapshot {} ({} files, {} bytes) into {}",
            info.name,
            info.files,
            info.bytes,
            dir.display()
        );
    }
    drop(index);
    set_current_generation(&config.index_dir, &generation)?;
    println!(
        "indexed {docs} active listings into {generation} in {:.1} s (following the feed from change {})",
        started.elapsed().as_secs_f64(),
        checkpoint.watermark
    );
    Ok(())
}
