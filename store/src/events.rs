//! Events of a user's live stream (`GET /v1/me/events`), written in the transaction of their
//! cause and numbered per user. `seq` comes from the user's counter row, taken by an upsert
//! that holds it until commit: events of one user commit in `seq` order without gaps, so
//! "everything after n" read at any time is exactly what a client resuming at n missed.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use crate::db::DbConn;
use crate::error::StoreResult;
use crate::schema::user_events;
use crate::time::now;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = user_events)]
pub struct UserEvent {
    pub seq: i64,
    pub kind: String,
    /// JSON.
    pub payload: String,
    pub created_at: NaiveDateTime,
}

/// An event just recorded, carried to the streams once its transaction commits
/// (`api::live::EventHub::notify`, across processes over Redis), so that a stream which has
/// sent everything before it sends it without reading the database.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Recorded {
    pub user_id: i64,
    pub seq: i64,
    pub kind: String,
    /// JSON.
    pub payload: String,
}

#[derive(QueryableByName)]
struct Seq {
    #[diesel(sql_type = BigInt)]
    last_seq: i64,
}

/// Appends an event for `user_id`; returns it with its number. Call inside the cause's
/// transaction.
pub fn record(conn: &mut DbConn, user_id: i64, kind: &str, payload: &str) -> StoreResult<Recorded> {
    let sql = match conn {
        DbConn::Pg(_) => {
            "INSERT INTO user_event_counters (user_id, last_seq) VALUES ($1, 1) \
             ON CONFLICT (user_id) DO UPDATE SET last_seq = user_event_counters.last_seq + 1 \
             RETURNING last_seq"
        }
        DbConn::Sqlite(_) => {
            "INSERT INTO user_event_counters (user_id, last_seq) VALUES (?1, 1) \
             ON CONFLICT (user_id) DO UPDATE SET last_seq = user_event_counters.last_seq + 1 \
             RETURNING last_seq"
        }
    };
    let seq = diesel::sql_query(sql)
        .bind::<BigInt, _>(user_id)
        .get_result::<Seq>(conn)?
        .last_seq;
    diesel::insert_into(user_events::table)
        .values((
            user_events::user_id.eq(user_id),
            user_events::seq.eq(seq),
            user_events::kind.eq(kind),
            user_events::payload.eq(payload),
            user_events::created_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(Recorded {
        user_id,
        seq,
        kind: kind.to_string(),
        payload: payload.to_string(),
    })
}

/// The events of `user_id` numbered above `after`, oldest first, at most `limit`.
pub fn after(
    conn: &mut DbConn,
    user_id: i64,
    after: i64,
    limit: i64,
) -> StoreResult<Vec<UserEvent>> {
    Ok(user_events::table
        .filter(user_events::user_id.eq(user_id))
        .filter(user_events::seq.gt(after))
        .order(user_events::seq.asc())
        .limit(limit)
        .select(UserEvent::as_select())
        .load(conn)?)
}

/// The number of the user's latest event (0 before any).
pub fn latest(conn: &mut DbConn, user_id: i64) -> StoreResult<i64> {
    Ok(user_events::table
        .filter(user_events::user_id.eq(user_id))
        .select(diesel::dsl::max(user_events::seq))
        .first::<Option<i64>>(conn)?
        .unwrap_or(0))
}

/// Deletes up to `limit` events older than `cutoff` (a client away longer resumes from its
/// inbox, not from the stream); returns how many.
pub fn forget_before(conn: &mut DbConn, cutoff: NaiveDateTime, limit: i64) -> StoreResult<usize> {
    let ids: Vec<i64> = user_events::table
        .filter(user_events::created_at.lt(cutoff))
        .order(user_events::created_at.asc())
        .limit(limit)
        .select(user_events::id)
        .load(conn)?;
    Ok(diesel::delete(user_events::table.filter(user_events::id.eq_any(&ids))).execute(conn)?)
}
