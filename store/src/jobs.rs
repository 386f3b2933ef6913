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
    enqueue_at(conn, kind, payload, now())
}

/// Enqueues a job that is not due before `run_at` (a delayed email, say).
pub fn enqueue_at<P: Serialize>(
    conn: &mut DbConn,
    kind: &str,
    payload: &P,
    run_at: NaiveDateTime,
) -> StoreResult<i64> {
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
            jobs::run_at.eq(run_at),
            jobs::created_at.eq(t),
            jobs::updated_at.eq(t),
        ))
        .returning(jobs::id)
        .get_result(conn)?)
}

/// Claims a job: first a running one whose lease ran out (its worker died) and that has
/// attempts left, else the oldest queued job whose time has come. Sets a lease and counts the
/// attempt (`claim_one`).
pub fn claim_next(conn: &mut DbConn, lease: Duration) -> StoreResult<Option<Job>> {
    let t = now();
    let until = t + lease;
    // Two claims, each through a partial index holding only its kind, stopping at its first
    // row: one `OR` over both kinds made SQLite read and sort every queued job for each claim
    // (a backlog of 20 k emails cost a pass over 20 k rows per email, holding the one writer).
    // Abandoned runs go first: they are rare, and already late.
    let claimed = match claim_one(conn, t, until, Claimable::LeaseRanOut)? {
        Some(id) => Some(id),
        None => claim_one(conn, t, until, Claimable::Due)?,
    };
    match claimed {
        None => Ok(None),
        Some(id) => Ok(Some(
            jobs::table.find(id).select(Job::as_select()).first(conn)?,
        )),
    }
}

/// Marks dead the jobs whose workers kept dying while running them: their attempts are spent
/// and their last lease ran out (`claim_next` no longer takes them). A periodic task of the
/// worker, not a step of every claim: on PostgreSQL the partial index of running jobs keeps an
/// entry for every run until a vacuum, and walking them cost 6.6 ms per claim (0.45 of a core
/// at 16 clients in the load benchmark, jobs table 37 k rows with 66 k dead versions).
/// The status is written into the statement (not bound) so that both planners see the rare
/// value; jobs_running holds only running jobs (SQLite is told, as in `claim_one`).
pub fn bury_abandoned(conn: &mut DbConn) -> StoreResult<usize> {
    let (now_p, indexed_by) = match conn {
        DbConn::Pg(_) => ("$1", ""),
        DbConn::Sqlite(_) => ("?1", " INDEXED BY jobs_running"),
    };
    Ok(diesel::sql_query(format!(
        "UPDATE jobs{indexed_by} SET status = 'dead', locked_until = NULL, updated_at = {now_p}, \
         last_error = 'the worker running it stopped before finishing (attempts spent)' \
         WHERE status = 'running' AND locked_until < {now_p} AND attempts >= max_attempts"
    ))
    .bind::<diesel::sql_types::Timestamp, _>(now())
    .execute(conn)?)
}

#[derive(Clone, Copy)]
enum Claimable {
    /// Queued, and its time has come.
    Due,
    /// Running, but its worker's lease ran out (the worker died).
    LeaseRanOut,
}

/// Claims the oldest job of one kind of claimable, in one statement: sets the lease and counts
/// the attempt. On PostgreSQL the candidate row is locked with SKIP LOCKED so parallel workers
/// never take the same job.
fn claim_one(
    conn: &mut DbConn,
    t: NaiveDateTime,
    until: NaiveDateTime,
    which: Claimable,
) -> StoreResult<Option<i64>> {
    // `now` and `until` are bound as parameters 1 and 2. SQLite would number `$n` names by
    // first appearance, not by digit, so it gets its own `?n` form.
    let sqlite = matches!(conn, DbConn::Sqlite(_));
    let (now_p, until_p, lock) = if sqlite {
        ("?1", "?2", "")
    } else {
        ("$1", "$2", " FOR UPDATE SKIP LOCKED")
    };
    // Each kind has a partial index holding only its few rows (jobs_queued, jobs_running).
    // PostgreSQL sees the literal status and takes it; SQLite is told (INDEXED BY), since its
    // statistics of the status column alone may favour jobs_due, which walks by status.
    let (index, candidates) = match which {
        Claimable::Due => (
            "jobs_queued",
            format!("status = 'queued' AND run_at <= {now_p}"),
        ),
        Claimable::LeaseRanOut => (
            "jobs_running",
            // One whose attempts are spent is left to `bury_abandoned`, never run again.
            format!("status = 'running' AND locked_until < {now_p} AND attempts < max_attempts"),
        ),
    };
    let indexed_by = if sqlite {
        format!(" INDEXED BY {index}")
    } else {
        String::new()
    };
    let sql = format!(
        "UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_until = {until_p}, updated_at = {now_p} \
         WHERE id = (SELECT id FROM jobs{indexed_by} WHERE {candidates} ORDER BY run_at, id LIMIT 1{lock}) RETURNING id"
    );
    let claimed: Option<IdRow> = diesel::sql_query(sql)
        .bind::<diesel::sql_types::Timestamp, _>(t)
        .bind::<diesel::sql_types::Timestamp, _>(until)
        .get_result(conn)
        .optional()?;
    Ok(claimed.map(|r| r.id))
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
/// Whether job `id` is queued or running (a lookup by key, for callers that keep the id).
pub fn is_pending(conn: &mut DbConn, id: i64) -> StoreResult<bool> {
    let status: Option<String> = jobs::table
        .find(id)
        .select(jobs::status)
        .first(conn)
        .optional()?;
    Ok(status.is_some_and(|s| s == STATUS_QUEUED || s == STATUS_RUNNING))
}

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
