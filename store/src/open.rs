//! Opening the database as a process starts: the SQLite file's folder, migrations, the
//! statistics SQLite plans with, data fills a migration could not do, then the pools. Apart
//! from `db` (connections) so that opening may use any store module without a circle.

use crate::db::{build_pool, establish, run_migrations, Access, Backend, DbUrl, Pool};
use crate::error::{StoreError, StoreResult};
use crate::users::fill_canonical_emails;
use crate::writer::refresh_statistics;

/// Opens a pool, creating the SQLite file's folder and running migrations first.
///
/// SQLite gets a single pooled connection: it has one writer anyway, and a deferred
/// transaction that upgrades to a write while another connection writes fails at once with
/// SQLITE_BUSY, which busy_timeout cannot help. One connection serialises that away. Reads go
/// through `Pools::read` (see `open_pools`).
pub fn open_pool(url: &str, max_size: u32) -> StoreResult<Pool> {
    let url = prepare(url)?;
    writer_pool(&url, max_size)
}

/// The pools of a process: `write` for transactions, `read` for reads that need no lock.
#[derive(Clone)]
pub struct Pools {
    /// PostgreSQL: `max_size` connections. SQLite: the one writer connection.
    pub write: Pool,
    /// PostgreSQL: the same pool as `write`. SQLite: `sqlite_readers` read-only connections,
    /// which read in parallel with each other and with the writer (WAL).
    pub read: Pool,
}

/// Opens the pools, creating the SQLite file's folder and running migrations first.
pub fn open_pools(url: &str, max_size: u32, sqlite_readers: u32) -> StoreResult<Pools> {
    let url = prepare(url)?;
    let write = writer_pool(&url, max_size)?;
    let read = match url.backend {
        Backend::Sqlite => build_pool(&url, sqlite_readers, Access::ReadOnly)?,
        Backend::Postgres => write.clone(),
    };
    Ok(Pools { write, read })
}

/// Creates the SQLite file's folder and applies pending migrations.
fn prepare(url: &str) -> StoreResult<DbUrl> {
    let url = DbUrl::parse(url);
    if url.backend == Backend::Sqlite {
        if let Some(dir) = std::path::Path::new(&url.target).parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir)
                    .map_err(|e| StoreError::Pool(format!("{}: {e}", dir.display())))?;
            }
        }
    }
    let mut first = establish(&url)?;
    let applied = run_migrations(&mut first)?;
    if applied > 0 {
        tracing::info!(applied, "database migrations applied");
    }
    // Once per process as it opens the database, after migrations (which may add an index
    // SQLite knows nothing about yet), as SQLite advises; the worker repeats it hourly. It
    // needs the write lock: another process holding it long only delays the statistics to
    // the next pass, so a failure here is not fatal.
    if let Err(e) = refresh_statistics(&mut first) {
        tracing::warn!(error = %e, "SQLite statistics not refreshed at open");
    }
    let filled = fill_canonical_emails(&mut first)?;
    if filled > 0 {
        tracing::info!(filled, "canonical email addresses filled in");
    }
    Ok(url)
}

/// PostgreSQL: `max_size` connections; SQLite: the one writer.
fn writer_pool(url: &DbUrl, max_size: u32) -> StoreResult<Pool> {
    let size = match url.backend {
        Backend::Sqlite => 1,
        Backend::Postgres => max_size,
    };
    build_pool(url, size, Access::ReadWrite)
}
