//! Every statement on a path a buyer, a seller or the worker takes, planned on a database of
//! realistic size and skew (300 k ads, a few sellers holding 30 % of them): none may scan a
//! large table or walk thousands of rows through an index that does not fit the query, on
//! either backend, and on SQLite neither before nor after statistics were gathered (plans must
//! not depend on luck). Issue 22: the own-duplicate lookup at posting walked every active ad
//! on SQLite without statistics (450 ms at 200 k ads, holding the one writer).
//!
//! `SOUK_PLANS_SHOW=1` prints every statement with its plan.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use souk_tests::plans::{self, Expected, Finding};
use souk_tests::{backends, bulk, car_ad, images, Backend, TestApp};

/// Plans that the check would flag by their index's average, read as bounded: each walks its
/// index in order from the oldest deadline, every row it reads is due, and it stops at the
/// batch size (LIMIT). PostgreSQL's plans for the same statements show the LIMIT over the index
/// scan and pass by themselves.
const EXPECTED: &[Expected] = &[
    Expected {
        sql_contains: "ORDER BY `listings`.`expires_at` ASC, `listings`.`id` ASC LIMIT",
        uses: "USING INDEX listings_status_expires (status=? AND expires_at<?)",
        why: "the expiry sweep and the purge of long-expired ads: due ads only, a batch at a time",
    },
    Expected {
        sql_contains: "ORDER BY `listings`.`deleted_at` ASC, `listings`.`id` ASC LIMIT",
        uses: "USING INDEX listings_status_deleted (status=? AND deleted_at<?)",
        why: "the purge of ads deleted past the retention: due ads only, a batch at a time",
    },
    Expected {
        sql_contains: "FROM listings INDEXED BY listings_to_warn",
        uses: "USING INDEX listings_to_warn (expires_at>? AND expires_at<?)",
        why:
            "expiry warnings: the index holds only ads not warned yet, read from the window's start",
    },
];

async fn ok(res: reqwest::Response, what: &str) -> Value {
    let status = res.status();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "{what}: {status} {body}");
    body
}

