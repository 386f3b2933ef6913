//! The same queries on PostgreSQL: full-text search as shipped (generated tsvector + GIN,
//! facets by GROUP BY) and as tuned by a careful engineer (typed generated columns, a
//! composite index for (c), a GiST index with KNN ordering for (e), all facets in one query,
//! shared_buffers sized to the data).

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};

use crate::mix::{BenchQuery, Kind};

#[derive(QueryableByName)]
struct N {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
#[allow(dead_code)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

#[derive(QueryableByName)]
#[allow(dead_code)]
struct Kn {
    #[diesel(sql_type = Nullable<Text>)]
    k: Option<String>,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
#[allow(dead_code)]
struct Grouped {
    #[diesel(sql_type = Nullable<Text>)]
    category: Option<String>,
    #[diesel(sql_type = BigInt)]
    n_all: i64,
    #[diesel(sql_type = BigInt)]
    n_cat: i64,
}

pub const SHIPPED_SETUP: &str = "
ALTER TABLE listings ADD COLUMN IF NOT EXISTS tsv tsvector
    GENERATED ALWAYS AS (to_tsvector('simple', title || ' ' || description)) STORED;
CREATE INDEX IF NOT EXISTS bench_tsv ON listings USING gin (tsv);
ANALYZE listings;";

pub const TUNED_SETUP: &str = "
ALTER TABLE listings
    ADD COLUMN IF NOT EXISTS a_fuel text GENERATED ALWAYS AS ((attributes::jsonb) ->> 'fuel') STORED,
    ADD COLUMN IF NOT EXISTS a_year int GENERATED ALWAYS AS (((attributes::jsonb) ->> 'year')::int) STORED,
    ADD COLUMN IF NOT EXISTS a_brand text GENERATED ALWAYS AS ((attributes::jsonb) ->> 'brand') STORED,
    ADD COLUMN IF NOT EXISTS a_gearbox text GENERATED ALWAYS AS ((attributes::jsonb) ->> 'gearbox') STORED,
    ADD COLUMN IF NOT EXISTS loc point GENERATED ALWAYS AS (point(lon, lat)) STORED;
CREATE INDEX IF NOT EXISTS bench_c ON listings (category, a_fuel, price) WHERE status = 'active';
CREATE INDEX IF NOT EXISTS bench_e ON listings USING gist (loc) WHERE status = 'active';
CREATE INDEX IF NOT EXISTS bench_cw ON listings (category, wilaya) WHERE status = 'active';
CREATE EXTENSION IF NOT EXISTS pg_prewarm;
ANALYZE listings;";

/// Per-session settings of the tuned variant.
pub const TUNED_SESSION: &str = "SET work_mem = '64MB'; SET jit = off; SET random_page_cost = 1.1;";

const ACTIVE: &str = "status = 'active' AND expires_at > now()";

fn lit(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn in_list(v: &[String]) -> String {
    v.iter().map(|s| lit(s)).collect::<Vec<_>>().join(",")
}

fn count(conn: &mut PgConnection, sql: String) -> i64 {
    diesel::sql_query(sql)
        .get_result::<N>(conn)
        .map(|r| r.n)
        .unwrap_or(-1)
}

fn ids(conn: &mut PgConnection, sql: String) -> usize {
    diesel::sql_query(sql)
        .load::<Id>(conn)
        .map(|r| r.len())
        .unwrap_or(0)
}

fn haversine(lat: f64, lon: f64) -> String {
    format!(
        "(6371.0088 * 2 * asin(sqrt(power(sin(radians(lat - {lat}) / 2), 2) + cos(radians({lat})) * cos(radians(lat)) * power(sin(radians(lon - {lon}) / 2), 2))))"
    )
}

fn bbox(lat: f64, lon: f64, r: f64) -> (f64, f64, f64, f64) {
    let dlat = r / 111.195;
    let dlon = r / (111.195 * lat.to_radians().cos());
    (lat - dlat, lon - dlon, lat + dlat, lon + dlon)
}

/// Runs one query; returns the total number of matches (for the cross-check).
pub fn run(conn: &mut PgConnection, q: &BenchQuery, tuned: bool) -> i64 {
    let tsq =
        q.q.as_deref()
            .map(|w| format!("plainto_tsquery('simple', {})", lit(w)));
    let mut filt = ACTIVE.to_string();
    if let Some(t) = &tsq {
        filt.push_str(&format!(" AND tsv @@ {t}"));
    }
    let leaves = q.leaves();
    match q.kind {
        Kind::A | Kind::B => {
            if !leaves.is_empty() {
                filt.push_str(&format!(" AND category IN ({})", in_list(&leaves)));
            }
            if let Some(w) = q.wilaya {
                filt.push_str(&format!(" AND wilaya = {w}"));
            }
            let t = tsq.unwrap_or_default();
            ids(conn, format!("SELECT id FROM listings WHERE {filt} ORDER BY ts_rank(tsv, {t}) DESC, id DESC LIMIT 20"));
            count(
                conn,
                format!("SELECT count(*) AS n FROM listings WHERE {filt}"),
            )
        }
        Kind::C => {
            let (lo, hi) = q.price.unwrap_or((0, i64::MAX));
            let fuel = lit(q.fuel.as_deref().unwrap_or(""));
            let year = q.year_min.unwrap_or(0);
            if tuned {
                filt.push_str(&format!(
                    " AND category = 'cars' AND a_fuel = {fuel} AND a_year >= {year}"
                ));
            } else {
                filt.push_str(&format!(
                    " AND category = 'cars' AND (attributes::jsonb ->> 'fuel') = {fuel} AND ((attributes::jsonb ->> 'year')::int) >= {year}"
                ));
            }
            filt.push_str(&format!(" AND price BETWEEN {lo} AND {hi}"));
            ids(
                conn,
                format!("SELECT id FROM listings WHERE {filt} ORDER BY price, id LIMIT 20"),
            );
            count(
                conn,
                format!("SELECT count(*) AS n FROM listings WHERE {filt}"),
            )
        }
        Kind::D => {
            let t = tsq.unwrap_or_default();
            let cat = format!("{filt} AND category IN ({})", in_list(&leaves));
            ids(conn, format!("SELECT id FROM listings WHERE {cat} ORDER BY ts_rank(tsv, {t}) DESC, id DESC LIMIT 20"));
            if tuned {
                // All facets in one pass; the category facet ignores the category filter.
                let rows: Vec<Grouped> = diesel::sql_query(format!(
                    "SELECT category, count(*) AS n_all, count(*) FILTER (WHERE category IN ({l})) AS n_cat
                     FROM listings WHERE {filt}
                     GROUP BY GROUPING SETS ((category), (wilaya), (a_fuel), (a_brand), (a_gearbox))",
                    l = in_list(&leaves)
                ))
                .load(conn)
                .unwrap_or_default();
                rows.iter()
                    .filter(|r| {
                        r.category
                            .as_deref()
                            .is_some_and(|c| leaves.iter().any(|l| l == c))
                    })
                    .map(|r| r.n_all.max(r.n_cat))
                    .sum()
            } else {
                let total = count(
                    conn,
                    format!("SELECT count(*) AS n FROM listings WHERE {cat}"),
                );
                let _: Vec<Kn> = diesel::sql_query(format!("SELECT category AS k, count(*) AS n FROM listings WHERE {filt} GROUP BY category"))
                    .load(conn)
                    .unwrap_or_default();
                let _: Vec<Kn> = diesel::sql_query(format!("SELECT wilaya::text AS k, count(*) AS n FROM listings WHERE {cat} GROUP BY wilaya"))
                    .load(conn)
                    .unwrap_or_default();
                for key in ["fuel", "brand", "gearbox"] {
                    let _: Vec<Kn> = diesel::sql_query(format!(
                        "SELECT (attributes::jsonb ->> '{key}') AS k, count(*) AS n FROM listings WHERE {cat} GROUP BY 1"
                    ))
                    .load(conn)
                    .unwrap_or_default();
                }
                total
            }
        }
        Kind::E => {
            let (lat, lon, r) = q.near.unwrap_or_default();
            let (a, b, c, d) = bbox(lat, lon, r);
            let h = haversine(lat, lon);
            filt.push_str(&format!(" AND category IN ({})", in_list(&leaves)));
            if tuned {
                let w = format!(
                    "{filt} AND loc <@ box(point({b}, {a}), point({d}, {c})) AND {h} <= {r}"
                );
                ids(conn, format!("SELECT id FROM listings WHERE {w} ORDER BY loc <-> point({lon}, {lat}) LIMIT 20"));
                count(
                    conn,
                    format!("SELECT count(*) AS n FROM listings WHERE {w}"),
                )
            } else {
                let w = format!("{filt} AND lat BETWEEN {a} AND {c} AND lon BETWEEN {b} AND {d}");
                ids(conn, format!("SELECT id FROM (SELECT id, {h} AS d FROM listings WHERE {w}) s WHERE d <= {r} ORDER BY d, id LIMIT 20"));
                count(conn, format!("SELECT count(*) AS n FROM (SELECT {h} AS d FROM listings WHERE {w}) s WHERE d <= {r}"))
            }
        }
    }
}
