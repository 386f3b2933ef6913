//! Redis where it serves: shared rate-limit windows, view counters, and waking workers.
//! Everything here degrades: when Redis is absent or down, callers get `None` and fall back to
//! their in-process behaviour. After a failure Redis is left alone for a short while, so a dead
//! server costs one quick failure, not a timeout per request.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::StreamExt;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::sync::{Mutex, Notify};

const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(2);

#[derive(Clone)]
pub struct RedisLink {
    inner: Arc<Inner>,
}

struct Inner {
    client: redis::Client,
    /// Namespace of every key and channel, so deployments (or tests) can share one server.
    prefix: String,
    conn: Mutex<Option<ConnectionManager>>,
    /// Unix millis before which Redis is not tried again.
    down_until: AtomicU64,
}

fn unix_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl RedisLink {
    /// Parses the URL; connects lazily, so a service starts even while Redis is down.
    pub fn new(url: &str, prefix: &str) -> redis::RedisResult<RedisLink> {
        Ok(RedisLink {
            inner: Arc::new(Inner {
                client: redis::Client::open(url)?,
                prefix: prefix.to_string(),
                conn: Mutex::new(None),
                down_until: AtomicU64::new(0),
            }),
        })
    }

    /// `<prefix>:<name>`: every key souk uses goes through here.
    pub fn key(&self, name: &str) -> String {
        format!("{}:{name}", self.inner.prefix)
    }

    /// Published after a commit that queued a job.
    fn wake_channel(&self) -> String {
        self.key("jobs:wake")
    }

    /// Hash of listing id → views not yet written to the database.
    fn views_key(&self) -> String {
        self.key("views")
    }

    async fn connection(&self) -> Option<ConnectionManager> {
        if unix_millis() < self.inner.down_until.load(Ordering::Relaxed) {
            return None;
        }
        let mut slot = self.inner.conn.lock().await;
        if let Some(c) = slot.as_ref() {
            return Some(c.clone());
        }
        // Requests queued behind a failed attempt must not each try (and wait) again.
        if unix_millis() < self.inner.down_until.load(Ordering::Relaxed) {
            return None;
        }
        let cfg = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_millis(300)))
            .set_response_timeout(Some(Duration::from_millis(300)))
            .set_number_of_retries(1);
        match self
            .inner
            .client
            .get_connection_manager_with_config(cfg)
            .await
        {
            Ok(c) => {
                *slot = Some(c.clone());
                Some(c)
            }
            Err(e) => {
                self.mark_down(&e);
                None
            }
        }
    }

    /// Only failures of the connection put Redis aside; an error answer to one command (a
    /// wrong type, say) does not.
    fn failed(&self, e: &redis::RedisError) {
        if e.is_io_error()
            || e.is_timeout()
            || e.is_connection_dropped()
            || e.is_connection_refusal()
        {
            self.mark_down(e);
        } else {
            tracing::warn!(error = %e, "redis command failed");
        }
    }

    fn mark_down(&self, e: &redis::RedisError) {
        let until = unix_millis() + RETRY_AFTER_FAILURE.as_millis() as u64;
        if self.inner.down_until.swap(until, Ordering::Relaxed) < unix_millis() {
            tracing::warn!(error = %e, "redis unavailable; using in-process fallbacks");
        }
    }

    /// Runs `cmd` on Redis; `None` when Redis is unavailable (the caller falls back).
    pub async fn query<T: redis::FromRedisValue>(&self, cmd: &redis::Cmd) -> Option<T> {
        let mut c = self.connection().await?;
        match cmd.query_async(&mut c).await {
            Ok(v) => Some(v),
            Err(e) => {
                self.failed(&e);
                None
            }
        }
    }

    pub async fn pipe<T: redis::FromRedisValue>(&self, pipe: &redis::Pipeline) -> Option<T> {
        let mut c = self.connection().await?;
        match pipe.query_async(&mut c).await {
            Ok(v) => Some(v),
            Err(e) => {
                self.failed(&e);
                None
            }
        }
    }

    /// Publishes `message` on `channel`; false when Redis could not take it.
    pub async fn publish(&self, channel: &str, message: &str) -> bool {
        self.query::<i64>(redis::cmd("PUBLISH").arg(channel).arg(message))
            .await
            .is_some()
    }

    /// Calls `deliver` with each message published on `channel`, resubscribing after
    /// failures, until the process ends.
    pub async fn forward(self, channel: &str, deliver: impl Fn(&str)) {
        loop {
            match self.inner.client.get_async_pubsub().await {
                Ok(mut pubsub) => {
                    if pubsub.subscribe(channel).await.is_ok() {
                        tracing::info!(channel, "listening on redis");
                        let mut messages = pubsub.into_on_message();
                        while let Some(m) = messages.next().await {
                            if let Ok(text) = m.get_payload::<String>() {
                                deliver(&text);
                            }
                        }
                    }
                    tracing::warn!(channel, "redis subscription ended; resubscribing");
                }
                Err(e) => tracing::debug!(error = %e, "redis subscribe failed"),
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    /// Tells every worker listening that a job was committed.
    pub async fn publish_wake(&self) {
        let _: Option<i64> = self
            .query(redis::cmd("PUBLISH").arg(self.wake_channel()).arg("1"))
            .await;
    }

    /// Adds `n` views to a listing's pending count; false when Redis could not take it.
    pub async fn add_views(&self, listing_id: i64, n: i64) -> bool {
        self.query::<i64>(
            redis::cmd("HINCRBY")
                .arg(self.views_key())
                .arg(listing_id)
                .arg(n),
        )
        .await
        .is_some()
    }

    /// Takes the pending view counts out of Redis: the live hash is renamed to a batch key of
    /// this flush's own (several workers may flush at once), read, and deleted by
    /// `views_flushed` once the database has the counts. A batch left behind by a flush that
    /// died (older than a minute) is taken over first, by renaming it again.
    pub async fn take_views(&self) -> Option<(String, Vec<(i64, i64)>)> {
        let now = unix_millis();
        let batch = self.key(&format!(
            "views:flushing:{now}-{:08x}",
            rand::random::<u32>()
        ));
        let pattern = self.key("views:flushing:*");
        let (_, leftovers): (u64, Vec<String>) = self
            .query(
                redis::cmd("SCAN")
                    .arg(0)
                    .arg("MATCH")
                    .arg(&pattern)
                    .arg("COUNT")
                    .arg(100),
            )
            .await?;
        let stale = leftovers.into_iter().find(|k| {
            k.rsplit(':')
                .next()
                .and_then(|tail| tail.split('-').next())
                .and_then(|ms| ms.parse::<u64>().ok())
                .is_some_and(|ms| ms + 60_000 < now)
        });
        let source = match stale {
            Some(k) => k,
            None => {
                let pending: i64 = self
                    .query(redis::cmd("EXISTS").arg(self.views_key()))
                    .await?;
                if pending == 0 {
                    return Some((batch, Vec::new()));
                }
                self.views_key()
            }
        };
        // RENAME is atomic: of two flushes racing for the same key, one gets it.
        let moved: Option<String> = self
            .query(redis::cmd("RENAME").arg(&source).arg(&batch))
            .await;
        if moved.is_none() {
            return Some((batch, Vec::new()));
        }
        let counts = self.query(redis::cmd("HGETALL").arg(&batch)).await?;
        Some((batch, counts))
    }

    /// Forgets a batch handed out by `take_views`, once it is in the database.
    pub async fn views_flushed(&self, batch: &str) {
        let _: Option<i64> = self.query(redis::cmd("DEL").arg(batch)).await;
    }

    /// Listens for wake-ups and notifies `wake` for each, reconnecting after failures,
    /// until the process ends. Without it the worker still polls.
    pub async fn forward_wakes(self, wake: Arc<Notify>) {
        let channel = self.wake_channel();
        self.forward(&channel, |_| wake.notify_one()).await
    }
}
