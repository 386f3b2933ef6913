//! Live-stream events the worker and the API both cause (an ad of a thread closing: sold or
//! deleted by its seller, expired by the sweep), recorded in the cause's transaction. The API
//! wakes its streams after commit; the worker publishes the wake-up on Redis when it has it,
//! and without Redis the API's streams find the events at their next heartbeat.

use souk_store::events::{self, Recorded};
use souk_store::{conversations, DbConn, StoreResult};

use crate::RedisLink;

/// Events carried in one Redis wake-up at most (bytes of JSON); a larger batch goes as a
/// plain wake-up and the streams read it from the database.
const CARRIED_MAX_BYTES: usize = 32 * 1024;

/// `conversation.ad_closed` for the buyer of every thread about `listing_id`, with the ad's new
/// status (sold, deleted, expired); returns the events, to wake their streams after commit.
pub fn ad_closed(conn: &mut DbConn, listing_id: i64, status: &str) -> StoreResult<Vec<Recorded>> {
    let threads = conversations::threads_of_listing(conn, listing_id)?;
    let mut recorded = Vec::with_capacity(threads.len());
    for (thread, buyer) in threads {
        let payload = serde_json::json!({
            "conversation_id": thread,
            "listing_id": listing_id,
            "status": status,
        });
        recorded.push(events::record(
            conn,
            buyer,
            "conversation.ad_closed",
            &payload.to_string(),
        )?);
    }
    Ok(recorded)
}

/// The wake-up the API's streams listen for (`api::live::EventHub`), from outside the API.
pub async fn publish_wake(redis: Option<&RedisLink>, recorded: &[Recorded]) {
    publish_wake_from(redis, "worker", recorded).await;
}

/// A wake-up on Redis, `origin [events as JSON]` (a process skips its own): the events ride
/// along, so a stream in another process sends them without reading the database. Past
/// `CARRIED_MAX_BYTES`, `origin user,user,…` only, and the streams read the database.
pub async fn publish_wake_from(redis: Option<&RedisLink>, origin: &str, recorded: &[Recorded]) {
    if let (Some(redis), false) = (redis, recorded.is_empty()) {
        redis
            .publish(&redis.key("events"), &wake_message(origin, recorded))
            .await;
    }
}

fn wake_message(origin: &str, recorded: &[Recorded]) -> String {
    let carried = serde_json::to_string(recorded).expect("events serialise");
    if carried.len() <= CARRIED_MAX_BYTES {
        return format!("{origin} {carried}");
    }
    let mut users: Vec<i64> = recorded.iter().map(|e| e.user_id).collect();
    users.sort_unstable();
    users.dedup();
    let list: Vec<String> = users.iter().map(i64::to_string).collect();
    format!("{origin} {}", list.join(","))
}

/// A wake-up read back from Redis.
#[derive(Debug, PartialEq, Eq)]
pub struct Wake<'a> {
    /// The process that published it, when named.
    pub origin: Option<&'a str>,
    /// The events it carries, when it carries them.
    pub events: Vec<Recorded>,
    /// Users to wake without their events (they read the database).
    pub users: Vec<i64>,
}

/// Reads a published wake-up: `origin [events]`, `origin user,user,…`, or `user,user,…`.
pub fn parse_wake(message: &str) -> Wake<'_> {
    let (origin, rest) = match message.split_once(' ') {
        Some((o, l)) => (Some(o), l),
        None => (None, message),
    };
    if rest.starts_with('[') {
        if let Ok(events) = serde_json::from_str::<Vec<Recorded>>(rest) {
            return Wake {
                origin,
                events,
                users: Vec::new(),
            };
        }
    }
    Wake {
        origin,
        events: Vec::new(),
        users: rest
            .split(',')
            .filter_map(|u| u.trim().parse::<i64>().ok())
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::{parse_wake, wake_message, Recorded, CARRIED_MAX_BYTES};

    fn event(user_id: i64, seq: i64, payload: &str) -> Recorded {
        Recorded {
            user_id,
            seq,
            kind: "message.created".into(),
            payload: payload.into(),
        }
    }

    #[test]
    fn wake_ups_carry_their_events() {
        let sent = vec![event(3, 7, r#"{"body":"salam 1 2"}"#), event(9, 2, "{}")];
        let message = wake_message("api-00ff", &sent);
        let wake = parse_wake(&message);
        assert_eq!(wake.origin, Some("api-00ff"));
        assert_eq!(wake.events, sent);
        assert!(wake.users.is_empty());
    }

    #[test]
    fn a_large_batch_wakes_its_users_without_the_events() {
        let big = format!(r#"{{"body":"{}"}}"#, "x".repeat(CARRIED_MAX_BYTES));
        let message = wake_message("worker", &[event(5, 1, &big), event(2, 4, "{}")]);
        assert!(message.len() < 100);
        let wake = parse_wake(&message);
        assert_eq!(wake.origin, Some("worker"));
        assert!(wake.events.is_empty());
        assert_eq!(wake.users, vec![2, 5]);
    }

    #[test]
    fn plain_wake_ups_still_read() {
        let wake = parse_wake("api-00ff 3,17,bad,42");
        assert_eq!(wake.origin, Some("api-00ff"));
        assert_eq!(wake.users, vec![3, 17, 42]);
        let wake = parse_wake("5,6");
        assert_eq!(wake.origin, None);
        assert_eq!(wake.users, vec![5, 6]);
        // A malformed batch wakes nobody rather than failing the relay.
        let wake = parse_wake("api-1 [{\"user_id\":1}]");
        assert!(wake.events.is_empty() && wake.users.is_empty());
    }
}
