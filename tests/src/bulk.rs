//! Fills a test database with a realistic amount and skew of rows in a few seconds, with plain
//! SQL (no application code: only the planner's view of the tables matters here). A few
//! sellers hold a large share of the ads, as stores and car dealers do on a real site.

use diesel::connection::SimpleConnection;

use crate::Backend;

/// How many rows of each kind `fill` writes.
#[derive(Debug, Clone, Copy)]
pub struct Volume {
    pub users: i64,
    pub listings: i64,
    /// Sellers 1..=`heavy_sellers` hold `heavy_share_pct` % of the ads between them.
    pub heavy_sellers: i64,
    pub heavy_share_pct: i64,
}

impl Default for Volume {
    fn default() -> Self {
        Volume {
            users: 20_000,
            listings: 300_000,
            heavy_sellers: 5,
            heavy_share_pct: 30,
        }
    }
}

/// SQL for the dialect differences the fill needs.
struct Dialect {
    backend: Backend,
}

impl Dialect {
    /// A timestamp `days` (an SQL integer expression) from 2026-12-06 12:00.
    fn day(&self, days: &str) -> String {
        match self.backend {
            Backend::Sqlite => {
                format!("strftime('%Y-%m-%d %H:%M:%f', '2026-12-06 12:00:00', ({days}) || ' days')")
            }
            Backend::Postgres => {
                format!("(timestamp '2026-12-06 12:00:00' + ({days}) * interval '1 day')")
            }
        }
    }

    fn boolean(&self, condition: &str) -> String {
        match self.backend {
            Backend::Sqlite => format!("(CASE WHEN {condition} THEN 1 ELSE 0 END)"),
            Backend::Postgres => format!("({condition})"),
        }
    }

    /// `INSERT INTO {table} ({columns}) SELECT {values} FROM 1..=n AS i`.
    fn insert_series(&self, table: &str, columns: &str, values: &str, n: i64) -> String {
        match self.backend {
            Backend::Sqlite => format!(
                "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n}) \
                 INSERT INTO {table} ({columns}) SELECT {values} FROM s;"
            ),
            Backend::Postgres => format!(
                "INSERT INTO {table} ({columns}) SELECT {values} FROM generate_series(1::bigint, {n}) AS s(i);"
            ),
        }
    }
}

