//! Decisions on many ads and for a while, on both backends, through the API and the console:
//! the queue filtered and paged by the database (a filter finds an ad past the first thousand
//! reports), a selection decided at once (one email per owner, claimed items left out, a
//! second submission deciding nothing), every ad of a seller hidden and restored, a ban for a
//! period lifted by the worker, the log filtered, an account's orders and ledger for admins.

use reqwest::Method;
use serde_json::{json, Value};
use souk_tests::console::{hidden_field, make_moderator, Console};
use souk_tests::{car_ad, TestApp};

async fn ok(res: reqwest::Response, what: &str) -> Value {
    let status = res.status();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "{what}: {status} {body}");
    body
}

async fn ad(app: &TestApp, token: &str, title: &str, wilaya: i64) -> i64 {
    // The wilaya's first commune: its code followed by 01.
    let commune = wilaya * 100 + 1;
    app.create_listing(
        token,
        car_ad(json!({"title": title, "wilaya": wilaya, "commune": commune})),
    )
    .await["id"]
        .as_i64()
        .expect("ad id")
}

async fn report(app: &TestApp, reporter: &str, ad: i64) {
    ok(
        app.call(
            Method::POST,
            &format!("/v1/listings/{ad}/report"),
            Some(reporter),
            Some(json!({"reason": "scam"})),
        )
        .await,
        "report",
    )
    .await;
}

#[tokio::test]
async fn the_queue_is_filtered_and_paged_by_the_database_past_the_first_thousand_reports() {
    souk_tests::each_backend(|app| async move { long_queue(&app).await }).await;
}

async fn long_queue(app: &TestApp) {
    let admin = app.user("admin@example.dz").await;
    app.make_admin("admin@example.dz");
    let seller = app.user("seller@example.dz").await;
    let old = ad(app, &seller, "Clio signalée souvent", 16).await;
    let new = ad(app, &seller, "Golf signalée une fois", 31).await;
    // 1,001 reports on the first ad, all older than the one report on the second: a queue
    // read as "the oldest thousand reports, then filtered" never sees the second.
    app.sql(&format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1001) \
         INSERT INTO users (email, password_hash, display_name, created_at, updated_at) \
         SELECT 'r' || i || '@bulk.dz', 'x', 'r', {t}, {t} FROM n",
        t = app.sql_minutes_ago(900)
    ));
    app.sql(&format!(
        "INSERT INTO reports (listing_id, reporter_id, reason, created_at) \
         SELECT {old}, id, 'scam', {t} FROM users WHERE email LIKE '%@bulk.dz'",
        t = app.sql_minutes_ago(600)
    ));
    app.sql(&format!(
        "INSERT INTO reports (listing_id, reporter_id, reason, created_at) \
         SELECT {new}, id, 'prohibited', {t} FROM users WHERE email = 'r7@bulk.dz'",
        t = app.sql_minutes_ago(5)
    ));

    let queue = |q: &'static str| {
        let admin = admin.clone();
        async move {
            let res = app
                .call(
                    Method::GET,
                    &format!("/v1/mod/reports{q}"),
                    Some(&admin),
                    None,
                )
                .await;
            let total: i64 = res.headers()["x-total-count"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            let ids: Vec<i64> = ok(res, q)
                .await
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["listing_id"].as_i64().unwrap())
                .collect();
            (ids, total)
        }
    };
    assert_eq!(queue("").await, (vec![old, new], 2), "oldest first");
    assert_eq!(queue("?wilaya=31").await, (vec![new], 1));
    assert_eq!(queue("?reason=prohibited").await, (vec![new], 1));
    assert_eq!(queue("?kind=flags").await, (vec![], 0));
    assert_eq!(queue("?offset=1&limit=1").await, (vec![new], 2));
    assert_eq!(queue("?offset=5").await, (vec![], 2), "past the end");
    let item = &ok(
        app.call(Method::GET, "/v1/mod/reports?wilaya=16", Some(&admin), None)
            .await,
        "queue",
    )
    .await[0];
    assert_eq!(item["reports"].as_array().unwrap().len(), 1001);
    for bad in [
        "?wilaya=99",
        "?kind=other",
        "?limit=0",
        "?offset=-1",
        "?reason=x",
    ] {
        let res = app
            .call(
                Method::GET,
                &format!("/v1/mod/reports{bad}"),
                Some(&admin),
                None,
            )
            .await;
        assert_eq!(res.status(), 422, "{bad}");
    }

    // The console's filter finds it too.
    let console = Console::sign_in(app, "admin@example.dz").await;
    let (_, page) = console.get("/mod/?wilaya=31").await;
    assert!(page.contains(&format!("/mod/listings/{new}")), "filtered");
    assert!(!page.contains(&format!("/mod/listings/{old}\"")));
}

