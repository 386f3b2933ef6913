//! Threads and messages reported by one of the thread's two people. Moderators see reported
//! threads only (never the others), with their messages as evidence.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::error::{StoreError, StoreResult};
use crate::schema::conversation_reports;
use crate::time::now;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = conversation_reports)]
pub struct ConversationReport {
    pub id: i64,
    pub conversation_id: i64,
    pub message_id: Option<i64>,
    pub reporter_id: i64,
    pub reason: String,
    pub detail: Option<String>,
    pub created_at: NaiveDateTime,
    pub resolved_at: Option<NaiveDateTime>,
    pub resolved_by: Option<i64>,
}

/// Files a report (one per reporter and message, or thread); reporting again returns the
/// first report. Returns it and whether it is new.
pub fn report(
    conn: &mut DbConn,
    conversation_id: i64,
    message_id: Option<i64>,
    reporter_id: i64,
    reason: &str,
    detail: Option<&str>,
) -> StoreResult<(ConversationReport, bool)> {
    let existing = |conn: &mut DbConn| -> StoreResult<Option<ConversationReport>> {
        let mut q = conversation_reports::table
            .filter(conversation_reports::reporter_id.eq(reporter_id))
            .filter(conversation_reports::conversation_id.eq(conversation_id))
            .into_boxed();
        q = match message_id {
            Some(m) => q.filter(conversation_reports::message_id.eq(m)),
            None => q.filter(conversation_reports::message_id.is_null()),
        };
        Ok(q.select(ConversationReport::as_select())
            .first(conn)
            .optional()?)
    };
    if let Some(r) = existing(conn)? {
        return Ok((r, false));
    }
    let inserted = diesel::insert_into(conversation_reports::table)
        .values((
            conversation_reports::conversation_id.eq(conversation_id),
            conversation_reports::message_id.eq(message_id),
            conversation_reports::reporter_id.eq(reporter_id),
            conversation_reports::reason.eq(reason),
            conversation_reports::detail.eq(detail),
            conversation_reports::created_at.eq(now()),
        ))
        .returning(conversation_reports::id)
        .get_result::<i64>(conn);
    match inserted {
        Ok(id) => Ok((find(conn, id)?, true)),
        // The same report from a second tap committed first.
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => Ok((existing(conn)?.ok_or(StoreError::NotFound)?, false)),
        Err(e) => Err(e.into()),
    }
}

pub fn find(conn: &mut DbConn, id: i64) -> StoreResult<ConversationReport> {
    conversation_reports::table
        .find(id)
        .select(ConversationReport::as_select())
        .first(conn)
        .optional()?
        .ok_or(StoreError::NotFound)
}

/// A reported thread: its id and its open reports, oldest first.
pub type ReportedThread = (i64, Vec<ConversationReport>);

/// Threads with open reports, the oldest report first, and how many there are.
pub fn open_threads(
    conn: &mut DbConn,
    page: i64,
    per_page: i64,
) -> StoreResult<(Vec<ReportedThread>, i64)> {
    let open = conversation_reports::resolved_at.is_null();
    let total: i64 = conversation_reports::table
        .filter(open)
        .select(diesel::dsl::count(conversation_reports::conversation_id).aggregate_distinct())
        .first(conn)?;
    let threads: Vec<(i64, Option<NaiveDateTime>)> = conversation_reports::table
        .filter(open)
        .group_by(conversation_reports::conversation_id)
        .select((
            conversation_reports::conversation_id,
            diesel::dsl::min(conversation_reports::created_at),
        ))
        .order((
            diesel::dsl::min(conversation_reports::created_at).asc(),
            conversation_reports::conversation_id.asc(),
        ))
        .offset((page - 1) * per_page)
        .limit(per_page)
        .load(conn)?;
    let mut out = Vec::with_capacity(threads.len());
    for (thread, _) in threads {
        let reports = conversation_reports::table
            .filter(open)
            .filter(conversation_reports::conversation_id.eq(thread))
            .order(conversation_reports::id.asc())
            .select(ConversationReport::as_select())
            .load(conn)?;
        out.push((thread, reports));
    }
    Ok((out, total))
}

/// The open reports of one thread, oldest first.
pub fn open_reports_of(
    conn: &mut DbConn,
    conversation_id: i64,
) -> StoreResult<Vec<ConversationReport>> {
    Ok(conversation_reports::table
        .filter(conversation_reports::resolved_at.is_null())
        .filter(conversation_reports::conversation_id.eq(conversation_id))
        .order(conversation_reports::id.asc())
        .select(ConversationReport::as_select())
        .load(conn)?)
}

/// Whether the thread has a report, open or resolved (moderators may read only those).
pub fn is_reported(conn: &mut DbConn, conversation_id: i64) -> StoreResult<bool> {
    Ok(conversation_reports::table
        .filter(conversation_reports::conversation_id.eq(conversation_id))
        .select(conversation_reports::id)
        .first::<i64>(conn)
        .optional()?
        .is_some())
}

/// Closes every open report of the thread; returns how many.
pub fn resolve_thread(
    conn: &mut DbConn,
    conversation_id: i64,
    moderator: i64,
) -> StoreResult<usize> {
    Ok(diesel::update(
        conversation_reports::table
            .filter(conversation_reports::conversation_id.eq(conversation_id))
            .filter(conversation_reports::resolved_at.is_null()),
    )
    .set((
        conversation_reports::resolved_at.eq(now()),
        conversation_reports::resolved_by.eq(moderator),
    ))
    .execute(conn)?)
}
