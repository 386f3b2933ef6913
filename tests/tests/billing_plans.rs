//! Store plans and scheduled bumps over real HTTP on both backends: quotas at posting (402
//! without a plan past the free ads, 409 once the period's ads are used), included bumps,
//! renewal and lapse by the worker, scheduled bumps paid run by run.

use reqwest::Method;
use serde_json::{json, Value};
use souk_tests::{assert_problem, car_ad, each_backend, TestApp};

async fn subscribe(app: &TestApp, token: &str, plan: &str, key: &str) -> reqwest::Response {
    app.call(
        Method::POST,
        "/v1/me/plan",
        Some(token),
        Some(json!({"plan": plan, "idempotency_key": key})),
    )
    .await
}

async fn post_ad(app: &TestApp, token: &str, title: &str) -> reqwest::Response {
    app.call(
        Method::POST,
        "/v1/listings",
        Some(token),
        Some(car_ad(json!({"title": title}))),
    )
    .await
}

async fn open_store(app: &TestApp, token: &str, name: &str) {
    let res = app
        .call(
            Method::POST,
            "/v1/stores",
            Some(token),
            Some(json!({"name": name, "speciality": "vehicles", "wilaya": 31,
                        "description": "Voitures revisees et garanties."})),
        )
        .await;
    assert_eq!(res.status(), 201);
}

async fn funded(app: &TestApp, email: &str, amount: i64) -> (String, i64) {
    let boss = format!("boss-{email}");
    let admin = app.user(&boss).await;
    app.make_admin(&boss);
    let token = app.user(email).await;
    let id = app.user_id(&token).await;
    assert_eq!(
        app.grant(&admin, id, amount, &format!("grant-{id}-a"))
            .await
            .status(),
        201
    );
    (token, id)
}

