//! The write connection, taken and held with a stopwatch, and SQLite's statistics kept fresh.
//!
//! On SQLite every write goes through one connection (see `db::open_pools`), so a slow
//! statement anywhere makes every other write wait. Two histograms say how long callers wait
//! for it and how long they hold it, by who holds it:
//! `souk_db_writer_wait_seconds{by="request|background"}` and `souk_db_writer_hold_seconds{…}`.
//! Background work (the worker's jobs and periodic tasks, view flushes) lets requests go first:
//! before taking the writer it waits, a bounded time, while a request is waiting for it.

use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;

use crate::db::{DbConn, Pool, PooledConn};
use crate::error::{StoreError, StoreResult};

pub const WAIT_SECONDS: &str = "souk_db_writer_wait_seconds";
pub const HOLD_SECONDS: &str = "souk_db_writer_hold_seconds";

/// Who takes the writer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriterUse {
    /// A person's request waits for the answer.
    Request,
    /// The worker, a periodic task, a flush of counters: nobody waits on it.
    Background,
}

impl WriterUse {
    fn label(self) -> &'static str {
        match self {
            WriterUse::Request => "request",
            WriterUse::Background => "background",
        }
    }
}

/// Requests waiting for a writer of this process right now.
static REQUESTS_WAITING: AtomicUsize = AtomicUsize::new(0);

/// How long background work gives way to waiting requests before it takes its turn anyway:
/// without a bound, a steady stream of writes would starve the job queue.
const YIELD_AT_MOST: Duration = Duration::from_millis(50);

/// A pooled write connection; records how long it was held when dropped.
pub struct HeldWriter {
    conn: PooledConn,
    since: Instant,
    by: WriterUse,
}

impl Deref for HeldWriter {
    type Target = DbConn;
    fn deref(&self) -> &DbConn {
        &self.conn
    }
}

impl DerefMut for HeldWriter {
    fn deref_mut(&mut self) -> &mut DbConn {
        &mut self.conn
    }
}

impl Drop for HeldWriter {
    fn drop(&mut self) {
        metrics::histogram!(HOLD_SECONDS, "by" => self.by.label())
            .record(self.since.elapsed().as_secs_f64());
    }
}

/// Takes a connection from the write pool (blocking), measuring the wait. Background callers
/// first let waiting requests through (up to `YIELD_AT_MOST`).
pub fn take_writer(pool: &Pool, by: WriterUse) -> StoreResult<HeldWriter> {
    let asked = Instant::now();
    let conn = match by {
        WriterUse::Request => {
            REQUESTS_WAITING.fetch_add(1, Ordering::SeqCst);
            let got = pool.get();
            REQUESTS_WAITING.fetch_sub(1, Ordering::SeqCst);
            got
        }
        WriterUse::Background => {
            while REQUESTS_WAITING.load(Ordering::SeqCst) > 0 && asked.elapsed() < YIELD_AT_MOST {
                std::thread::sleep(Duration::from_millis(1));
            }
            pool.get()
        }
    }
    .map_err(|e| StoreError::Pool(e.to_string()))?;
    metrics::histogram!(WAIT_SECONDS, "by" => by.label()).record(asked.elapsed().as_secs_f64());
    Ok(HeldWriter {
        conn,
        since: Instant::now(),
        by,
    })
}

/// Rows SQLite's `ANALYZE` reads per index when `optimize` decides to analyse: an
/// approximate, bounded analysis (milliseconds) instead of a pass over every row.
const SQLITE_ANALYSIS_LIMIT: u32 = 1000;

/// Keeps the planner's statistics fresh the way SQLite recommends: `PRAGMA optimize`, which
/// analyses only the tables whose size changed a lot since their last analysis (or that were
/// never analysed), bounded by `analysis_limit`. Called when a process opens the database
/// (`db::prepare`, after migrations) and periodically (the worker, hourly). On PostgreSQL
/// autovacuum keeps statistics; after a bulk load, `analyze_after_bulk_load` runs ANALYZE.
pub fn refresh_statistics(conn: &mut DbConn) -> StoreResult<()> {
    if let DbConn::Sqlite(c) = conn {
        c.batch_execute(&format!(
            "PRAGMA analysis_limit = {SQLITE_ANALYSIS_LIMIT}; PRAGMA optimize = 0x10002;"
        ))?;
    }
    Ok(())
}

/// After a bulk load (the seed): statistics for every table, on either backend. PostgreSQL's
/// autovacuum would get there, but not before the first requests are planned without them.
pub fn analyze_after_bulk_load(conn: &mut DbConn) -> StoreResult<()> {
    match conn {
        DbConn::Sqlite(c) => c.batch_execute(&format!(
            "PRAGMA analysis_limit = {SQLITE_ANALYSIS_LIMIT}; ANALYZE;"
        ))?,
        DbConn::Pg(c) => c.batch_execute("ANALYZE")?,
    }
    Ok(())
}
