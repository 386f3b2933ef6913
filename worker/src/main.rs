//! `souk-worker`: runs background jobs against the same database as the API.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Parser;
use souk_worker::{run_due_jobs, run_until_shutdown, MailConfig, Mailer, RunnerConfig};

#[derive(Parser)]
#[command(about = "souk background worker")]
struct Args {
    /// Run every due job once and exit (for cron and tests).
    #[arg(long)]
    once: bool,
    #[arg(long, env = "SOUK_DATA_DIR", default_value = "./data")]
    data_dir: PathBuf,
    /// Defaults to the SQLite file in the data folder.
    #[arg(long, env = "DATABASE_URL")]
    database_url: Option<String>,
    #[arg(long, env = "SOUK_SMTP_URL")]
    smtp_url: Option<String>,
    #[arg(
        long,
        env = "SOUK_MAIL_FROM",
        default_value = "souk <no-reply@souk.local>"
    )]
    mail_from: String,
    #[arg(long, env = "SOUK_WORKER_POLL_MS", default_value_t = 2000)]
    poll_ms: u64,
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
    let url = args
        .database_url
        .unwrap_or_else(|| souk_store::db::default_database_url(&args.data_dir));
    let pool = souk_store::open_pool(&url, 4)?;
    let mailer = Mailer::from_config(&MailConfig {
        smtp_url: args.smtp_url,
        from: args.mail_from,
        outbox_dir: args.data_dir.join("outbox"),
    })?;
    let cfg = RunnerConfig {
        poll_interval: std::time::Duration::from_millis(args.poll_ms),
        ..Default::default()
    };
    if args.once {
        let ran = run_due_jobs(&pool, &mailer, &cfg).await?;
        tracing::info!(ran, "ran due jobs once");
        return Ok(());
    }
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let runner = tokio::spawn(run_until_shutdown(
        pool,
        mailer,
        cfg,
        Arc::new(tokio::sync::Notify::new()),
        stop_rx,
    ));
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