async fn plan(app: &TestApp, token: &str) -> Value {
    let res = app
        .call(Method::GET, "/v1/me/plan", Some(token), None)
        .await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

#[tokio::test]
async fn a_store_plan_is_paid_once_its_quotas_hold_and_the_worker_renews_or_lapses_it() {
    each_backend(|app| async move {
        app.wait_for_search_ready().await;
        let products = souk_domain::visibility::products();
        let starter = products.plan("starter").unwrap();
        let (token, uid) = funded(&app, "store@example.dz", starter.price + 500).await;

        // Plans are for stores; unknown plans are 422.
        assert_problem(subscribe(&app, &token, "starter", "plan-key-1").await, 409, "store_required").await;
        open_store(&app, &token, "Auto Souk Oran").await;
        assert_problem(subscribe(&app, &token, "gold", "plan-key-2").await, 422, "validation").await;
        // Keys the server makes for renewals cannot be sent by a client.
        assert_problem(subscribe(&app, &token, "starter", "plan/1/2").await, 422, "validation").await;

        // Paid once per key; a running period cannot be bought again.
        let res = subscribe(&app, &token, "starter", "plan-key-3").await;
        assert_eq!(res.status(), 201);
        assert_eq!(subscribe(&app, &token, "starter", "plan-key-3").await.status(), 200);
        assert_eq!(app.balance(&token).await, 500);
        assert_problem(subscribe(&app, &token, "starter", "plan-key-4").await, 409, "plan_active").await;
        let p = plan(&app, &token).await;
        assert_eq!((p["plan"].as_str(), p["ads_used"].as_i64()), (Some("starter"), Some(0)));

        // The period's ads: one left, then 409.
        app.sql(&format!(
            "UPDATE plan_subscriptions SET ads_included = 1, bumps_included = 1 WHERE user_id = {uid}"
        ));
        let first = post_ad(&app, &token, "Toyota Yaris 2021 hybride").await;
        assert_eq!(first.status(), 201);
        let first: Value = first.json().await.unwrap();
        assert_problem(post_ad(&app, &token, "Toyota Corolla 2018").await, 409, "plan_quota_exhausted").await;
        assert_eq!(plan(&app, &token).await["ads_used"], 1);

        // The included bump is free; the next one costs credits.
        let id = first["id"].as_i64().unwrap();
        let res = app
            .call(Method::POST, &format!("/v1/listings/{id}/bump"), Some(&token),
                  Some(json!({"idempotency_key": "bump-incl-1"})))
            .await;
        let bumped: Value = res.json().await.unwrap();
        assert_eq!((bumped["charged"].as_i64(), bumped["from_plan"].as_i64()), (Some(0), Some(1)));
        assert_eq!(app.balance(&token).await, 500);

        // At the period's end the worker renews it when the credits cover it, with fresh
        // quotas from the price list...
        let (rich, rich_id) = funded(&app, "rich@example.dz", 3 * starter.price).await;
        open_store(&app, &rich, "Riche Auto Alger").await;
        assert_eq!(subscribe(&app, &rich, "starter", "plan-key-5").await.status(), 201);
        app.sql(&format!(
            "UPDATE plan_subscriptions SET period_end = {}, ads_used = 1 WHERE user_id = {rich_id}",
            app.sql_minutes_ago(1)
        ));
        // ... and lets it lapse when they do not.
        app.sql(&format!(
            "UPDATE plan_subscriptions SET period_end = {} WHERE user_id = {uid}",
            app.sql_minutes_ago(1)
        ));
        app.run_worker_once().await;
        let renewed = plan(&app, &rich).await;
        assert_eq!((renewed["status"].as_str(), renewed["ads_used"].as_i64()), (Some("active"), Some(0)));
        assert_eq!(renewed["ads_included"], starter.ads);
        assert_eq!(app.balance(&rich).await, starter.price);
        app.run_worker_once().await;
        assert_eq!(app.balance(&rich).await, starter.price, "renewed once");
        assert_eq!(plan(&app, &token).await["status"], "lapsed");
        assert_eq!(app.balance(&token).await, 500, "nothing taken from a lapsed plan");

        // Without a plan a store keeps its free ads, then 402.
        let free = products.store_free_active_ads;
        for i in 1..free {
            let res = post_ad(&app, &token, &format!("Annonce gratuite numero {i} voiture")).await;
            assert_eq!(res.status(), 201, "free ad {i}");
        }
        assert_problem(post_ad(&app, &token, "Une de trop pour le magasin").await, 402, "plan_required").await;
        // Private sellers are not limited by plans.
        let private = app.user("private@example.dz").await;
        assert_eq!(post_ad(&app, &private, "Vends ma voiture personnelle").await.status(), 201);
    })
    .await;
}

#[tokio::test]
async fn scheduled_bumps_are_made_and_paid_run_by_run_and_stop_without_credit() {
    each_backend(|app| async move {
        app.wait_for_search_ready().await;
        let price = souk_domain::visibility::products().bump.price;
        let (token, _) = funded(&app, "scheduler@example.dz", price).await;
        let ad: Value = post_ad(&app, &token, "Seat Ibiza 2017 a saisir")
            .await
            .json()
            .await
            .unwrap();
        let id = ad["id"].as_i64().unwrap();
        let path = format!("/v1/listings/{id}/bump-schedule");

        assert_problem(
            app.call(
                Method::POST,
                &path,
                Some(&token),
                Some(json!({"every_days": 0, "weeks": 2})),
            )
            .await,
            422,
            "validation",
        )
        .await;
        let res = app
            .call(
                Method::POST,
                &path,
                Some(&token),
                Some(json!({"every_days": 3, "weeks": 2})),
            )
            .await;
        assert_eq!(res.status(), 201);
        assert_problem(
            app.call(
                Method::POST,
                &path,
                Some(&token),
                Some(json!({"every_days": 3, "weeks": 2})),
            )
            .await,
            409,
            "schedule_exists",
        )
        .await;

        // The first run bumps and pays.
        app.run_worker_once().await;
        let s: Value = app
            .call(Method::GET, &path, Some(&token), None)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            (s["runs"].as_i64(), s["status"].as_str()),
            (Some(1), Some("active")),
            "{s}"
        );
        assert_eq!(app.balance(&token).await, 0);
        let movements: Value = app
            .call(Method::GET, "/v1/me/credits", Some(&token), None)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(movements["movements"][0]["reason"], "bump");
        // Running again before the next is due does nothing.
        app.run_worker_once().await;
        let s: Value = app
            .call(Method::GET, &path, Some(&token), None)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(s["runs"], 1);

        // The next run is due but there is no credit left: the schedule stops, nothing spent.
        app.sql(&format!(
            "UPDATE bump_schedules SET next_at = {} WHERE listing_id = {id}",
            app.sql_minutes_ago(1)
        ));
        app.sql(&format!(
            "UPDATE listings SET bumped_at = {} WHERE id = {id}",
            app.sql_minutes_ago(3 * 24 * 60)
        ));
        app.run_worker_once().await;
        let s: Value = app
            .call(Method::GET, &path, Some(&token), None)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            (s["status"].as_str(), s["stop_reason"].as_str()),
            (Some("stopped"), Some("insufficient_credits")),
            "{s}"
        );
        assert_eq!(app.balance(&token).await, 0);

        // A new schedule can be stopped by the seller; others cannot touch it.
        let res = app
            .call(
                Method::POST,
                &path,
                Some(&token),
                Some(json!({"every_days": 7, "weeks": 4})),
            )
            .await;
        assert_eq!(res.status(), 201);
        let stranger = app.user("stranger-s@example.dz").await;
        assert_problem(
            app.call(Method::DELETE, &path, Some(&stranger), None).await,
            403,
            "forbidden",
        )
        .await;
        assert_eq!(
            app.call(Method::DELETE, &path, Some(&token), None)
                .await
                .status(),
            204
        );
        let s: Value = app
            .call(Method::GET, &path, Some(&token), None)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(s["stop_reason"], "by_seller");
    })
    .await;
}

