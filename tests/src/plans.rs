//! Query-plan checks: records every statement the process sends to a database (diesel's
//! instrumentation), then asks the database how it would run each one (`EXPLAIN QUERY PLAN`
//! on SQLite; a generic plan through `PREPARE` and `EXPLAIN EXECUTE` on PostgreSQL) and
//! judges the plan: no full scan of a large table, and no index whose matched prefix still
//! leaves thousands of rows to walk, unless `Expected` names that plan with its reason.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use diesel::connection::{Instrumentation, InstrumentationEvent, SimpleConnection};
use diesel::RunQueryDsl;

use crate::Backend;

static RECORDED: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());

fn record(event: InstrumentationEvent<'_>) {
    if let InstrumentationEvent::StartQuery { query, .. } = event {
        let text = query.to_string();
        let sql = match text.rsplit_once(" -- binds: ") {
            Some((sql, _)) => sql,
            None => text.as_str(),
        };
        RECORDED
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(sql.trim().to_string());
    }
}

fn recorder() -> Option<Box<dyn Instrumentation>> {
    Some(Box::new(record))
}

/// Records the statements of every connection opened from now on in this process.
pub fn start_recording() {
    diesel::connection::set_default_instrumentation(recorder).expect("instrumentation");
}

/// Forgets what was recorded so far (the fill, the migrations).
pub fn clear_recorded() {
    RECORDED.lock().unwrap_or_else(|p| p.into_inner()).clear();
}

/// The statements recorded since the last `clear_recorded`, those a planner plans (reads and
/// writes with a WHERE, a join or a subquery); transaction control, pragmas and plain
/// `INSERT … VALUES` are left out.
pub fn recorded_statements() -> Vec<String> {
    RECORDED
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .filter(|s| planned(s))
        .cloned()
        .collect()
}

fn planned(sql: &str) -> bool {
    let upper = sql.to_ascii_uppercase();
    // Diesel writes an empty `IN` list as `1=0`: the database tests it once and reads no row.
    if upper.contains("WHERE (1=0)") || upper.contains("WHERE ((1=0) AND") {
        return false;
    }
    let first = upper.split_whitespace().next().unwrap_or("");
    match first {
        "SELECT" | "WITH" | "UPDATE" | "DELETE" => !upper.starts_with("SELECT 1"),
        "INSERT" => upper.contains(" SELECT ") || upper.contains("ON CONFLICT"),
        _ => false,
    }
}

/// A plan known and accepted: statements containing `sql_contains` may use `uses` (an index
/// name or `SCAN <table>`), for `why`.
pub struct Expected {
    pub sql_contains: &'static str,
    pub uses: &'static str,
    pub why: &'static str,
}

/// One step of a plan that walks many rows of a large table.
#[derive(Debug, Clone)]
pub struct Finding {
    pub sql: String,
    pub step: String,
    pub rows: i64,
}

/// Above this many rows a table is large; a step expected to read more than `ROWS_PER_STEP`
/// of one is a finding.
pub const LARGE_TABLE: i64 = 10_000;
pub const ROWS_PER_STEP: i64 = 2_000;

/// Row counts of every table of the database.
pub fn table_sizes(conn: &mut souk_store::DbConn, backend: Backend) -> BTreeMap<String, i64> {
    #[derive(diesel::QueryableByName)]
    struct Name {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
    }
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let list = match backend {
        Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
             AND name NOT LIKE '__diesel%'"
        }
        Backend::Postgres => {
            "SELECT tablename::text AS name FROM pg_tables WHERE schemaname = 'public' \
             AND tablename NOT LIKE '__diesel%'"
        }
    };
    let names: Vec<Name> = diesel::sql_query(list).load(conn).expect("tables");
    names
        .into_iter()
        .map(|t| {
            let n = diesel::sql_query(format!(
                "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM {}",
                t.name
            ))
            .get_result::<Count>(conn)
            .expect("count")
            .n;
            (t.name, n)
        })
        .collect()
}

