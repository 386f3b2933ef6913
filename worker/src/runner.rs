//! The job loop shared by `souk-worker` and the embedded mode of the API: claim due jobs and
//! run them, run the periodic tasks every tick, stop cleanly on shutdown.

use std::sync::atomic::Ordering;
use std::time::Instant;

use souk_store::jobs::{self, Job};
use tokio::sync::watch;

use crate::context::{RunnerError, Worker};
use crate::email::{EmailJob, SEND_EMAIL};

/// How often the worker asks SQLite to refresh its planner statistics (`PRAGMA optimize`,
/// which analyses only the tables that changed a lot).
const STATISTICS_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);

impl Worker {
    fn message_id(&self, job: &Job) -> String {
        format!(
            "<job-{}.{}@{}>",
            job.id,
            job.created_at.and_utc().timestamp(),
            self.cfg.message_id_host
        )
    }

    /// Sends an email job at most once per Message-ID as far as we can know: the start of the
    /// send is committed first; a job found with a started send after a crash is checked
    /// (an outbox file exists) or re-sent with the same Message-ID (SMTP).
    async fn send_email(&self, job: &Job) -> Result<(), String> {
        let payload: EmailJob =
            serde_json::from_str(&job.payload).map_err(|e| format!("bad payload: {e}"))?;
        let message_id = self.message_id(job);
        if job.effect_started_at.is_some() {
            if self.mailer.already_sent(&message_id).await {
                tracing::info!(job = job.id, %message_id, "email was sent before a crash; not sending again");
                return Ok(());
            }
            tracing::warn!(job = job.id, %message_id, "a send was interrupted; sending again with the same Message-ID");
        } else {
            let id = job.id;
            self.db(move |c| jobs::mark_effect_started(c, id))
                .await
                .map_err(|e| e.to_string())?;
        }
        self.mailer
            .send(&payload.email, &message_id)
            .await
            .map_err(|e| e.to_string())
    }

    async fn handle(&self, job: &Job) -> Result<(), String> {
        match job.kind.as_str() {
            SEND_EMAIL => self.send_email(job).await,
            crate::sms::SEND_SMS => {
                let sms: crate::sms::Sms =
                    serde_json::from_str(&job.payload).map_err(|e| format!("bad payload: {e}"))?;
                crate::sms::deliver(&self.cfg.sms, &sms, job.id).await
            }
            crate::alerts::PRICE_DROP => crate::alerts::fan_out_price_drop(self, job).await,
            crate::signals::TRUST_CHECK => crate::signals::run_check(self, job).await,
            crate::push::SEND_PUSH => self.send_push(job).await,
            crate::messages::MESSAGE_EMAIL => crate::messages::run_message_email(self, job).await,
            crate::export::EXPORT_ACCOUNT => crate::export::run_export(self, job).await,
            crate::payments::CONFIRM_PAYMENT => crate::payments::run_confirm(self, job).await,
            other => Err(format!("unknown job kind {other}")),
        }
    }

    /// Runs every job that is due now, one after another; returns how many ran.
    pub async fn run_due_jobs(&self) -> Result<usize, RunnerError> {
        let mut ran = 0;
        loop {
            if self.stopping.load(Ordering::Relaxed) {
                return Ok(ran);
            }
            let lease = self.cfg.lease;
            let Some(job) = self.db(move |c| jobs::claim_next(c, lease)).await? else {
                return Ok(ran);
            };
            ran += 1;
            let started = Instant::now();
            match self.handle(&job).await {
                Ok(()) => {
                    tracing::info!(job = job.id, kind = %job.kind, ms = started.elapsed().as_millis() as u64, "job done");
                    self.db(move |c| jobs::mark_done(c, &job)).await?;
                }
                Err(error) => {
                    let retry_in = self.backoff(job.attempts);
                    tracing::warn!(job = job.id, kind = %job.kind, attempts = job.attempts, %error, "job failed");
                    self.db(move |c| jobs::mark_failed(c, &job, &error, retry_in))
                        .await?;
                }
            }
        }
    }

