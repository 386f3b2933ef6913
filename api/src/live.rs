//! Wake-ups of live event streams (`GET /v1/me/events`). Events are rows (`store::events`),
//! written in the transaction of their cause; after it commits, `notify` tells the streams of
//! those users in this process and, with Redis, in every other process (a stream then reads
//! what it has not sent yet). A wake-up lost on the way (Redis down, a worker's event) costs
//! latency, never an event: every stream also reads the database at each heartbeat.
//!
//! Each user with open streams has a wake-up channel of their own (a counter that `notify`
//! moves): an event wakes that user's streams and no other, whatever the number of streams
//! open (one channel for everyone woke all 10,000 streams of the benchmark for each event).
//! A value, not a queue: a stream busy reading when it changes sees the change on its next
//! wait, so no wake-up is lost between a read and a wait.
//!
//! The wake-up carries the user's latest events (`Recent`), also across processes: a stream
//! that has sent everything up to just before them sends them as they are, without reading the
//! database. Reading it for every stream of both sides of every message queued the streams
//! behind the database pool (two processes on PostgreSQL: p99 4.3 s). A stream that finds a
//! gap (a wake-up lost, arriving out of order, or without its events) reads the database.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use actix_web::web::Bytes;
use souk_store::events::Recorded;
use souk_worker::RedisLink;
use tokio::sync::watch;

/// Streams one user may hold at once (a phone, a tablet, a browser tab or two).
pub const STREAMS_PER_USER: usize = 5;

/// Events of one user kept for their streams, at most: enough for a burst; a stream further
/// behind reads the database.
const RECENT: usize = 16;

/// What a user's streams are woken with: their latest events, framed, and a count of wake-ups
/// that came without their events.
#[derive(Default)]
pub struct Recent {
    /// `(seq, frame)`, increasing, at most `RECENT`.
    pub events: VecDeque<(i64, Bytes)>,
    /// Moves on a wake-up without events: the streams read the database.
    pub plain: u64,
}

impl Recent {
    fn add(&mut self, seq: i64, frame: Bytes) {
        let at = self.events.partition_point(|(s, _)| *s < seq);
        if self.events.get(at).is_some_and(|(s, _)| *s == seq) {
            return;
        }
        self.events.insert(at, (seq, frame));
        if self.events.len() > RECENT {
            self.events.pop_front();
        }
    }
}

/// An event as a stream sends it. `payload` is JSON on one line (serde_json never writes a
/// raw newline).
pub fn frame(seq: i64, kind: &str, payload: &str) -> Bytes {
    Bytes::from(format!("id: {seq}\nevent: {kind}\ndata: {payload}\n\n"))
}

struct UserStreams {
    open: usize,
    wake: watch::Sender<Recent>,
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
    pub wake: watch::Receiver<Recent>,
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
            wake: watch::channel(Recent::default()).0,
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

    /// Wakes this process's streams of the users of `recorded`, with the events.
    fn wake_with(&self, recorded: &[Recorded]) {
        let streams = self.users.lock().unwrap_or_else(|p| p.into_inner());
        for e in recorded {
            if let Some(s) = streams.get(&e.user_id) {
                let framed = frame(e.seq, &e.kind, &e.payload);
                s.wake.send_modify(|r| r.add(e.seq, framed));
            }
        }
    }

    /// Wakes this process's streams of `users`, to read the database.
    fn wake_plain(&self, users: impl IntoIterator<Item = i64>) {
        let streams = self.users.lock().unwrap_or_else(|p| p.into_inner());
        for u in users {
            if let Some(s) = streams.get(&u) {
                s.wake.send_modify(|r| r.plain = r.plain.wrapping_add(1));
            }
        }
    }

    /// Call after the transaction that recorded `recorded` committed: this process's streams
    /// at once, the other processes' through Redis.
    pub async fn notify(&self, recorded: &[Recorded]) {
        self.wake_with(recorded);
        souk_worker::live::publish_wake_from(self.redis.as_ref(), &self.origin, recorded).await;
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
                let wake = souk_worker::live::parse_wake(message);
                if wake.origin != Some(hub.origin.as_str()) {
                    hub.wake_with(&wake.events);
                    hub.wake_plain(wake.users);
                }
            })
            .await;
    }
}

#[cfg(test)]
mod tests {
    use super::{frame, Recent, RECENT};

    #[test]
    fn recent_events_stay_in_order_once_each_and_few() {
        let mut r = Recent::default();
        for seq in [3, 1, 2, 2, 5] {
            r.add(seq, frame(seq, "k", "{}"));
        }
        let seqs: Vec<i64> = r.events.iter().map(|(s, _)| *s).collect();
        assert_eq!(seqs, vec![1, 2, 3, 5]);
        for seq in 10..10 + RECENT as i64 {
            r.add(seq, frame(seq, "k", "{}"));
        }
        assert_eq!(r.events.len(), RECENT);
        assert_eq!(r.events.front().map(|(s, _)| *s), Some(10));
    }
}