/// The plan of `sql`, one line a step (SQLite's `detail`), or the JSON of PostgreSQL's
/// generic plan.
pub fn explain(
    conn: &mut souk_store::DbConn,
    backend: Backend,
    sql: &str,
) -> Result<String, String> {
    match backend {
        Backend::Sqlite => {
            #[derive(diesel::QueryableByName)]
            struct Step {
                #[diesel(sql_type = diesel::sql_types::Text)]
                detail: String,
            }
            let steps: Vec<Step> = diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}"))
                .load(conn)
                .map_err(|e| e.to_string())?;
            Ok(steps
                .into_iter()
                .map(|s| s.detail)
                .collect::<Vec<_>>()
                .join("\n"))
        }
        Backend::Postgres => {
            #[derive(diesel::QueryableByName)]
            struct Plan {
                #[diesel(sql_type = diesel::sql_types::Text, column_name = "QUERY PLAN")]
                plan: String,
            }
            let params = max_parameter(sql);
            conn.batch_execute("SET plan_cache_mode = force_generic_plan; DEALLOCATE ALL")
                .map_err(|e| e.to_string())?;
            conn.batch_execute(&format!("PREPARE checked AS {sql}"))
                .map_err(|e| e.to_string())?;
            let args = vec!["NULL"; params].join(", ");
            let call = if params == 0 {
                "EXECUTE checked".to_string()
            } else {
                format!("EXECUTE checked({args})")
            };
            let plan: Plan = diesel::sql_query(format!("EXPLAIN (FORMAT JSON) {call}"))
                .get_result(conn)
                .map_err(|e| e.to_string())?;
            Ok(plan.plan)
        }
    }
}

fn max_parameter(sql: &str) -> usize {
    let bytes = sql.as_bytes();
    let mut max = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'$' {
            let digits: String = sql[i + 1..]
                .chars()
                .take_while(|c| c.is_ascii_digit())
                .collect();
            if let Ok(n) = digits.parse::<usize>() {
                max = max.max(n);
            }
        }
        i += 1;
    }
    max
}

/// The average number of rows sharing a value of an index's first `k` columns, counted on the
/// data itself (SQLite's own statistics, gathered with an analysis limit, are approximate).
pub struct PrefixRows<'c> {
    conn: &'c mut souk_store::DbConn,
    known: BTreeMap<(String, usize), i64>,
}

impl<'c> PrefixRows<'c> {
    pub fn new(conn: &'c mut souk_store::DbConn) -> Self {
        PrefixRows {
            conn,
            known: BTreeMap::new(),
        }
    }

    fn average(&mut self, table: &str, index: &str, k: usize) -> i64 {
        let key = (index.to_string(), k);
        if let Some(n) = self.known.get(&key) {
            return *n;
        }
        #[derive(diesel::QueryableByName)]
        struct Column {
            #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
            name: Option<String>,
        }
        #[derive(diesel::QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let columns: Vec<String> =
            diesel::sql_query(format!("SELECT name FROM pragma_index_info('{index}')"))
                .load::<Column>(self.conn)
                .expect("index columns")
                .into_iter()
                .take(k)
                .map(|c| c.name.unwrap_or_else(|| "rowid".into()))
                .collect();
        // A partial index holds only the rows of its predicate; `=` never matches NULL.
        let mut only: Vec<String> = columns.iter().map(|c| format!("{c} IS NOT NULL")).collect();
        let definition: Vec<Column> = diesel::sql_query(format!(
            "SELECT sql AS name FROM sqlite_master WHERE type = 'index' AND name = '{index}'"
        ))
        .load(self.conn)
        .expect("index definition");
        if let Some(predicate) = definition
            .into_iter()
            .filter_map(|d| d.name)
            .find_map(|sql| sql.split_once(" WHERE ").map(|(_, p)| p.to_string()))
        {
            only.push(format!("({predicate})"));
        }
        let rows = if only.is_empty() {
            "1 = 1".to_string()
        } else {
            only.join(" AND ")
        };
        let distinct = if columns.is_empty() {
            "1".to_string()
        } else {
            format!(
                "(SELECT COUNT(*) FROM (SELECT DISTINCT {} FROM {table} WHERE {rows}))",
                columns.join(", ")
            )
        };
        let n = diesel::sql_query(format!(
            "SELECT CAST(COUNT(*) / MAX(1, {distinct}) AS BIGINT) AS n FROM {table} WHERE {rows}"
        ))
        .get_result::<Count>(self.conn)
        .expect("rows per prefix")
        .n;
        self.known.insert(key, n);
        n
    }
}