/// Writes `v`'s users and ads, and the rows that grow with them (the change feed, finished
/// jobs, photos, conversations and messages, favourites, daily statistics, near-duplicate keys,
/// refresh tokens, ratings, reports, the moderation log, the credit ledger). Ids start after
/// whatever the database already holds.
pub fn fill(conn: &mut souk_store::DbConn, backend: Backend, v: Volume) {
    let d = Dialect { backend };
    let u0: i64 = max_id(conn, "users");
    let l0: i64 = max_id(conn, "listings");
    let heavy = v.heavy_sellers;
    let seller = format!(
        "(CASE WHEN i % 100 < {share} THEN {u0} + 1 + (i % {heavy}) \
         ELSE {u0} + 1 + {heavy} + ((i * 7919) % ({users} - {heavy})) END)",
        share = v.heavy_share_pct,
        users = v.users
    );
    let (t, f) = (d.boolean("1 = 1"), d.boolean("1 = 0"));
    let mut sql = Vec::new();
    sql.push(d.insert_series(
        "users",
        "id, email, email_canonical, password_hash, display_name, role, email_verified_at, \
         created_at, updated_at, language, price_drop_alerts, phone_public",
        &format!(
            "{u0} + i, 'seed' || i || '@bulk.test', 'seed' || i || '@bulk.test', 'x', 'Seller ' || i, \
             'user', {day}, {day}, {day}, 'fr', {t}, {f}",
            day = d.day("-(i % 400)")
        ),
        v.users,
    ));
    // 85 % active, then sold, expired, deleted; a few hidden by moderation.
    let status = "(CASE WHEN i % 20 < 17 THEN 'active' WHEN i % 20 = 17 THEN 'sold' \
                  WHEN i % 20 = 18 THEN 'expired' ELSE 'deleted' END)";
    sql.push(d.insert_series(
        "listings",
        "id, user_id, title, description, category, attributes, price, negotiable, exchange, \
         wilaya, commune, lat, lon, show_phone, status, views, created_at, updated_at, expires_at, \
         deleted_at, hidden_at, phone_reveals, delivery, text_hash",
        &format!(
            "{l0} + i, {seller}, 'Annonce ' || i, 'Description de l''annonce ' || i, \
             (CASE i % 4 WHEN 0 THEN 'cars' WHEN 1 THEN 'smartphones' WHEN 2 THEN 'apartments' ELSE 'laptops' END), \
             '{{}}', 1000 * i, {neg}, {f}, 1 + (i % 58), 100 * (1 + (i % 58)) + 1, 36.7, 3.05, {f}, \
             {status}, i % 500, {created}, {created}, {expires}, \
             (CASE WHEN i % 20 = 19 THEN {created} ELSE NULL END), \
             (CASE WHEN i % 997 = 0 THEN {created} ELSE NULL END), 0, 'none', 'h' || i",
            neg = d.boolean("i % 2 = 0"),
            created = d.day("-(i % 60)"),
            expires = d.day("(CASE WHEN i % 20 = 18 THEN -(i % 30) - 1 ELSE 60 - (i % 60) END)"),
        ),
        v.listings,
    ));
    // The feed's size without its work: ids below zero, which a follower (reading ids above
    // its position) never takes up; the test's app does not index 300 k ads.
    sql.push(d.insert_series(
        "listing_changes",
        "id, listing_id, created_at",
        &format!("-i, {l0} + i, {}", d.day("-(i % 60)")),
        v.listings,
    ));
    let n_jobs = v.listings / 6;
    sql.push(d.insert_series(
        "jobs",
        "kind, payload, status, attempts, max_attempts, run_at, created_at, updated_at",
        &format!(
            "'send_email', '{{}}', (CASE WHEN i % 500 = 0 THEN 'dead' ELSE 'done' END), 1, 8, {day}, {day}, {day}",
            day = d.day("-(i % 60)")
        ),
        n_jobs,
    ));
    let n_photos = v.listings / 3;
    sql.push(d.insert_series(
        "photos",
        "listing_id, storage_key, position, width, height, created_at, phash",
        &format!(
            "{l0} + 1 + (i * 3 % {n}), 'bulk/' || i, i % 8, 800, 600, {day}, i * 2654435761",
            n = v.listings,
            day = d.day("-(i % 60)")
        ),
        n_photos,
    ));
    sql.push(d.insert_series(
        "near_keys",
        "kind, band_key, hash, listing_id, user_id, photo_id",
        &format!(
            "i % 3, (i * 40503) % 65536, i, {l0} + 1 + (i % {n}), {u0} + 1 + (i % {users}), NULL",
            n = v.listings,
            users = v.users
        ),
        v.listings / 2,
    ));
    let n_threads = v.listings / 15;
    sql.push(d.insert_series(
        "conversations",
        "listing_id, listing_title, buyer_id, seller_id, buyer_name, created_at, last_message_at",
        &format!(
            "{l0} + i * 7 % {n} + 1, 'Annonce', {u0} + 1 + ((i * 31) % {users}), {u0} + 1 + (i % {users}), 'Karim', {day}, {day}",
            n = v.listings, users = v.users, day = d.day("-(i % 60)")
        ),
        n_threads,
    ));
    // The statements run at the end: conversations written here start after c0.
    let c0 = max_id(conn, "conversations");
    sql.push(d.insert_series(
        "messages",
        "conversation_id, sender_id, body, created_at",
        &format!(
            "{c0} + 1 + (i % {n_threads}), {u0} + 1 + (i % {users}), 'Salam, disponible ?', {day}",
            users = v.users,
            day = d.day("-(i % 60)")
        ),
        n_threads * 3,
    ));
    sql.push(d.insert_series(
        "favorites",
        "user_id, listing_id, created_at",
        &format!(
            "{u0} + 1 + (i % {users}), {l0} + i, {day}",
            users = v.users,
            day = d.day("-(i % 60)")
        ),
        v.listings / 6,
    ));
    sql.push(d.insert_series(
        "listing_daily_stats",
        "listing_id, day, views, phone_reveals, threads, favorites, promoted_impressions, promoted_clicks",
        &format!("{l0} + i, 20400 + (i % 60), 3, 0, 0, 0, 0, 0"),
        v.listings / 3,
    ));
    sql.push(d.insert_series(
        "refresh_tokens",
        "user_id, family_id, token_hash, created_at, expires_at",
        &format!(
            "{u0} + 1 + (i % {users}), 'fam' || i, 'bulk' || i, {day}, {day}",
            users = v.users,
            day = d.day("30 - (i % 60)")
        ),
        v.users * 2,
    ));
    sql.push(d.insert_series(
        "ratings",
        "conversation_id, rater_id, ratee_id, stars, tags, created_at",
        &format!(
            "{c0} + i, {u0} + 1 + ((i * 31) % {users}), {u0} + 1 + (i % {users}), 1 + i % 5, '[]', {day}",
            users = v.users,
            day = d.day("-(i % 60)")
        ),
        n_threads / 2,
    ));
    sql.push(d.insert_series(
        "reports",
        "listing_id, reporter_id, reason, created_at, resolved_at, resolution",
        &format!(
            "{l0} + i * 13 % {n} + 1, {u0} + 1 + (i % {users}), 'scam', {day}, {day}, 'dismissed'",
            n = v.listings,
            users = v.users,
            day = d.day("-(i % 60)")
        ),
        v.listings / 20,
    ));
    sql.push(d.insert_series(
        "moderation_log",
        "moderator_id, action, target_kind, target_id, reason, created_at",
        &format!(
            "NULL, 'hide', 'listing', {l0} + i * 11 % {n} + 1, 'auto', {day}",
            n = v.listings,
            day = d.day("-(i % 60)")
        ),
        v.listings / 20,
    ));
    sql.push(d.insert_series(
        "credit_ledger",
        "user_id, seq, amount, balance_after, reason, idempotency_key, created_at",
        &format!(
            "{u0} + 1 + (i % {users}), 1000 + i / {users}, 100, 100, 'grant', 'bulk' || i, {day}",
            users = v.users,
            day = d.day("-(i % 60)")
        ),
        v.users,
    ));
    if backend == Backend::Sqlite {
        // The fill's own connection: index pages kept in memory while 300 k rows go in, and no
        // sync (a test database that a crash would lose anyway).
        conn.batch_execute("PRAGMA cache_size = -262144; PRAGMA synchronous = OFF;")
            .expect("fill pragmas");
    } else {
        conn.batch_execute("SET synchronous_commit = off")
            .expect("fill settings");
        // Foreign-key triggers off for the fill where the role may (a superuser, as in CI):
        // the ids are consistent by construction, and the checks double the fill's time.
        let _ = conn.batch_execute("SET session_replication_role = replica");
    }
    for statement in sql {
        conn.batch_execute(&statement)
            .unwrap_or_else(|e| panic!("bulk fill: {e}\n{statement}"));
    }
    if backend == Backend::Postgres {
        // Ids were given explicitly: move the sequences past them.
        for table in ["users", "listings"] {
            conn.batch_execute(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
            ))
            .expect("setval");
        }
    }
}

fn max_id(conn: &mut souk_store::DbConn, table: &str) -> i64 {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Max {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        m: i64,
    }
    diesel::sql_query(format!(
        "SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) AS m FROM {table}"
    ))
    .get_result::<Max>(conn)
    .expect("max id")
    .m
}
