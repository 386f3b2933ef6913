//! Online copies of the embedded SQLite database, for `souk-api backup`: `VACUUM INTO` writes a
//! consistent snapshot (one read transaction) while the service keeps writing beside it, then
//! the copy is checked before anyone relies on it. PostgreSQL has its own tools (`pg_dump`,
//! base backups: docs/deploy.md).

use std::path::Path;

use diesel::prelude::*;
use diesel::sql_types::Text;

use crate::db::{establish, Backend, DbConn, DbUrl};
use crate::error::{StoreError, StoreResult};

#[derive(QueryableByName)]
struct Check {
    #[diesel(sql_type = Text)]
    quick_check: String,
}

/// What a copy holds, for the backup's manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CopyCounts {
    pub users: i64,
    pub listings: i64,
}

/// Writes a snapshot of the SQLite database at `url` to `dest` (which must not exist yet), then
/// opens the copy and checks it (`PRAGMA quick_check`). Safe while the service runs.
pub fn copy_sqlite(url: &DbUrl, dest: &Path) -> StoreResult<CopyCounts> {
    if url.backend != Backend::Sqlite {
        return Err(StoreError::Pool(
            "an online copy is for SQLite; back PostgreSQL up with pg_dump or a base backup".into(),
        ));
    }
    let target = dest
        .to_str()
        .ok_or_else(|| StoreError::Pool(format!("{} is not a UTF-8 path", dest.display())))?;
    let mut live = establish(url)?;
    // A string literal: VACUUM INTO takes no bound parameter here; quotes doubled.
    let sql = format!("VACUUM INTO '{}'", target.replace('\'', "''"));
    diesel::sql_query(sql).execute(&mut live)?;
    drop(live);
    check_sqlite(dest)
}

/// Opens the SQLite file at `path`, checks its structure and counts what it holds.
pub fn check_sqlite(path: &Path) -> StoreResult<CopyCounts> {
    let url = DbUrl {
        backend: Backend::Sqlite,
        target: path.display().to_string(),
    };
    let mut conn = establish(&url)?;
    let checks: Vec<Check> = diesel::sql_query("PRAGMA quick_check").load(&mut conn)?;
    let verdict: Vec<&str> = checks.iter().map(|c| c.quick_check.as_str()).collect();
    if verdict != ["ok"] {
        return Err(StoreError::Corrupt(format!(
            "{}: {}",
            path.display(),
            verdict.join("; ")
        )));
    }
    counts(&mut conn)
}

fn counts(conn: &mut DbConn) -> StoreResult<CopyCounts> {
    use crate::schema::{listings, users};
    Ok(CopyCounts {
        users: users::table.count().get_result(conn)?,
        listings: listings::table.count().get_result(conn)?,
    })
}