/// The steps of SQLite plan `plan` that read many rows of a large table.
pub fn judge_sqlite(
    sql: &str,
    plan: &str,
    sizes: &BTreeMap<String, i64>,
    prefixes: &mut PrefixRows<'_>,
) -> Vec<Finding> {
    let mut found = Vec::new();
    for step in plan.lines() {
        let words: Vec<&str> = step.split_whitespace().collect();
        let (verb, table) = match words.as_slice() {
            [verb @ ("SCAN" | "SEARCH"), table, ..] => (*verb, *table),
            _ => continue,
        };
        let rows = sizes.get(table).copied().unwrap_or(0);
        if rows < LARGE_TABLE {
            continue;
        }
        let estimate = if verb == "SCAN" {
            rows
        } else if step.contains("PRIMARY KEY") {
            // rowid=? is one row; a rowid range is a cursor or a bounded sweep.
            continue;
        } else {
            let Some(index) = index_of(step) else {
                continue;
            };
            let constraint = step
                .rsplit_once('(')
                .map(|(_, c)| c.trim_end_matches(')'))
                .unwrap_or("");
            let terms: Vec<&str> = constraint.split(" AND ").collect();
            let equal = terms
                .iter()
                .take_while(|t| t.ends_with("=?") && !t.contains('<') && !t.contains('>'))
                .count();
            let ranged = terms.len() > equal;
            let base = prefixes.average(table, index, equal);
            // SQLite's own guess for one bound of a range: a quarter of the rows.
            if ranged {
                base / 4
            } else {
                base
            }
        };
        if estimate > ROWS_PER_STEP {
            found.push(Finding {
                sql: sql.to_string(),
                step: step.to_string(),
                rows: estimate,
            });
        }
    }
    found
}

fn index_of(step: &str) -> Option<&str> {
    let at = step.find(" INDEX ")?;
    step[at + 7..].split_whitespace().next()
}

/// The steps of PostgreSQL plan `plan` (JSON) that read many rows of a large table.
pub fn judge_postgres(sql: &str, plan: &str, sizes: &BTreeMap<String, i64>) -> Vec<Finding> {
    let json: serde_json::Value = serde_json::from_str(plan).expect("plan json");
    let mut found = Vec::new();
    // Each node with whether a LIMIT bounds it: a Limit reached through nothing but row locks
    // (or a sort of rows that come presorted)
    // stops an index scan after its rows, when the scan filters nothing out on the way.
    let mut stack: Vec<(&serde_json::Value, bool)> = json
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p.get("Plan"))
        .map(|p| (p, false))
        .collect();
    while let Some((node, limited)) = stack.pop() {
        let kind = node["Node Type"].as_str().unwrap_or("");
        let passes_limit = match kind {
            "Limit" => true,
            // An incremental sort reads its input in order, a group at a time.
            "LockRows" | "Result" | "Incremental Sort" => limited,
            _ => false,
        };
        if let Some(children) = node.get("Plans").and_then(|p| p.as_array()) {
            stack.extend(children.iter().map(|c| (c, passes_limit)));
        }
        let Some(table) = node["Relation Name"].as_str() else {
            continue;
        };
        if sizes.get(table).copied().unwrap_or(0) < LARGE_TABLE {
            continue;
        }
        let rows = node["Plan Rows"].as_f64().unwrap_or(0.0) as i64;
        let step = match node["Index Name"].as_str() {
            Some(index) => format!("{kind} using {index} on {table}"),
            None => format!("{kind} on {table}"),
        };
        let bounded = limited && node.get("Filter").is_none();
        let heavy = match kind {
            "Seq Scan" => true,
            "Index Scan" | "Index Only Scan" => rows > ROWS_PER_STEP && !bounded,
            "Bitmap Heap Scan" => rows > ROWS_PER_STEP,
            _ => false,
        };
        if heavy {
            found.push(Finding {
                sql: sql.to_string(),
                step,
                rows,
            });
        }
    }
    found
}

/// The findings no `Expected` entry accepts.
pub fn unexpected(findings: Vec<Finding>, expected: &[Expected]) -> Vec<Finding> {
    findings
        .into_iter()
        .filter(|f| {
            !expected
                .iter()
                .any(|e| f.sql.contains(e.sql_contains) && f.step.contains(e.uses))
        })
        .collect()
}