/// Walks what people and the worker do: accounts, posting (with the own-duplicate check),
/// edits, photos, reads, browse and search, profiles, favourites, contact and replies,
/// ratings, reports, phone reveals, credits and bumps, selling, renewing and deleting, then
/// one pass of the worker (its periodic tasks and the jobs all that queued).
async fn walk_every_path(app: &TestApp) {
    let seller = app.user("plan-seller@example.dz").await;
    let buyer = app.user("plan-buyer@example.dz").await;
    app.register("plan-admin@example.dz", None).await;
    app.verify("plan-admin@example.dz");
    app.make_admin("plan-admin@example.dz");
    let admin = app.login("plan-admin@example.dz").await["access_token"]
        .as_str()
        .expect("token")
        .to_string();
    let seller_login = app.login("plan-seller@example.dz").await;
    ok(
        app.call(
            Method::POST,
            "/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": seller_login["refresh_token"]})),
        )
        .await,
        "refresh",
    )
    .await;
    let seller_id = app.user_id(&seller).await;

    let ad = app
        .create_listing(&seller, car_ad(json!({"show_phone": true})))
        .await;
    let id = ad["id"].as_i64().expect("id");
    let again = app
        .call(
            Method::POST,
            "/v1/listings",
            Some(&seller),
            Some(car_ad(json!({"show_phone": true}))),
        )
        .await;
    assert_eq!(again.status(), StatusCode::CONFLICT, "own duplicate");
    let other = app
        .create_listing(
            &seller,
            car_ad(json!({"title": "Renault Clio 4 2017 essence", "description": "Deuxième main, bon état général, contrôle technique ok."})),
        )
        .await;
    let other_id = other["id"].as_i64().expect("id");
    let path = format!("/v1/listings/{id}");
    ok(
        app.call(
            Method::PATCH,
            &path,
            Some(&seller),
            Some(json!({"price": 2400000})),
        )
        .await,
        "edit",
    )
    .await;
    let photo = app.upload_photo(&seller, id, images::jpeg(640, 480)).await;
    assert!(photo.status().is_success(), "photo {}", photo.status());

    // Not waiting for the index: the plans matter here, not what the pages show.
    ok(app.get(&path).await, "read").await;
    ok(
        app.call(Method::GET, &path, Some(&buyer), None).await,
        "read signed in",
    )
    .await;
    ok(
        app.get("/v1/listings?category=cars&wilaya=16").await,
        "browse",
    )
    .await;
    ok(app.get("/v1/search?q=peugeot").await, "search").await;
    let _ = app.get(&format!("/v1/listings/{id}/similar")).await;
    ok(app.get(&format!("/v1/users/{seller_id}")).await, "profile").await;
    ok(
        app.get(&format!("/v1/users/{seller_id}/ratings")).await,
        "ratings page",
    )
    .await;
    ok(
        app.call(
            Method::PUT,
            &format!("/v1/me/favorites/{id}"),
            Some(&buyer),
            None,
        )
        .await,
        "favourite",
    )
    .await;
    ok(
        app.call(Method::GET, "/v1/me/favorites", Some(&buyer), None)
            .await,
        "favourites",
    )
    .await;
    let _ = app
        .call(Method::POST, &format!("{path}/phone"), Some(&buyer), None)
        .await;

    let thread = ok(
        app.call(
            Method::POST,
            &format!("{path}/contact"),
            Some(&buyer),
            Some(json!({"message": "Salam, toujours disponible ?", "name": "Karim"})),
        )
        .await,
        "contact",
    )
    .await["id"]
        .as_i64()
        .expect("thread id");
    ok(
        app.call(
            Method::POST,
            &format!("/v1/conversations/{thread}/messages"),
            Some(&seller),
            Some(json!({"message": "Oui, passez samedi."})),
        )
        .await,
        "reply",
    )
    .await;
    ok(
        app.call(Method::GET, "/v1/me/conversations", Some(&seller), None)
            .await,
        "threads",
    )
    .await;
    ok(
        app.call(
            Method::GET,
            &format!("/v1/conversations/{thread}"),
            Some(&buyer),
            None,
        )
        .await,
        "thread",
    )
    .await;
    // Read marks, unread counts, push devices and settings, a block and its lifting, a report.
    ok(
        app.call(
            Method::PUT,
            "/v1/me/devices/plan-installation-1",
            Some(&seller),
            Some(
                json!({"platform": "android", "token": "plan-push-token-000001", "language": "fr"}),
            ),
        )
        .await,
        "device",
    )
    .await;
    ok(
        app.call(
            Method::GET,
            "/v1/me/notification-settings",
            Some(&seller),
            None,
        )
        .await,
        "settings",
    )
    .await;
    ok(
        app.call(
            Method::POST,
            &format!("/v1/conversations/{thread}/read"),
            Some(&buyer),
            Some(json!({})),
        )
        .await,
        "read mark",
    )
    .await;
    ok(
        app.call(Method::GET, "/v1/me/unread", Some(&seller), None)
            .await,
        "unread",
    )
    .await;
    for method in [Method::POST, Method::DELETE] {
        ok(
            app.call(
                method,
                &format!("/v1/conversations/{thread}/block"),
                Some(&seller),
                None,
            )
            .await,
            "block",
        )
        .await;
    }
    ok(
        app.call(
            Method::POST,
            &format!("/v1/conversations/{thread}/reports"),
            Some(&buyer),
            Some(json!({"reason": "spam"})),
        )
        .await,
        "thread report",
    )
    .await;
    ok(
        app.call(Method::GET, "/v1/mod/conversations", Some(&admin), None)
            .await,
        "reported threads",
    )
    .await;
    for token in [&buyer, &seller] {
        let _ = app
            .call(
                Method::POST,
                &format!("/v1/conversations/{thread}/rating"),
                Some(token),
                Some(json!({"stars": 4})),
            )
            .await;
    }
    ok(
        app.call(
            Method::POST,
            &format!("{path}/report"),
            Some(&buyer),
            Some(json!({"reason": "scam"})),
        )
        .await,
        "report",
    )
    .await;

    ok(
        app.grant(&admin, seller_id, 500, "plans-grant").await,
        "grant",
    )
    .await;
    ok(
        app.call(
            Method::POST,
            &format!("{path}/bump"),
            Some(&seller),
            Some(json!({"idempotency_key": "plans-bump"})),
        )
        .await,
        "bump",
    )
    .await;
    ok(
        app.call(Method::GET, "/v1/me/credits", Some(&seller), None)
            .await,
        "credits",
    )
    .await;
    ok(
        app.call(Method::GET, "/v1/me/listings", Some(&seller), None)
            .await,
        "my ads",
    )
    .await;
    ok(
        app.call(Method::GET, "/v1/me", Some(&seller), None).await,
        "me",
    )
    .await;
    ok(
        app.call(
            Method::POST,
            &format!("/v1/listings/{other_id}/sold"),
            Some(&seller),
            None,
        )
        .await,
        "sold",
    )
    .await;
    let gone = app
        .call(
            Method::DELETE,
            &format!("/v1/listings/{other_id}"),
            Some(&seller),
            None,
        )
        .await;
    assert!(gone.status().is_success(), "delete {}", gone.status());
    ok(
        app.call(Method::GET, "/v1/mod/reports", Some(&admin), None)
            .await,
        "reports queue",
    )
    .await;
    app.run_worker_once().await;
}

