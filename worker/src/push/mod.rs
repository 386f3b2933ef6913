//! Push notifications to the phones of a user. One job per notification, queued in the
//! transaction of its cause; the job reads the user's preferences and devices when it runs,
//! skips what they turned off or what falls in their quiet hours, and sends one message per
//! device through FCM HTTP v1 (Android and iOS alike) or, by default, into a file outbox
//! (`$SOUK_DATA_DIR/push/`) so a new operator sees what would have been sent. Tokens the
//! service calls dead are dropped.

mod fcm;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use souk_domain::notifications::{in_quiet_hours, PushKind};
use souk_domain::Localized;
use souk_store::devices::{self, Device};
use souk_store::jobs::{self, Job};
use souk_store::{preferences, DbConn, StoreResult};

pub use fcm::{FcmConfig, FcmTransport};

use crate::context::Worker;

pub const SEND_PUSH: &str = "send_push";

/// What a notification says; the language of each device picks its title.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Notification {
    pub user_id: i64,
    pub kind: PushKind,
    pub title: Localized,
    pub body: String,
    /// One notification per key stays on the phone: a thread's newest message replaces the
    /// previous one (Android `tag`, `apns-collapse-id`).
    pub collapse_key: Option<String>,
    /// For the app: what to open (`type`, `conversation_id`, …). Strings only (FCM's rule).
    pub data: BTreeMap<String, String>,
    /// Set on a retry for the devices a first send could not reach; None: every device.
    #[serde(default)]
    pub only_installations: Option<Vec<String>>,
}

/// Longest notification body sent, in characters: the payload stays far under FCM's and
/// APNs' 4 KB, whatever the message.
pub const BODY_CHARS: usize = 180;

/// Queues a notification in the caller's transaction, unless the user has no device to send
/// it to (most users of the web site): no job is written for nothing.
pub fn enqueue_push(conn: &mut DbConn, n: &Notification) -> StoreResult<Option<i64>> {
    if devices::count_of_user(conn, n.user_id)? == 0 {
        return Ok(None);
    }
    jobs::enqueue(conn, SEND_PUSH, n).map(Some)
}

#[derive(Debug, Clone, Default)]
pub struct PushConfig {
    /// Where notifications go without FCM (`<data dir>/push`).
    pub outbox_dir: PathBuf,
    /// FCM HTTP v1, when `SOUK_FCM_SERVICE_ACCOUNT` names a service-account key file.
    pub fcm: Option<FcmConfig>,
}

impl PushConfig {
    pub fn from_env(data_dir: &std::path::Path) -> Result<PushConfig, String> {
        let fcm = match std::env::var("SOUK_FCM_SERVICE_ACCOUNT").ok() {
            Some(path) if !path.is_empty() => Some(FcmConfig::from_file(
                std::path::Path::new(&path),
                std::env::var("SOUK_FCM_URL").ok().filter(|v| !v.is_empty()),
            )?),
            _ => None,
        };
        Ok(PushConfig {
            outbox_dir: data_dir.join("push"),
            fcm,
        })
    }
}

/// The FCM v1 `message` for one device: the title in the device's language, the collapse key
/// on both platforms, the app's data.
pub fn fcm_message(n: &Notification, d: &Device) -> Value {
    let title = n.title.get(d.language.as_deref().unwrap_or("fr"));
    let body: String = n.body.chars().take(BODY_CHARS).collect();
    let mut message = json!({
        "token": d.token,
        "notification": { "title": title, "body": body },
        "data": n.data,
    });
    if let Some(key) = &n.collapse_key {
        message["android"] = json!({ "collapse_key": key, "notification": { "tag": key } });
        message["apns"] = json!({
            "headers": { "apns-collapse-id": key },
            "payload": { "aps": { "thread-id": key } },
        });
    }
    message
}

/// What became of one device's message.
#[derive(Debug)]
pub enum Sent {
    Delivered,
    /// The service says the token is dead: drop it.
    DeadToken,
    /// Try again later.
    Failed(String),
}

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