    /// One pass of every periodic task. Each is safe to run in several workers at once.
    pub async fn run_periodic(&self) {
        match self.db(jobs::bury_abandoned).await {
            Ok(0) => {}
            Ok(n) => tracing::warn!(
                jobs = n,
                "jobs whose workers stopped with their attempts spent are dead"
            ),
            Err(e) => tracing::error!(error = %e, "burying abandoned jobs failed"),
        }
        if let Err(e) = crate::lifecycle::warn_expiring(self).await {
            tracing::error!(error = %e, "expiry warnings failed");
        }
        if let Err(e) = crate::lifecycle::expire_due(self).await {
            tracing::error!(error = %e, "expiry sweep failed");
        }
        if let Err(e) = crate::lifecycle::purge(self).await {
            tracing::error!(error = %e, "purge failed");
        }
        if let Err(e) = crate::lifecycle::lift_ended_bans(self).await {
            tracing::error!(error = %e, "lifting ended bans failed");
        }
        if let Err(e) = crate::lifecycle::forget_mailboxes(self).await {
            tracing::error!(error = %e, "forgetting deleted mailboxes failed");
        }
        if let Err(e) = crate::lifecycle::forget_events(self).await {
            tracing::error!(error = %e, "forgetting live-stream events failed");
        }
        if let Err(e) = crate::lifecycle::forget_fingerprints(self).await {
            tracing::error!(error = %e, "forgetting past fingerprints failed");
        }
        if let Err(e) = crate::export::purge_expired(self).await {
            tracing::error!(error = %e, "expired exports purge failed");
        }
        if let Err(e) = crate::alerts::saved_search_alerts(self).await {
            tracing::error!(error = %e, "saved search alerts failed");
        }
        if let Err(e) = crate::views::flush_redis_views(self).await {
            tracing::error!(error = %e, "view count flush failed");
        }
        if let Err(e) = crate::visibility::clear_ended_marks(self).await {
            tracing::error!(error = %e, "ended marks sweep failed");
        }
        if let Err(e) = crate::visibility::scheduled_bumps(self).await {
            tracing::error!(error = %e, "scheduled bumps failed");
        }
        if let Err(e) = crate::visibility::renew_plans(self).await {
            tracing::error!(error = %e, "store plan renewals failed");
        }
        if let Err(e) = crate::payments::recheck_pending(self).await {
            tracing::error!(error = %e, "pending payments recheck failed");
        }
        if self.statistics_due() {
            if let Err(e) = self.db(souk_store::writer::refresh_statistics).await {
                tracing::error!(error = %e, "planner statistics refresh failed");
            }
        }
    }

    /// Whether the hourly refresh of SQLite's planner statistics is due (always in the first
    /// pass of a process, so `--once` from cron refreshes them too).
    fn statistics_due(&self) -> bool {
        let mut last = self
            .statistics_refreshed
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        match *last {
            Some(at) if at.elapsed() < STATISTICS_EVERY => false,
            _ => {
                *last = Some(Instant::now());
                true
            }
        }
    }

    /// `souk-worker --once`: every periodic task, then every due job (including the emails the
    /// tasks just queued).
    pub async fn run_once(&self) -> Result<usize, RunnerError> {
        self.run_periodic().await;
        self.run_due_jobs().await
    }

    /// Runs jobs and periodic tasks until `shutdown` turns true; wakes early when `wake` is
    /// notified. A job under way is finished before stopping.
    pub async fn run_until_shutdown(self, mut shutdown: watch::Receiver<bool>) {
        tracing::info!(
            poll_ms = self.cfg.poll_interval.as_millis() as u64,
            tick_s = self.cfg.tick.as_secs(),
            redis = self.redis.is_some(),
            "job runner started"
        );
        if let Some(r) = self.redis.clone() {
            let wake = self.wake.clone();
            tokio::spawn(r.forward_wakes(wake));
        }
        {
            let (stopping, mut watch) = (self.stopping.clone(), shutdown.clone());
            tokio::spawn(async move {
                while watch.changed().await.is_ok() {
                    if *watch.borrow() {
                        stopping.store(true, Ordering::Relaxed);
                        return;
                    }
                }
            });
        }
        let mut next_tick = Instant::now();
        while !*shutdown.borrow() && !self.stopping.load(Ordering::Relaxed) {
            if Instant::now() >= next_tick {
                self.run_periodic().await;
                next_tick = Instant::now() + self.cfg.tick;
            }
            if let Err(e) = self.run_due_jobs().await {
                tracing::error!(error = %e, "job runner pass failed");
            }
            let wait = self
                .cfg
                .poll_interval
                .min(next_tick.saturating_duration_since(Instant::now()));
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = self.wake.notified() => {}
                _ = shutdown.changed() => {}
            }
        }
        tracing::info!("job runner stopped");
    }
}