#[tokio::test]
async fn a_selection_is_decided_at_once_and_a_seller_hidden_and_restored_whole() {
    souk_tests::each_backend(|app| async move { selections(&app).await }).await;
}

async fn selections(app: &TestApp) {
    app.user("mod@example.dz").await;
    make_moderator(app, "mod@example.dz");
    app.user("mod2@example.dz").await;
    make_moderator(app, "mod2@example.dz");
    let reporter = app.user("reporter@example.dz").await;
    let one = app.user("one@example.dz").await;
    let two = app.user("two@example.dz").await;
    let a1 = ad(app, &one, "Clio une", 16).await;
    let a2 = ad(app, &one, "Clio deux", 16).await;
    let b1 = ad(app, &two, "Clio trois", 16).await;
    let b2 = ad(app, &two, "Clio quatre", 16).await;
    for id in [a1, a2, b1, b2] {
        report(app, &reporter, id).await;
    }

    // The second moderator holds b2: the selection decides the other three and leaves it.
    let second = Console::sign_in(app, "mod2@example.dz").await;
    assert_eq!(second.get(&format!("/mod/listings/{b2}")).await.0, 200);
    let first = Console::sign_in(app, "mod@example.dz").await;
    let (_, queue) = first.get("/mod/").await;
    assert!(queue.contains("name=\"ids\""), "rows can be marked");
    let csrf = hidden_field(&queue, "csrf");
    let (s1, s2, s3, s4) = (
        a1.to_string(),
        a2.to_string(),
        b1.to_string(),
        b2.to_string(),
    );
    let selection = [
        ("csrf", csrf.as_str()),
        ("decision", "hide"),
        ("template", "scam"),
        ("ids", &s1),
        ("ids", &s2),
        ("ids", &s3),
        ("ids", &s4),
    ];
    let res = first.post("/mod/selection", &selection).await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        res.headers()["location"],
        "/mod/?done=3&skipped=1",
        "three decided, the held one left out"
    );
    // Submitted again: decided already, nothing happens twice.
    let res = first.post("/mod/selection", &selection).await;
    assert_eq!(res.headers()["location"], "/mod/?done=0&skipped=4");
    let mail = app.wait_for_email("one@example.dz", "Clio deux").await;
    assert!(mail.text.contains("Clio une"), "one email for both ads");
    let mail = app
        .wait_for_email("two@example.dz", "masqué votre annonce")
        .await;
    assert!(mail.subject.contains("Clio trois"));
    // Every queued email out before counting: a second one would be there.
    app.run_worker_once().await;
    let to_one = app
        .outbox()
        .into_iter()
        .filter(|m| m.to.contains("one@example.dz") && m.subject.contains("masqu"))
        .count();
    assert_eq!(to_one, 1, "one email per owner, not one per ad");
    app.settle().await;
    let found = app.search_ids("q=clio").await;
    assert_eq!(found, vec![b2], "the three hidden leave search");
    // Without the session's CSRF token: refused, nothing decided.
    let res = first
        .post("/mod/selection", &[("decision", "restore"), ("ids", &s1)])
        .await;
    assert_eq!(res.status(), 403);

    // Every ad of a seller, through the API: restore then hide all of one's.
    let moderator = app.login("mod@example.dz").await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let one_id = app.user_id(&one).await;
    let a3 = ad(app, &one, "Clio cinq", 16).await;
    let restored = ok(
        app.call(
            Method::POST,
            &format!("/v1/mod/users/{one_id}/listings/restore"),
            Some(&moderator),
            Some(json!({"reason": "erreur de modération"})),
        )
        .await,
        "restore all",
    )
    .await;
    assert_eq!(restored.as_array().unwrap().len(), 2, "the two hidden");
    let hidden = ok(
        app.call(
            Method::POST,
            &format!("/v1/mod/users/{one_id}/listings/hide"),
            Some(&moderator),
            Some(json!({"reason": "vendeur frauduleux"})),
        )
        .await,
        "hide all",
    )
    .await;
    let mut ids: Vec<i64> = hidden
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["target_id"].as_i64().unwrap())
        .collect();
    ids.sort();
    assert_eq!(ids, vec![a1, a2, a3]);
    app.wait_for_email("one@example.dz", "vendeur frauduleux")
        .await;
    let res = app
        .call(
            Method::POST,
            &format!("/v1/mod/users/{one_id}/listings/dismiss"),
            Some(&moderator),
            Some(json!({"reason": "rien à voir"})),
        )
        .await;
    assert_eq!(res.status(), 422, "a dismissal is for one ad");
    let res = app
        .call(
            Method::POST,
            "/v1/mod/listings/decisions",
            Some(&moderator),
            Some(json!({"ids": [b2, 999_999], "action": "hide", "reason": "arnaque"})),
        )
        .await;
    assert_eq!(res.status(), 404, "all or none");
    app.settle().await;
    assert_eq!(app.search_ids("q=clio").await, vec![b2], "b2 untouched");

    // A regular user is refused both.
    let res = app
        .call(
            Method::POST,
            "/v1/mod/listings/decisions",
            Some(&reporter),
            Some(json!({"ids": [b2], "action": "hide", "reason": "arnaque"})),
        )
        .await;
    assert_eq!(res.status(), 403);

    // Nobody decides a moderator's ads wholesale but an admin, and nobody their own.
    let mod2_id = app
        .user_id(
            app.login("mod2@example.dz").await["access_token"]
                .as_str()
                .unwrap(),
        )
        .await;
    let my_id = app.user_id(&moderator).await;
    for target in [mod2_id, my_id] {
        let res = app
            .call(
                Method::POST,
                &format!("/v1/mod/users/{target}/listings/hide"),
                Some(&moderator),
                Some(json!({"reason": "vendeur frauduleux"})),
            )
            .await;
        assert_eq!(res.status(), 403, "user {target}");
    }

    // From an ad's page, every ad of its seller: the ones another moderator has open stay
    // theirs (b2), the one hidden already is not hidden again.
    let b3 = ad(app, &two, "Clio six", 16).await;
    let (_, page) = first.get(&format!("/mod/listings/{b1}")).await;
    assert!(page.contains("name=\"all_of_seller\""));
    let res = first
        .post(
            &format!("/mod/listings/{b1}/decide"),
            &[
                ("csrf", &csrf),
                ("decision", "hide"),
                ("template", "scam"),
                ("all_of_seller", "1"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    app.settle().await;
    let found = app.search_ids("q=clio").await;
    assert!(!found.contains(&b3), "b3 hidden");
    assert_eq!(found, vec![b2], "b2 left to its moderator");
    // The worker sends it: wait for it, then count.
    let about_b3 = || {
        app.outbox()
            .into_iter()
            .filter(|m| m.to.contains("two@example.dz") && m.subject.contains("Clio six"))
            .count()
    };
    for _ in 0..100 {
        if about_b3() > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    app.run_worker_once().await;
    assert_eq!(about_b3(), 1, "told once, about b3 alone");

    // The log, filtered by action and by target, in the API and the console.
    let log = ok(
        app.call(
            Method::GET,
            &format!("/v1/mod/log?action=restore&target_kind=listing&target_id={a1}"),
            Some(&moderator),
            None,
        )
        .await,
        "log",
    )
    .await;
    let entries = log.as_array().unwrap();
    assert_eq!(entries.len(), 1, "{log}");
    assert_eq!(entries[0]["reason"], "erreur de modération");
    let (_, page) = first.get("/mod/log?action=hide").await;
    assert_eq!(page.matches("<td>hide</td>").count(), 7, "3 + 3 + 1 hidden");
    assert!(!page.contains("<td>restore</td>"));
    let res = app
        .call(
            Method::GET,
            &format!("/v1/mod/log?target_id={a1}"),
            Some(&moderator),
            None,
        )
        .await;
    assert_eq!(res.status(), 422, "an id is read with its kind");

    // The API's selection sent twice hides and tells once.
    let body = json!({"ids": [b2], "action": "hide", "reason": "arnaque au mandat"});
    let first_time = ok(
        app.call(
            Method::POST,
            "/v1/mod/listings/decisions",
            Some(&moderator),
            Some(body.clone()),
        )
        .await,
        "selection",
    )
    .await;
    assert_eq!(first_time.as_array().unwrap().len(), 1);
    let again = ok(
        app.call(
            Method::POST,
            "/v1/mod/listings/decisions",
            Some(&moderator),
            Some(body),
        )
        .await,
        "selection again",
    )
    .await;
    assert_eq!(again, json!([]), "nothing decided twice");
    app.wait_for_email("two@example.dz", "arnaque au mandat")
        .await;
    app.run_worker_once().await;
    let told = app
        .outbox()
        .into_iter()
        .filter(|m| m.to.contains("two@example.dz") && m.text.contains("arnaque au mandat"))
        .count();
    assert_eq!(told, 1);
}

#[tokio::test]
async fn a_ban_for_a_period_ends_by_itself_and_brings_the_ads_back() {
    souk_tests::each_backend(|app| async move { ban_for_a_while(&app).await }).await;
}

async fn ban_for_a_while(app: &TestApp) {
    app.user("admin@example.dz").await;
    app.make_admin("admin@example.dz");
    let admin = app.login("admin@example.dz").await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let seller = app.user("seller@example.dz").await;
    let seller_id = app.user_id(&seller).await;
    let id = ad(app, &seller, "Clio bannie un temps", 16).await;
    for (body, status) in [
        (json!({"reason": "spam répété", "days": 0}), 422),
        (json!({"reason": "spam répété", "days": 4000}), 422),
    ] {
        let res = app
            .call(
                Method::POST,
                &format!("/v1/mod/users/{seller_id}/ban"),
                Some(&admin),
                Some(body),
            )
            .await;
        assert_eq!(res.status(), status);
    }
    let res = app
        .call(
            Method::POST,
            &format!("/v1/mod/listings/{id}/hide"),
            Some(&admin),
            Some(json!({"reason": "spam répété", "days": 3})),
        )
        .await;
    assert_eq!(res.status(), 422, "a period is for a ban");
    ok(
        app.call(
            Method::POST,
            &format!("/v1/mod/users/{seller_id}/ban"),
            Some(&admin),
            Some(json!({"reason": "spam répété", "days": 3})),
        )
        .await,
        "ban for 3 days",
    )
    .await;
    let res = app.try_login("seller@example.dz").await;
    assert_eq!(res.status(), 403);
    let until = (chrono::Utc::now() + chrono::Duration::days(3))
        .format("until %Y-%m-%d")
        .to_string();
    assert!(
        res.text().await.unwrap().contains(&until),
        "told until when"
    );
    app.run_worker_once().await;
    let res = app.try_login("seller@example.dz").await;
    assert_eq!(res.status(), 403, "not lifted before its end");

    // Three days later (moved into the past): the worker lifts it.
    app.sql(&format!(
        "UPDATE users SET banned_until = {} WHERE id = {seller_id}",
        app.sql_minutes_ago(1)
    ));
    app.run_worker_once().await;
    let res = app.try_login("seller@example.dz").await;
    assert_eq!(res.status(), 200, "signs in again");
    app.settle().await;
    assert_eq!(app.search_ids("q=clio").await, vec![id], "the ad is back");
    let log = ok(
        app.call(
            Method::GET,
            &format!("/v1/mod/log?target_kind=user&target_id={seller_id}"),
            Some(&admin),
            None,
        )
        .await,
        "log",
    )
    .await;
    assert_eq!(log[0]["action"], "unban");
    assert_eq!(log[0]["moderator_id"], Value::Null, "lifted by the system");
    assert_eq!(log[1]["reason"], "spam répété (3 d)");

    // A ban for good is not lifted.
    ok(
        app.call(
            Method::POST,
            &format!("/v1/mod/users/{seller_id}/ban"),
            Some(&admin),
            Some(json!({"reason": "spam répété encore"})),
        )
        .await,
        "ban for good",
    )
    .await;
    app.run_worker_once().await;
    let res = app.try_login("seller@example.dz").await;
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn an_admin_reads_an_accounts_orders_and_ledger_in_the_console() {
    let app = TestApp::spawn(souk_tests::Backend::Sqlite).await;
    let admin = app.user("admin@example.dz").await;
    app.make_admin("admin@example.dz");
    let seller = app.user("seller@example.dz").await;
    let seller_id = app.user_id(&seller).await;
    assert_eq!(
        app.grant(&admin, seller_id, 700, "ledger-key-1")
            .await
            .status(),
        201
    );
    let console = Console::sign_in(&app, "admin@example.dz").await;
    let (status, page) = console.get("/mod/admin?email=seller%40example.dz").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("<strong class=\"balance\">700</strong>"),
        "{page}"
    );
    assert!(
        page.contains("class=\"movement\""),
        "the grant is in the ledger"
    );
    assert!(
        page.contains("class=\"orders\""),
        "the orders table is there"
    );
}