fn report(backend: Backend, phase: &str, findings: &[Finding]) -> String {
    findings
        .iter()
        .map(|f| {
            format!(
                "[{backend:?}, {phase}] {} (about {} rows)\n    {}\n",
                f.step, f.rows, f.sql
            )
        })
        .collect()
}

#[tokio::test]
async fn no_path_scans_a_large_table_or_takes_an_index_that_does_not_fit() {
    plans::start_recording();
    let show = std::env::var("SOUK_PLANS_SHOW").is_ok();
    let mut failures = String::new();
    for backend in backends() {
        eprintln!("--- backend {backend:?}");
        let mut app = TestApp::spawn(backend).await;
        // The index built from the empty database first: it never sees the bulk rows.
        app.wait_for_search_ready().await;
        let filling = std::time::Instant::now();
        {
            let mut conn = app.store();
            bulk::fill(&mut conn, backend, bulk::Volume::default());
        }
        eprintln!("filled in {:.1} s", filling.elapsed().as_secs_f64());
        // The server closed the client's idle keep-alive connections meanwhile.
        app.client = reqwest::Client::new();
        plans::clear_recorded();
        walk_every_path(&app).await;
        // Only this backend's dialect: another app's background work may still be running.
        let statements: Vec<String> = plans::recorded_statements()
            .into_iter()
            .filter(|sql| match backend {
                Backend::Sqlite => !sql.contains("$1"),
                Backend::Postgres => !sql.contains('`') && !sql.contains("?1"),
            })
            .collect();
        assert!(
            statements.len() > 40,
            "only {} statements recorded",
            statements.len()
        );
        eprintln!("{} distinct statements to plan", statements.len());

        // The plans as they were right after a bulk load, before any statistics (SQLite's
        // state that issue 22 hit); then after the refresh the worker and the seed run.
        let mut phases = Vec::new();
        if backend == Backend::Sqlite {
            // The app refreshed statistics as it opened the (then nearly empty) database; these
            // plans are made after they were dropped, as on a database loaded without them.
            app.sql("DELETE FROM sqlite_stat1");
            phases.push(("before statistics", plan_all(&app, backend, &statements)));
            let mut conn = app.store();
            souk_store::writer::refresh_statistics(&mut conn).expect("refresh statistics");
            let analysed: i64 = {
                #[derive(diesel::QueryableByName)]
                struct Count {
                    #[diesel(sql_type = diesel::sql_types::BigInt)]
                    n: i64,
                }
                use diesel::RunQueryDsl;
                diesel::sql_query(
                    "SELECT COUNT(*) AS n FROM sqlite_stat1 WHERE idx = 'listings_status_expires'",
                )
                .get_result::<Count>(&mut conn)
                .expect("stat1")
                .n
            };
            assert_eq!(analysed, 1, "PRAGMA optimize analysed the listings");
        } else {
            souk_store::writer::analyze_after_bulk_load(&mut app.store()).expect("analyze");
        }
        phases.push(("with statistics", plan_all(&app, backend, &statements)));

        let mut conn = app.store();
        let sizes = plans::table_sizes(&mut conn, backend);
        let mut prefixes = plans::PrefixRows::new(&mut conn);
        for (phase, planned) in phases {
            let mut findings = Vec::new();
            for (sql, plan) in planned {
                if show {
                    eprintln!("[{backend:?}, {phase}] {sql}\n{plan}\n");
                }
                findings.extend(match backend {
                    Backend::Sqlite => plans::judge_sqlite(&sql, &plan, &sizes, &mut prefixes),
                    Backend::Postgres => plans::judge_postgres(&sql, &plan, &sizes),
                });
            }
            failures.push_str(&report(
                backend,
                phase,
                &plans::unexpected(findings, EXPECTED),
            ));
        }
        app.running.stop().await;
    }
    assert!(
        failures.is_empty(),
        "plans that walk many rows:\n{failures}"
    );
}

/// Each statement with its plan; a statement the database cannot plan alone fails the test.
fn plan_all(app: &TestApp, backend: Backend, statements: &[String]) -> Vec<(String, String)> {
    let url = souk_store::DbUrl::parse(&app.db.url);
    let mut conn = souk_store::db::establish_as(&url, souk_store::db::Access::ReadOnly)
        .expect("read-only connection");
    statements
        .iter()
        .map(|sql| {
            let plan = plans::explain(&mut conn, backend, sql)
                .unwrap_or_else(|e| panic!("EXPLAIN failed: {e}\n{sql}"));
            (sql.clone(), plan)
        })
        .collect()
}
