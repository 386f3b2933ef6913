//! Appeals of moderation decisions: one per decision (the log entry appealed), open until a
//! moderator grants or denies it.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::error::{StoreError, StoreResult};
use crate::moderation::LogEntry;
use crate::schema::{appeals, moderation_log};
use crate::time::now;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = appeals)]
pub struct Appeal {
    pub id: i64,
    pub user_id: i64,
    /// `listing` or `user`.
    pub target_kind: String,
    pub target_id: i64,
    pub decision_id: i64,
    pub message: String,
    pub created_at: NaiveDateTime,
    pub decided_at: Option<NaiveDateTime>,
    /// `granted` or `denied`.
    pub outcome: Option<String>,
    pub decided_by: Option<i64>,
    pub answer: Option<String>,
}

/// The newest log entry of `action` on a target: the decision an appeal is about.
pub fn latest_decision(
    conn: &mut DbConn,
    target_kind: &str,
    target_id: i64,
    action: &str,
) -> StoreResult<Option<LogEntry>> {
    Ok(moderation_log::table
        .filter(moderation_log::target_kind.eq(target_kind))
        .filter(moderation_log::target_id.eq(target_id))
        .filter(moderation_log::action.eq(action))
        .order(moderation_log::id.desc())
        .select(LogEntry::as_select())
        .first(conn)
        .optional()?)
}

pub fn find_decision(conn: &mut DbConn, id: i64) -> StoreResult<LogEntry> {
    Ok(moderation_log::table
        .find(id)
        .select(LogEntry::as_select())
        .first(conn)?)
}

/// Files an appeal of `decision`; a second one of the same decision is a conflict
/// (`already_appealed`).
pub fn file(
    conn: &mut DbConn,
    user_id: i64,
    decision: &LogEntry,
    message: &str,
) -> StoreResult<Appeal> {
    let id: i64 = diesel::insert_into(appeals::table)
        .values((
            appeals::user_id.eq(user_id),
            appeals::target_kind.eq(&decision.target_kind),
            appeals::target_id.eq(decision.target_id),
            appeals::decision_id.eq(decision.id),
            appeals::message.eq(message),
            appeals::created_at.eq(now()),
        ))
        .returning(appeals::id)
        .get_result(conn)
        .map_err(|e| StoreError::unique_as(e, "already_appealed"))?;
    find(conn, id)
}

pub fn find(conn: &mut DbConn, id: i64) -> StoreResult<Appeal> {
    Ok(appeals::table
        .find(id)
        .select(Appeal::as_select())
        .first(conn)?)
}

/// Open appeals, oldest first.
pub fn open(conn: &mut DbConn, limit: i64) -> StoreResult<Vec<Appeal>> {
    Ok(appeals::table
        .filter(appeals::decided_at.is_null())
        .order((appeals::created_at.asc(), appeals::id.asc()))
        .limit(limit)
        .select(Appeal::as_select())
        .load(conn)?)
}

/// Decides an open appeal; `false` when it was decided already (by someone else meanwhile).
pub fn decide(
    conn: &mut DbConn,
    id: i64,
    moderator: i64,
    outcome: &str,
    answer: &str,
) -> StoreResult<bool> {
    let n = diesel::update(
        appeals::table
            .find(id)
            .filter(appeals::decided_at.is_null()),
    )
    .set((
        appeals::decided_at.eq(now()),
        appeals::outcome.eq(outcome),
        appeals::decided_by.eq(moderator),
        appeals::answer.eq(answer),
    ))
    .execute(conn)?;
    Ok(n == 1)
}
