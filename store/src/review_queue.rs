//! The moderation queue as one statement: every ad with an open report or an open finding of
//! the automatic checks, filtered and ordered (hidden ones first, then the one waiting
//! longest) and cut to a page by the database. Filtering after a fixed read (the first
//! thousand reports) would hide the rest of a long queue from a filter.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text, Timestamp};

use crate::db::DbConn;
use crate::error::StoreResult;

/// Which items: ads with an open report, ads with an open finding, or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum QueueKind {
    #[default]
    All,
    Reports,
    Findings,
}

impl QueueKind {
    fn as_str(self) -> &'static str {
        match self {
            QueueKind::All => "all",
            QueueKind::Reports => "reports",
            QueueKind::Findings => "flags",
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct QueueQuery {
    pub kind: QueueKind,
    /// Ads with an open report of this reason (findings have none: they drop out).
    pub reason: Option<String>,
    pub category: Option<String>,
    pub wilaya: Option<i32>,
    pub offset: i64,
    pub limit: i64,
}

/// One ad of a queue page.
#[derive(Debug, Clone, QueryableByName)]
pub struct QueueEntry {
    #[diesel(sql_type = BigInt)]
    pub listing_id: i64,
    /// Its oldest open report or finding (of those the filter keeps).
    #[diesel(sql_type = Timestamp)]
    pub first_at: NaiveDateTime,
    /// Items the filter keeps, on every page.
    #[diesel(sql_type = BigInt)]
    pub total: i64,
}

/// Open reports and findings are read through their `(resolved_at, …)` indexes: only open
/// rows, whatever the history; each ad is then one primary-key lookup. Each parameter is cast
/// where it stands: PostgreSQL plans the statement before its values (and so does `EXPLAIN`
/// in the plan check) and must know their types.
const QUEUE_SQL: &str = "\
SELECT q.listing_id AS listing_id, q.first_at AS first_at, COUNT(*) OVER () AS total \
FROM (SELECT o.listing_id AS listing_id, MIN(o.created_at) AS first_at FROM ( \
    SELECT r.listing_id AS listing_id, r.created_at AS created_at FROM reports r \
    WHERE r.resolved_at IS NULL AND CAST($1 AS TEXT) <> 'flags' \
      AND (CAST($2 AS TEXT) IS NULL OR r.reason = CAST($2 AS TEXT)) \
    UNION ALL \
    SELECT f.listing_id AS listing_id, f.created_at AS created_at FROM listing_flags f \
    WHERE f.resolved_at IS NULL AND CAST($1 AS TEXT) <> 'reports' AND CAST($2 AS TEXT) IS NULL \
  ) o GROUP BY o.listing_id) q \
JOIN listings l ON l.id = q.listing_id \
WHERE (CAST($3 AS TEXT) IS NULL OR l.category = CAST($3 AS TEXT)) \
  AND (CAST($4 AS INTEGER) IS NULL OR l.wilaya = CAST($4 AS INTEGER)) \
ORDER BY CASE WHEN l.hidden_at IS NULL THEN 1 ELSE 0 END, q.first_at, q.listing_id \
LIMIT CAST($5 AS BIGINT) OFFSET CAST($6 AS BIGINT)";

/// One page of the queue, with the number of items the filter keeps.
pub fn queue_page(conn: &mut DbConn, q: &QueueQuery) -> StoreResult<(Vec<QueueEntry>, i64)> {
    let sql = match conn {
        DbConn::Pg(_) => QUEUE_SQL.to_string(),
        // SQLite numbers its parameters `?N`.
        DbConn::Sqlite(_) => QUEUE_SQL.replace('$', "?"),
    };
    let rows: Vec<QueueEntry> = diesel::sql_query(sql)
        .bind::<Text, _>(q.kind.as_str())
        .bind::<Nullable<Text>, _>(q.reason.as_deref())
        .bind::<Nullable<Text>, _>(q.category.as_deref())
        .bind::<Nullable<Integer>, _>(q.wilaya)
        .bind::<BigInt, _>(q.limit)
        .bind::<BigInt, _>(q.offset)
        .load(conn)?;
    let total = match rows.first() {
        Some(r) => r.total,
        // Past the last page: counted alone, so the page still says how many there are.
        None if q.offset > 0 => {
            queue_page(
                conn,
                &QueueQuery {
                    offset: 0,
                    limit: 1,
                    ..q.clone()
                },
            )?
            .1
        }
        None => 0,
    };
    Ok((rows, total))
}
