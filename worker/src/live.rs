//! Live-stream events the worker and the API both cause (an ad of a thread closing: sold or
//! deleted by its seller, expired by the sweep), recorded in the cause's transaction. The API
//! wakes its streams after commit; the worker publishes the wake-up on Redis when it has it,
//! and without Redis the API's streams find the events at their next heartbeat.

use souk_store::{conversations, events, DbConn, StoreResult};

use crate::RedisLink;

/// `conversation.ad_closed` for the buyer of every thread about `listing_id`, with the ad's new
/// status (sold, deleted, expired); returns whom to wake.
pub fn ad_closed(conn: &mut DbConn, listing_id: i64, status: &str) -> StoreResult<Vec<i64>> {
    let threads = conversations::threads_of_listing(conn, listing_id)?;
    let mut buyers = Vec::with_capacity(threads.len());
    for (thread, buyer) in threads {
        let payload = serde_json::json!({
            "conversation_id": thread,
            "listing_id": listing_id,
            "status": status,
        });
        events::record(conn, buyer, "conversation.ad_closed", &payload.to_string())?;
        buyers.push(buyer);
    }
    Ok(buyers)
}

/// The wake-up the API's streams listen for (`api::live::EventHub`), from outside the API.
pub async fn publish_wake(redis: Option<&RedisLink>, users: &[i64]) {
    publish_wake_from(redis, "worker", users).await;
}

/// A wake-up for `users` on Redis, `origin user,user,…`: a process skips its own.
pub async fn publish_wake_from(redis: Option<&RedisLink>, origin: &str, users: &[i64]) {
    if let (Some(redis), false) = (redis, users.is_empty()) {
        let list: Vec<String> = users.iter().map(i64::to_string).collect();
        redis
            .publish(
                &redis.key("events"),
                &format!("{origin} {}", list.join(",")),
            )
            .await;
    }
}

/// A published wake-up read back: its origin (if named) and its users.
pub fn parse_wake(message: &str) -> (Option<&str>, impl Iterator<Item = i64> + '_) {
    let (origin, list) = match message.split_once(' ') {
        Some((o, l)) => (Some(o), l),
        None => (None, message),
    };
    (
        origin,
        list.split(',').filter_map(|u| u.trim().parse::<i64>().ok()),
    )
}

#[cfg(test)]
mod tests {
    use super::parse_wake;

    #[test]
    fn wake_ups_name_their_origin_and_older_ones_still_read() {
        let (origin, users) = parse_wake("api-00ff 3,17,bad,42");
        assert_eq!(origin, Some("api-00ff"));
        assert_eq!(users.collect::<Vec<_>>(), vec![3, 17, 42]);
        let (origin, users) = parse_wake("5,6");
        assert_eq!(origin, None);
        assert_eq!(users.collect::<Vec<_>>(), vec![5, 6]);
    }
}
