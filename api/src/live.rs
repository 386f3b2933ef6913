//! Wake-ups of live event streams (`GET /v1/me/events`). Events are rows (`store::events`),
//! written in the transaction of their cause; after it commits, `notify` tells the streams of
//! those users in this process and, with Redis, in every other process (a stream then reads
//! what it has not sent yet). A wake-up lost on the way (Redis down, a worker's event) costs
//! latency, never an event: every stream also reads the database at each heartbeat.
//!
//! Each user with open streams has a wake-up channel of their own (a counter that `notify`
//! moves): an event wakes that user's streams and no other, whatever the number of streams
//! open (one channel for everyone woke all 10,000 streams of the benchmark for each event).
//! A counter, not a queue: a stream busy reading when it moves sees the change on its next
//! wait, so no wake-up is lost between a read and a wait.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use souk_worker::RedisLink;
use tokio::sync::watch;

/// Streams one user may hold at once (a phone, a tablet, a browser tab or two).
pub const STREAMS_PER_USER: usize = 5;

struct UserStreams {
    open: usize,
    wake: watch::Sender<u64>,
}

pub struct EventHub {
    users: Mutex<HashMap<i64, UserStreams>>,
    redis: Option<RedisLink>,
    /// Names this process in its Redis wake-ups, so it does not wake its streams twice.
    origin: String,
    closing: watch::Sender<bool>,
}

/// A stream's place among its user's streams, given back when the stream ends, with the
/// user's wake-up channel.
pub struct StreamSlot {
    hub: Arc<EventHub>,
    user: i64,
    pub wake: watch::Receiver<u64>,
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut users = self.hub.users.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(s) = users.get_mut(&self.user) {
            s.open -= 1;
            if s.open == 0 {
                users.remove(&self.user);
            }
        }
        metrics::gauge!("souk_event_streams").decrement(1.0);
    }
}

impl EventHub {
    pub fn new(redis: Option<RedisLink>) -> EventHub {
        EventHub {
            users: Mutex::new(HashMap::new()),
            redis,
            origin: format!("api-{:016x}", rand::random::<u64>()),
            closing: watch::channel(false).0,
        }
    }

    /// A place for one more stream of `user`, or `None` at `STREAMS_PER_USER`. Its wake-up
    /// channel counts from now: an event committed after this call wakes it.
    pub fn open_stream(self: &Arc<Self>, user: i64) -> Option<StreamSlot> {
        let mut users = self.users.lock().unwrap_or_else(|p| p.into_inner());
        let s = users.entry(user).or_insert_with(|| UserStreams {
            open: 0,
            wake: watch::channel(0).0,
        });
        if s.open >= STREAMS_PER_USER {
            return None;
        }
        s.open += 1;
        metrics::gauge!("souk_event_streams").increment(1.0);
        Some(StreamSlot {
            hub: self.clone(),
            user,
            wake: s.wake.subscribe(),
        })
    }

    pub fn closing(&self) -> watch::Receiver<bool> {
        self.closing.subscribe()
    }

    /// Ends every stream (the process is stopping); clients reconnect elsewhere.
    pub fn close(&self) {
        let _ = self.closing.send(true);
    }

    /// Wakes this process's streams of `users`.
    fn wake_local(&self, users: impl IntoIterator<Item = i64>) {
        let streams = self.users.lock().unwrap_or_else(|p| p.into_inner());
        for u in users {
            if let Some(s) = streams.get(&u) {
                s.wake.send_modify(|n| *n = n.wrapping_add(1));
            }
        }
    }

    /// Call after the transaction that recorded events for `users` committed: this process's
    /// streams at once, the other processes' through Redis.
    pub async fn notify(&self, users: &[i64]) {
        self.wake_local(users.iter().copied());
        souk_worker::live::publish_wake_from(self.redis.as_ref(), &self.origin, users).await;
    }

    /// Relays the wake-ups published on Redis (by other API processes and the worker) to this
    /// process's streams, until it ends.
    pub async fn follow_redis(self: Arc<Self>) {
        let Some(redis) = self.redis.clone() else {
            return;
        };
        let channel = redis.key("events");
        let hub = self.clone();
        redis
            .forward(&channel, move |message: &str| {
                let (origin, users) = souk_worker::live::parse_wake(message);
                if origin != Some(hub.origin.as_str()) {
                    hub.wake_local(users);
                }
            })
            .await;
    }
}
