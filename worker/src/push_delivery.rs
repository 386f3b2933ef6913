//! Running a `send_push` job: the user's preferences and quiet hours, one message per device
//! through FCM or into the file outbox, dead tokens dropped, a partial failure retried for the
//! devices not reached only. Kept apart from `push` (what a notification is, its transports),
//! which the worker's context holds.

use serde_json::{json, Value};
use souk_domain::notifications::{in_quiet_hours, PushKind};
use souk_store::devices::{self, Device};
use souk_store::jobs::Job;
use souk_store::preferences;

use crate::context::Worker;
use crate::push::{enqueue_push, fcm_message, Notification, Sent};

impl Worker {
    /// Runs one `send_push` job.
    pub(crate) async fn send_push(&self, job: &Job) -> Result<(), String> {
        let n: Notification =
            serde_json::from_str(&job.payload).map_err(|e| format!("bad payload: {e}"))?;
        let user = n.user_id;
        let (prefs, mut targets) = self
            .db(move |c| Ok((preferences::of(c, user)?, devices::of_user(c, user)?)))
            .await
            .map_err(|e| e.to_string())?;
        let wanted = match n.kind {
            PushKind::Message => prefs.push_messages,
            PushKind::PriceDrop => prefs.push_price_drops,
            PushKind::SavedSearch => prefs.push_saved_searches,
            PushKind::Expiry => prefs.push_expiry,
            PushKind::Payment => prefs.push_payments,
            PushKind::Security => true,
        };
        if !wanted {
            tracing::debug!(job = job.id, "push turned off by the user");
            return Ok(());
        }
        if let (Some(from), Some(until)) = (prefs.quiet_from, prefs.quiet_until) {
            if !n.kind.passes_quiet_hours() && in_quiet_hours(from, until, chrono::Utc::now()) {
                tracing::debug!(job = job.id, "quiet hours: not pushed");
                return Ok(());
            }
        }
        if let Some(only) = &n.only_installations {
            targets.retain(|d| only.contains(&d.installation_id));
        }
        let mut failed = Vec::new();
        let mut dead = Vec::new();
        let mut last_error = String::new();
        for (i, d) in targets.iter().enumerate() {
            let message = fcm_message(&n, d);
            let sent = match &self.push {
                Some(fcm) => fcm.send(&message).await,
                None => self.push_to_outbox(job.id, i, d, &message).await,
            };
            match sent {
                Sent::Delivered => {}
                Sent::DeadToken => dead.push(d.token.clone()),
                Sent::Failed(e) => {
                    last_error = e;
                    failed.push(d.installation_id.clone());
                }
            }
        }
        if !dead.is_empty() {
            let n_dead = dead.len();
            self.db(move |c| {
                for t in &dead {
                    devices::drop_token(c, t)?;
                }
                Ok(())
            })
            .await
            .map_err(|e| e.to_string())?;
            tracing::info!(job = job.id, dropped = n_dead, "dead push tokens dropped");
        }
        if failed.is_empty() {
            return Ok(());
        }
        // Nothing went out: the whole job retries. Some went out: only the others retry, in a
        // job of their own, so no phone gets the notification twice.
        if failed.len() == targets.len() {
            return Err(last_error);
        }
        let retry = Notification {
            only_installations: Some(failed),
            ..n
        };
        self.tx(move |c| enqueue_push(c, &retry).map(|_| ()))
            .await
            .map_err(|e| e.to_string())
    }

    async fn push_to_outbox(&self, job: i64, i: usize, d: &Device, message: &Value) -> Sent {
        let dir = self.cfg.push.outbox_dir.clone();
        let record = json!({
            "installation_id": d.installation_id,
            "platform": d.platform,
            "message": message,
        });
        let text = serde_json::to_string_pretty(&record).unwrap_or_default();
        let written = tokio::task::spawn_blocking(move || {
            std::fs::create_dir_all(&dir)?;
            let tmp = dir.join(format!(".{job}-{i}.tmp"));
            std::fs::write(&tmp, text)?;
            std::fs::rename(&tmp, dir.join(format!("{job:010}-{i:02}.json")))
        })
        .await;
        match written {
            Ok(Ok(())) => Sent::Delivered,
            Ok(Err(e)) => Sent::Failed(format!("push outbox: {e}")),
            Err(e) => Sent::Failed(e.to_string()),
        }
    }
}
