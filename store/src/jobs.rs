//! A durable job queue in the database. A job is enqueued in the transaction of the change
//! that causes it, claimed with a lease, run outside any transaction, then marked done or
//! rescheduled with backoff; after `max_attempts` it is dead and stays visible.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use crate::db::DbConn;
use crate::error::StoreResult;
use crate::schema::jobs;
use crate::time::now;

pub const STATUS_QUEUED: &str = "queued";
pub const STATUS_RUNNING: &str = "running";
pub const STATUS_DONE: &str = "done";
pub const STATUS_DEAD: &str = "dead";
pub const DEFAULT_MAX_ATTEMPTS: i32 = 8;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = jobs)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub payload: String,
    pub status: String,
    pub attempts: i32,
    pub max_attempts: i32,
    pub run_at: NaiveDateTime,
    pub locked_until: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub effect_started_at: Option<NaiveDateTime>,
}

pub fn enqueue<P: Serialize>(conn: &mut DbConn, kind: &str, payload: &P) -> StoreResult<i64> {
    let t = now();
    let payload =
        serde_json::to_string(payload).map_err(|e| crate::StoreError::Corrupt(e.to_string()))?;
    Ok(diesel::insert_into(jobs::table)
        .values((
            jobs::kind.eq(kind),
            jobs::payload.eq(payload),
            jobs::status.eq(STATUS_QUEUED),
            jobs::attempts.eq(0),
            jobs::max_attempts.eq(DEFAULT_MAX_ATTEMPTS),
            jobs::run_at.eq(t),
            jobs::created_at.eq(t),
            jobs::updated_at.eq(t),
        ))
        .returning(jobs::id)
        .get_result(conn)?)
}

/// Claims the oldest due job: a queued job whose time has come, or a running one whose lease
/// ran out (its worker died). Sets a lease and counts the attempt in the same statement.
/// On PostgreSQL the candidate row is locked with SKIP LOCKED so parallel workers never
/// take the same job.
pub fn claim_next(conn: &mut DbConn, lease: Duration) -> StoreResult<Option<Job>> {
    let t = now();
    // A job whose workers keep dying while running it would be claimed forever: once its
    // attempts are spent and its last lease ran out, it is dead.
    diesel::update(
        jobs::table
            .filter(jobs::status.eq(STATUS_RUNNING))
            .filter(jobs::locked_until.lt(t))
            .filter(jobs::attempts.ge(jobs::max_attempts)),
    )
    .set((
        jobs::status.eq(STATUS_DEAD),
        jobs::last_error.eq("the worker running it stopped before finishing (attempts spent)"),
        jobs::locked_until.eq(None::<NaiveDateTime>),
        jobs::updated_at.eq(t),
    ))
    .execute(conn)?;
    let until = t + lease;
    // `now` and `until` are bound as parameters 1 and 2. SQLite would number `$n` names by
    // first appearance, not by digit, so it gets its own `?n` form.
    let (now_p, until_p, lock) = match conn {
        DbConn::Pg(_) => ("$1", "$2", " FOR UPDATE SKIP LOCKED"),
        DbConn::Sqlite(_) => ("?1", "?2", ""),
    };
    let sql = format!(
        "UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_until = {until_p}, updated_at = {now_p} \
         WHERE id = (SELECT id FROM jobs WHERE (status = 'queued' AND run_at <= {now_p}) \
         OR (status = 'running' AND locked_until < {now_p}) ORDER BY run_at, id LIMIT 1{lock}) RETURNING id"
    );
    let claimed: Option<IdRow> = diesel::sql_query(sql)
        .bind::<diesel::sql_types::Timestamp, _>(t)
        .bind::<diesel::sql_types::Timestamp, _>(until)
        .get_result(conn)
        .optional()?;
    match claimed {
        None => Ok(None),
        Some(row) => Ok(Some(
            jobs::table
                .find(row.id)
                .select(Job::as_select())
                .first(conn)?,
        )),
    }
}

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
}

type ById = diesel::dsl::Filter<jobs::table, diesel::dsl::Eq<jobs::id, i64>>;
type CurrentClaim = diesel::dsl::Filter<
    diesel::dsl::Filter<ById, diesel::dsl::Eq<jobs::attempts, i32>>,
    diesel::dsl::Eq<jobs::status, &'static str>,
>;