/// Issue 24: renewal by the emailed link skipped the store plan's posting quota that
/// `POST /v1/listings/{id}/renew` applies, so a store over its quota let ads expire and
/// brought them back by the link. Both now call one function (`usecases::renewal`).
#[tokio::test]
async fn renewing_by_the_emailed_link_takes_the_plans_quota_like_the_route() {
    each_backend(|app| async move {
        let products = souk_domain::visibility::products();
        let starter = products.plan("starter").unwrap();
        let (token, uid) = funded(&app, "linkstore@example.dz", starter.price).await;
        open_store(&app, &token, "Auto Link Blida").await;
        assert_eq!(
            subscribe(&app, &token, "starter", "plan-link-1")
                .await
                .status(),
            201
        );
        app.sql(&format!(
            "UPDATE plan_subscriptions SET ads_included = 1 WHERE user_id = {uid}"
        ));
        let ad: Value = post_ad(&app, &token, "Hyundai Accent 2015 essence")
            .await
            .json()
            .await
            .unwrap();
        let id = ad["id"].as_i64().unwrap();

        // It expires; its notice carries a renewal link. The period's one ad is used. (The
        // expiry sweep skips a row another transaction holds, such as the ad's trust check
        // running in the embedded worker: the sweep runs until it has taken it.)
        app.set_expiry(id, -chrono::Duration::minutes(1));
        for _ in 0..50 {
            app.run_worker_once().await;
            if app
                .outbox()
                .iter()
                .any(|m| m.text.contains("/v1/renewals/"))
            {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let notice = app
            .wait_for_email("linkstore@example.dz", "/v1/renewals/")
            .await;
        let link =
            souk_tests::email::token_after(&notice.text, "/v1/renewals/").expect("renewal link");
        let by_route = app
            .call(
                Method::POST,
                &format!("/v1/listings/{id}/renew"),
                Some(&token),
                None,
            )
            .await;
        assert_problem(by_route, 409, "plan_quota_exhausted").await;
        let by_link = app
            .call(Method::POST, &format!("/v1/renewals/{link}"), None, None)
            .await;
        assert_problem(by_link, 409, "plan_quota_exhausted").await;

        // The positive control: with an ad left in the period, the link renews.
        app.sql(&format!(
            "UPDATE plan_subscriptions SET ads_included = 2 WHERE user_id = {uid}"
        ));
        let res = app
            .call(Method::POST, &format!("/v1/renewals/{link}"), None, None)
            .await;
        assert_eq!(res.status(), 200);
    })
    .await;
}
