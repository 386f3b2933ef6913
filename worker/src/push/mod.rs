//! Push notifications to the phones of a user. One job per notification, queued in the
//! transaction of its cause; the job reads the user's preferences and devices when it runs,
//! skips what they turned off or what falls in their quiet hours, and sends one message per
//! device through FCM HTTP v1 (Android and iOS alike) or, by default, into a file outbox
//! (`$SOUK_DATA_DIR/push/`) so a new operator sees what would have been sent. Tokens the
//! service calls dead are dropped.

mod fcm;
pub mod notices;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use souk_domain::notifications::PushKind;
use souk_domain::Localized;
use souk_store::devices::{self, Device};
use souk_store::jobs;
use souk_store::{DbConn, StoreResult};

pub use fcm::{FcmConfig, FcmTransport};

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
