//! Connections: one diesel `MultiConnection` over SQLite and PostgreSQL, chosen by URL scheme.

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::error::{StoreError, StoreResult};

#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

impl DbConn {
    pub fn backend(&self) -> Backend {
        match self {
            DbConn::Pg(_) => Backend::Postgres,
            DbConn::Sqlite(_) => Backend::Sqlite,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

/// A database location: `postgres://…`/`postgresql://…`, or `sqlite://path` / a plain path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbUrl {
    pub backend: Backend,
    /// What the driver gets: the full URL for PostgreSQL, the file path for SQLite.
    pub target: String,
}

impl DbUrl {
    pub fn parse(url: &str) -> DbUrl {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            DbUrl {
                backend: Backend::Postgres,
                target: url.to_string(),
            }
        } else {
            let path = url
                .strip_prefix("sqlite://")
                .or_else(|| url.strip_prefix("sqlite:"))
                .unwrap_or(url);
            DbUrl {
                backend: Backend::Sqlite,
                target: path.to_string(),
            }
        }
    }
}

pub fn establish(url: &DbUrl) -> StoreResult<DbConn> {
    establish_as(url, Access::ReadWrite)
}

/// What a connection may do. Read-only SQLite connections serve reads beside the one writer
/// (WAL: readers never wait for it); `query_only` makes a write through one fail loudly instead
/// of taking the write lock behind the writer's back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    ReadWrite,
    ReadOnly,
}

/// Turns off SQLite's memory statistics before its first connection: with them on, every
/// allocation of every connection takes one process-wide mutex, and parallel readers queue on
/// it (seen in a profile of the load benchmark). Later calls, and calls after SQLite started,
/// change nothing.
fn sqlite_without_memory_statistics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: sqlite3_config with SQLITE_CONFIG_MEMSTATUS takes one int; before
        // sqlite3_initialize it only sets a flag, afterwards it returns SQLITE_MISUSE and
        // does nothing. No connection is open yet the first time this runs from `establish_as`
        // in a process that opens its databases through this module.
        unsafe {
            libsqlite3_sys::sqlite3_config(libsqlite3_sys::SQLITE_CONFIG_MEMSTATUS, 0);
        }
    });
}

pub fn establish_as(url: &DbUrl, access: Access) -> StoreResult<DbConn> {
    if url.backend == Backend::Sqlite {
        sqlite_without_memory_statistics();
    }
    let conn = match url.backend {
        Backend::Postgres => DbConn::Pg(
            PgConnection::establish(&url.target).map_err(|e| StoreError::Pool(e.to_string()))?,
        ),
        Backend::Sqlite => {
            let mut c = SqliteConnection::establish(&url.target)
                .map_err(|e| StoreError::Pool(e.to_string()))?;
            // WAL lets readers in other processes (worker, admin commands) run beside the
            // writer; busy_timeout makes a second writer wait instead of failing. It comes
            // first: switching the journal mode needs a lock, which another process may hold.
            c.batch_execute(
                "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; \
                 PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;",
            )?;
            if access == Access::ReadOnly {
                c.batch_execute("PRAGMA query_only = ON; PRAGMA cache_size = -16000;")?;
            }
            DbConn::Sqlite(c)
        }
    };
    Ok(conn)
}

/// r2d2 manager that builds the right variant from the URL (the derive's own `establish`
/// would try each backend in turn).
#[derive(Debug, Clone)]
pub struct Manager(DbUrl, Access);

impl ManageConnection for Manager {
    type Connection = DbConn;
    type Error = StoreError;

    fn connect(&self) -> Result<DbConn, StoreError> {
        establish_as(&self.0, self.1)
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), StoreError> {
        conn.batch_execute("SELECT 1").map_err(StoreError::from)
    }

    fn has_broken(&self, _conn: &mut DbConn) -> bool {
        false
    }
}

pub type Pool = r2d2::Pool<Manager>;
pub type PooledConn = r2d2::PooledConnection<Manager>;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/postgres");

/// Applies pending migrations of the connection's backend.
pub fn run_migrations(conn: &mut DbConn) -> StoreResult<usize> {
    let applied = match conn {
        DbConn::Pg(c) => c
            .run_pending_migrations(POSTGRES_MIGRATIONS)
            .map(|v| v.len()),
        DbConn::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
    };
    applied.map_err(|e| StoreError::Migration(e.to_string()))
}

pub(crate) fn build_pool(url: &DbUrl, size: u32, access: Access) -> StoreResult<Pool> {
    r2d2::Pool::builder()
        .max_size(size.max(1))
        .connection_timeout(Duration::from_secs(30))
        .build(Manager(url.clone(), access))
        .map_err(|e| StoreError::Pool(e.to_string()))
}

/// The embedded default: a SQLite file in the data folder.
pub fn default_database_url(data_dir: &std::path::Path) -> String {
    format!("sqlite://{}", data_dir.join("souk.db").display())
}

/// Runs `f` in a write transaction. On SQLite it begins IMMEDIATE, taking the write lock up
/// front: a deferred transaction that reads and then writes fails at once with SQLITE_BUSY
/// when another process (worker, admin command) wrote in between, and no busy timeout helps.
pub fn write_transaction<T, E, F>(conn: &mut DbConn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    if !matches!(conn, DbConn::Sqlite(_)) {
        return conn.transaction(f);
    }
    if let DbConn::Sqlite(c) = conn {
        AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?;
    }
    let result = f(conn);
    if let DbConn::Sqlite(c) = conn {
        match &result {
            Ok(_) => AnsiTransactionManager::commit_transaction(c)?,
            Err(_) => AnsiTransactionManager::rollback_transaction(c)?,
        }
    }
    result
}
