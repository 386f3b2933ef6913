//! A PostgreSQL streaming replica beside the primary: opening its pool (no migrations: it is
//! read-only and replays the primary's), checking that it is one, and reading positions in the
//! write-ahead log to tell how far behind it is.

use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};

use crate::db::{build_pool, establish, Access, Backend, DbConn, DbUrl, Pool};
use crate::error::{StoreError, StoreResult};

#[derive(QueryableByName)]
struct Flag {
    #[diesel(sql_type = Bool)]
    value: bool,
}

#[derive(QueryableByName)]
struct Word {
    #[diesel(sql_type = Text)]
    value: String,
}

/// Opens a pool on the replica at `url` after checking that it is a streaming replica of the
/// database the primary pool serves. `Err` says what to fix.
pub fn open_replica_pool(url: &str, primary: &Pool, max_size: u32) -> Result<Pool, String> {
    let parsed = DbUrl::parse(url);
    if parsed.backend != Backend::Postgres {
        return Err("DATABASE_REPLICA_URL must be a postgres:// URL".into());
    }
    let mut replica =
        establish(&parsed).map_err(|e| format!("cannot connect to DATABASE_REPLICA_URL: {e}"))?;
    let mut main = primary
        .get()
        .map_err(|e| format!("cannot connect to DATABASE_URL: {e}"))?;
    if !matches!(&*main, DbConn::Pg(_)) {
        return Err("DATABASE_REPLICA_URL needs DATABASE_URL on PostgreSQL too".into());
    }
    let recovering = in_recovery(&mut replica).map_err(|e| e.to_string())?;
    if !recovering {
        return Err(
            "DATABASE_REPLICA_URL points at a primary (pg_is_in_recovery() is false): \
                    give the address of a streaming replica"
                .into(),
        );
    }
    let (theirs, ours) = (
        system_identifier(&mut replica).map_err(|e| e.to_string())?,
        system_identifier(&mut main).map_err(|e| e.to_string())?,
    );
    if theirs != ours {
        return Err(format!(
            "DATABASE_REPLICA_URL is a replica of another cluster (system identifier {theirs}, \
             the primary's is {ours})"
        ));
    }
    build_pool(&parsed, max_size, Access::ReadOnly).map_err(|e| e.to_string())
}

fn in_recovery(conn: &mut DbConn) -> StoreResult<bool> {
    Ok(diesel::sql_query("SELECT pg_is_in_recovery() AS value")
        .get_result::<Flag>(conn)?
        .value)
}

fn system_identifier(conn: &mut DbConn) -> StoreResult<String> {
    Ok(
        diesel::sql_query("SELECT system_identifier::text AS value FROM pg_control_system()")
            .get_result::<Word>(conn)?
            .value,
    )
}

/// A position in the write-ahead log (`X/Y`) as a number of bytes.
fn lsn_bytes(text: &str) -> StoreResult<u64> {
    let (hi, lo) = text
        .split_once('/')
        .ok_or_else(|| StoreError::Corrupt(format!("not a WAL position: {text}")))?;
    let hi = u64::from_str_radix(hi, 16).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let lo = u64::from_str_radix(lo, 16).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok((hi << 32) | lo)
}

/// Where the primary's write-ahead log ends now.
pub fn primary_position(conn: &mut DbConn) -> StoreResult<u64> {
    lsn_bytes(
        &diesel::sql_query("SELECT pg_current_wal_lsn()::text AS value")
            .get_result::<Word>(conn)?
            .value,
    )
}

/// How far the replica has replayed the primary's log; `None` when it is no replica (any more).
pub fn replayed_position(conn: &mut DbConn) -> StoreResult<Option<u64>> {
    let row = diesel::sql_query("SELECT COALESCE(pg_last_wal_replay_lsn()::text, '') AS value")
        .get_result::<Word>(conn)?;
    if row.value.is_empty() {
        return Ok(None);
    }
    lsn_bytes(&row.value).map(Some)
}

#[cfg(test)]
mod tests {
    use super::lsn_bytes;

    #[test]
    fn wal_positions_read_as_bytes() {
        assert_eq!(lsn_bytes("0/16B3748").unwrap(), 0x16B3748);
        assert_eq!(lsn_bytes("1/0").unwrap(), 1 << 32);
        assert!(lsn_bytes("nonsense").is_err());
    }
}
