//! `souk-worker`: runs background jobs and periodic tasks against the same database as the
//! API. Several may run at once on PostgreSQL; on SQLite run one (or the API's embedded one).

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use souk_worker::{MailConfig, Mailer, RedisLink, RunnerConfig, Worker};

#[derive(Parser)]
#[command(about = "souk background worker")]
struct Args {
    /// Run every periodic task and every due job once, then exit (for cron and tests).
    #[arg(long)]
    once: bool,
    #[arg(long, env = "SOUK_DATA_DIR", default_value = "./data")]
    data_dir: PathBuf,
    /// Defaults to the SQLite file in the data folder.
    #[arg(long, env = "DATABASE_URL")]
    database_url: Option<String>,
    /// Shared rate limits, view counts and instant wake-ups; optional.
    #[arg(long, env = "REDIS_URL")]
    redis_url: Option<String>,
    #[arg(long, env = "SOUK_REDIS_PREFIX", default_value = "souk")]
    redis_prefix: String,
    /// A job claimed by a worker that died is taken over after this many seconds.
    #[arg(long, env = "SOUK_JOB_LEASE_SECS", default_value_t = 300)]
    lease_secs: i64,
    #[arg(long, env = "SOUK_SMTP_URL")]
    smtp_url: Option<String>,
    #[arg(
        long,
        env = "SOUK_MAIL_FROM",
        default_value = "souk <no-reply@souk.local>"
    )]
    mail_from: String,
    /// Base of the links in emails.
    #[arg(long, env = "SOUK_PUBLIC_URL", default_value = "http://127.0.0.1:8080")]
    public_url: String,
    /// Defaults to `<data dir>/photos`.
    #[arg(long, env = "SOUK_PHOTOS_DIR")]
    photos_dir: Option<PathBuf>,
    #[arg(long, env = "SOUK_WORKER_POLL_MS", default_value_t = 2000)]
    poll_ms: u64,
    #[arg(long, env = "SOUK_WORKER_TICK_SECS", default_value_t = 60)]
    tick_secs: u64,
    #[arg(long, env = "SOUK_JOB_BACKOFF_MS", default_value_t = 5000)]
    backoff_ms: u64,
    #[arg(long, env = "SOUK_EXPIRY_WARN_DAYS", default_value_t = 3)]
    warn_days: i64,
    #[arg(long, env = "SOUK_RETENTION_DELETED_DAYS", default_value_t = 30)]
    deleted_retention_days: i64,
    #[arg(long, env = "SOUK_RETENTION_EXPIRED_DAYS", default_value_t = 90)]
    expired_retention_days: i64,
    /// Summed weight of an ad's trust flags that hides it pending review (0: never).
    #[arg(long, env = "SOUK_FLAG_SCORE_TO_HIDE", default_value_t = souk_domain::signals::DEFAULT_SCORE_TO_HIDE)]
    flag_score_to_hide: u32,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("RUST_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .init();
    let args = Args::parse();
    souk_worker::price_list::install_from_env()?;
    let url = args
        .database_url
        .unwrap_or_else(|| souk_store::db::default_database_url(&args.data_dir));
    let pool = souk_store::open_pool(&url, 4)?;
    let mailer = Mailer::from_config(&MailConfig {
        smtp_url: args.smtp_url,
        from: args.mail_from,
        outbox_dir: args.data_dir.join("outbox"),
    })?;
    let redis = args
        .redis_url
        .as_deref()
        .map(|url| RedisLink::new(url, &args.redis_prefix))
        .transpose()?;
    let cfg = RunnerConfig {
        poll_interval: Duration::from_millis(args.poll_ms),
        tick: Duration::from_secs(args.tick_secs.max(1)),
        backoff_base: Duration::from_millis(args.backoff_ms),
        lease: chrono::Duration::seconds(args.lease_secs.max(1)),
        public_url: args.public_url.trim_end_matches('/').to_string(),
        warn_before: chrono::Duration::days(args.warn_days),
        deleted_retention: chrono::Duration::days(args.deleted_retention_days),
        expired_retention: chrono::Duration::days(args.expired_retention_days),
        sms: souk_worker::sms::SmsConfig::from_env(&args.data_dir),
        payments: souk_worker::payments::PaymentConfig::from_env()?,
        flag_score_to_hide: args.flag_score_to_hide,
        exports_dir: args.data_dir.join("exports"),
        push: souk_worker::push::PushConfig::from_env(&args.data_dir)?,
        ..Default::default()
    };
    let photos_dir = args
        .photos_dir
        .unwrap_or_else(|| args.data_dir.join("photos"));
    let files = souk_store::files::Files::open(&souk_store::files::FilesConfig::from_env(
        &args.data_dir,
        photos_dir,
    )?)?;
    // A missing bucket or refused keys stop the start here, not the first purge or export.
    files.check().await?;
    let worker = Worker::new(pool, mailer, cfg, redis, files);
    if args.once {
        let ran = worker.run_once().await?;
        tracing::info!(ran, "ran periodic tasks and due jobs once");
        return Ok(());
    }
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let runner = tokio::spawn(worker.run_until_shutdown(stop_rx));
    shutdown_signal().await;
    tracing::info!("shutting down after the current job");
    let _ = stop_tx.send(true);
    runner.await?;
    Ok(())
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}
