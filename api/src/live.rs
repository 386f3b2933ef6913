//! Wake-ups of live event streams (`GET /v1/me/events`). Events are rows (`store::events`),
//! written in the transaction of their cause; after it commits, `notify` tells the streams of
//! those users in this process and, with Redis, in every other process (a stream then reads
//! what it has not sent yet). A wake-up lost on the way (Redis down, a worker's event) costs
//! latency, never an event: every stream also reads the database at each heartbeat.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use souk_worker::RedisLink;
use tokio::sync::{broadcast, watch};

/// Streams one user may hold at once (a phone, a tablet, a browser tab or two).
pub const STREAMS_PER_USER: usize = 5;
/// Wake-ups a slow stream may fall behind by before it just reads the database again.
const BACKLOG: usize = 4096;

pub struct EventHub {
    local: broadcast::Sender<i64>,
    redis: Option<RedisLink>,
    open: Mutex<HashMap<i64, usize>>,
    closing: watch::Sender<bool>,
}

/// A stream's place among its user's streams, given back when the stream ends.
pub struct StreamSlot {
    hub: Arc<EventHub>,
    user: i64,
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut open = self.hub.open.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = open.get_mut(&self.user) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.user);
            }
        }
        metrics::gauge!("souk_event_streams").decrement(1.0);
    }
}

impl EventHub {
    pub fn new(redis: Option<RedisLink>) -> EventHub {
        EventHub {
            local: broadcast::channel(BACKLOG).0,
            redis,
            open: Mutex::new(HashMap::new()),
            closing: watch::channel(false).0,
        }
    }

    /// A place for one more stream of `user`, or `None` at `STREAMS_PER_USER`.
    pub fn open_stream(self: &Arc<Self>, user: i64) -> Option<StreamSlot> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let n = open.entry(user).or_insert(0);
        if *n >= STREAMS_PER_USER {
            return None;
        }
        *n += 1;
        metrics::gauge!("souk_event_streams").increment(1.0);
        Some(StreamSlot {
            hub: self.clone(),
            user,
        })
    }

    pub fn wake_ups(&self) -> broadcast::Receiver<i64> {
        self.local.subscribe()
    }

    pub fn closing(&self) -> watch::Receiver<bool> {
        self.closing.subscribe()
    }

    /// Ends every stream (the process is stopping); clients reconnect elsewhere.
    pub fn close(&self) {
        let _ = self.closing.send(true);
    }

    /// Call after the transaction that recorded events for `users` committed: this process's
    /// streams at once, the other processes' through Redis (this one hears it again: one
    /// more read of the database, nothing sent twice, since streams send by number).
    pub async fn notify(&self, users: &[i64]) {
        for u in users {
            let _ = self.local.send(*u);
        }
        souk_worker::live::publish_wake(self.redis.as_ref(), users).await;
    }

    /// Relays the wake-ups published on Redis to this process's streams, until it ends.
    pub async fn follow_redis(self: Arc<Self>) {
        let Some(redis) = self.redis.clone() else {
            return;
        };
        let channel = redis.key("events");
        let local = self.local.clone();
        redis
            .forward(&channel, move |message: &str| {
                for u in message.split(',').filter_map(|u| u.parse::<i64>().ok()) {
                    let _ = local.send(u);
                }
            })
            .await;
    }
}