/// The job's row as long as `job` is its current claim: running, with the same attempt count.
/// A worker that overran its lease cannot finish another's run of the job.
fn current_claim(job: &Job) -> CurrentClaim {
    jobs::table
        .filter(jobs::id.eq(job.id))
        .filter(jobs::attempts.eq(job.attempts))
        .filter(jobs::status.eq(STATUS_RUNNING))
}

/// Marks a job done and drops its payload: an email job carries a one-time token in clear,
/// which must not outlive the send. Only the current claim may finish it (`current_claim`).
pub fn mark_done(conn: &mut DbConn, job: &Job) -> StoreResult<()> {
    diesel::update(current_claim(job))
        .set((
            jobs::payload.eq("{}"),
            jobs::status.eq(STATUS_DONE),
            jobs::locked_until.eq(None::<NaiveDateTime>),
            jobs::updated_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Commits that the job's side effect (an email send) is starting, so a worker that finds
/// this job again after a crash knows the effect may have happened.
pub fn mark_effect_started(conn: &mut DbConn, id: i64) -> StoreResult<()> {
    diesel::update(jobs::table.find(id))
        .set(jobs::effect_started_at.eq(now()))
        .execute(conn)?;
    Ok(())
}

/// Records a failure: back to the queue after `retry_in`, or dead when attempts are spent.
pub fn mark_failed(
    conn: &mut DbConn,
    job: &Job,
    error: &str,
    retry_in: Duration,
) -> StoreResult<()> {
    let t = now();
    let status = if job.attempts >= job.max_attempts {
        STATUS_DEAD
    } else {
        STATUS_QUEUED
    };
    let error: String = error.chars().take(2000).collect();
    diesel::update(current_claim(job))
        .set((
            jobs::status.eq(status),
            jobs::run_at.eq(t + retry_in),
            jobs::locked_until.eq(None::<NaiveDateTime>),
            jobs::last_error.eq(error),
            jobs::updated_at.eq(t),
            // The effect failed for sure (the server said no), so the next try starts clean.
            jobs::effect_started_at.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn list_by_status(conn: &mut DbConn, status: &str, limit: i64) -> StoreResult<Vec<Job>> {
    Ok(jobs::table
        .filter(jobs::status.eq(status))
        .order(jobs::id.asc())
        .limit(limit)
        .select(Job::as_select())
        .load(conn)?)
}

/// Gives dead jobs a fresh set of attempts (admin action).
pub fn retry_dead(conn: &mut DbConn, id: Option<i64>) -> StoreResult<usize> {
    let t = now();
    let mut q = diesel::update(jobs::table)
        .filter(jobs::status.eq(STATUS_DEAD))
        .into_boxed();
    if let Some(id) = id {
        q = q.filter(jobs::id.eq(id));
    }
    Ok(q.set((
        jobs::status.eq(STATUS_QUEUED),
        jobs::effect_started_at.eq(None::<NaiveDateTime>),
        jobs::attempts.eq(0),
        jobs::run_at.eq(t),
        jobs::updated_at.eq(t),
    ))
    .execute(conn)?)
}

pub fn count_by_status(conn: &mut DbConn, status: &str) -> StoreResult<i64> {
    Ok(jobs::table
        .filter(jobs::status.eq(status))
        .count()
        .get_result(conn)?)
}

/// Queued jobs of some kinds, oldest first (bounded: the queue is normally short).
pub fn queued_of_kinds(conn: &mut DbConn, kinds: &[&str]) -> StoreResult<Vec<Job>> {
    Ok(jobs::table
        .filter(jobs::status.eq(STATUS_QUEUED))
        .filter(jobs::kind.eq_any(kinds))
        .order(jobs::id.asc())
        .limit(10_000)
        .select(Job::as_select())
        .load(conn)?)
}

/// Queued or running jobs of one kind (bounded: the queue is normally short).
pub fn pending_of_kind(conn: &mut DbConn, kind: &str) -> StoreResult<Vec<Job>> {
    Ok(jobs::table
        .filter(jobs::status.eq_any([STATUS_QUEUED, STATUS_RUNNING]))
        .filter(jobs::kind.eq(kind))
        .order(jobs::id.asc())
        .limit(10_000)
        .select(Job::as_select())
        .load(conn)?)
}

/// Drops queued jobs that must not run any more (their payload goes with them).
pub fn cancel(conn: &mut DbConn, ids: &[i64]) -> StoreResult<usize> {
    Ok(diesel::delete(
        jobs::table
            .filter(jobs::id.eq_any(ids))
            .filter(jobs::status.eq(STATUS_QUEUED)),
    )
    .execute(conn)?)
}
