//! Credits and bumps over real HTTP on both backends: admin grants, the ledger never below
//! zero under concurrent spending, idempotent retries, a bump's place in "newest".

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};
use souk_tests::{assert_problem, car_ad, each_backend, TestApp};

const SOON: Duration = Duration::from_secs(3);

async fn bump(app: &TestApp, token: &str, id: i64, key: &str) -> reqwest::Response {
    app.call(
        Method::POST,
        &format!("/v1/listings/{id}/bump"),
        Some(token),
        Some(json!({"idempotency_key": key})),
    )
    .await
}

#[tokio::test]
async fn credits_are_granted_by_admins_once_per_key_and_never_go_below_zero() {
    each_backend(|app| async move {
        app.wait_for_search_ready().await;
        let boss = app.user("boss@example.dz").await;
        app.make_admin("boss@example.dz");
        let seller = app.user("seller@example.dz").await;
        let seller_id = app.user_id(&seller).await;
        let price = souk_domain::visibility::products().bump.price;

        // Only admins grant; a grant retried with its key gives once.
        assert_problem(
            app.grant(&seller, seller_id, 1000, "self-grant-1").await,
            403,
            "forbidden",
        )
        .await;
        let res = app.grant(&boss, seller_id, price, "grant-0001").await;
        assert_eq!(res.status(), 201);
        let res = app.grant(&boss, seller_id, price, "grant-0001").await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.json::<Value>().await.unwrap()["replayed"], true);
        assert_eq!(app.balance(&seller).await, price);
        assert_problem(
            app.grant(&boss, seller_id, 0, "grant-0002").await,
            422,
            "validation",
        )
        .await;
        assert_problem(
            app.grant(&boss, 999_999, 10, "grant-0003").await,
            404,
            "not_found",
        )
        .await;

        // Credit for one bump, two ads bumped at once from parallel requests: exactly one
        // succeeds, the other is told to buy credits, the balance is zero, not below.
        let a = app
            .create_listing(&seller, car_ad(json!({"title": "Peugeot 208 a bumper"})))
            .await["id"]
            .as_i64()
            .unwrap();
        let b = app
            .create_listing(&seller, car_ad(json!({"title": "Renault Clio b bumper"})))
            .await["id"]
            .as_i64()
            .unwrap();
        let (ra, rb) = tokio::join!(
            bump(&app, &seller, a, "bump-a-0001"),
            bump(&app, &seller, b, "bump-b-0001")
        );
        let mut statuses = [ra.status().as_u16(), rb.status().as_u16()];
        statuses.sort();
        assert_eq!(statuses, [200, 402], "one bump for one bump's credit");
        assert_eq!(app.balance(&seller).await, 0);
        let (won, lost) = if ra.status() == 200 { (a, b) } else { (b, a) };
        // A retry of the successful request charges nothing more; the failed one stays 402.
        let res = bump(
            &app,
            &seller,
            won,
            if won == a {
                "bump-a-0001"
            } else {
                "bump-b-0001"
            },
        )
        .await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.json::<Value>().await.unwrap()["charged"], 0);
        let res = bump(
            &app,
            &seller,
            lost,
            if lost == a {
                "bump-a-0001"
            } else {
                "bump-b-0001"
            },
        )
        .await;
        assert_problem(res, 402, "insufficient_credits").await;
        // A key is one request: the won bump's key on the other ad, or a bump's key for a
        // grant, is refused rather than answered with the old movement.
        let won_key = if won == a {
            "bump-a-0001"
        } else {
            "bump-b-0001"
        };
        assert_problem(bump(&app, &seller, lost, won_key).await, 422, "validation").await;
        assert_problem(
            app.grant(&boss, seller_id, price, won_key).await,
            422,
            "validation",
        )
        .await;
        assert_problem(
            app.grant(&boss, seller_id, price + 1, "grant-0001").await,
            422,
            "validation",
        )
        .await;
        let v: Value = app
            .call(Method::GET, "/v1/me/credits", Some(&seller), None)
            .await
            .json()
            .await
            .unwrap();
        let amounts: Vec<i64> = v["movements"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["amount"].as_i64().unwrap())
            .collect();
        assert_eq!(amounts, vec![-price, price]);
    })
    .await;
}

#[tokio::test]
async fn a_bump_puts_the_ad_first_in_newest_once_a_day() {
    each_backend(|app| async move {
        app.wait_for_search_ready().await;
        let boss = app.user("boss2@example.dz").await;
        app.make_admin("boss2@example.dz");
        let seller = app.user("bumper@example.dz").await;
        let other = app.user("other-seller@example.dz").await;
        let seller_id = app.user_id(&seller).await;
        assert_eq!(
            app.grant(&boss, seller_id, 10_000, "grant-bump-1")
                .await
                .status(),
            201
        );
        let old = app
            .create_listing(
                &seller,
                car_ad(json!({"title": "Dacia Logan ancienne annonce"})),
            )
            .await["id"]
            .as_i64()
            .unwrap();
        let newer = app
            .create_listing(
                &other,
                car_ad(json!({"title": "Dacia Sandero plus recente"})),
            )
            .await["id"]
            .as_i64()
            .unwrap();
        let first = |v: &Value| v["items"][0]["id"].as_i64();
        app.search_until("category=cars&sort=newest&limit=1", SOON, |v| {
            first(v) == Some(newer)
        })
        .await;

        let res = bump(&app, &seller, old, "bump-old-01").await;
        assert_eq!(res.status(), 200);
        app.search_until("category=cars&sort=newest&limit=1", SOON, |v| {
            first(v) == Some(old)
        })
        .await;

        // Once a day; not someone else's ad; not without a key.
        assert_problem(
            bump(&app, &seller, old, "bump-old-02").await,
            409,
            "bumped_recently",
        )
        .await;
        assert_problem(
            bump(&app, &other, old, "bump-old-03").await,
            403,
            "forbidden",
        )
        .await;
        let res = app
            .call(
                Method::POST,
                &format!("/v1/listings/{old}/bump"),
                Some(&seller),
                Some(json!({})),
            )
            .await;
        assert!(res.status().is_client_error());
        assert_problem(bump(&app, &seller, old, "short").await, 422, "validation").await;
        let price = souk_domain::visibility::products().bump.price;
        assert_eq!(app.balance(&seller).await, 10_000 - price);

        // Deleted and purged after its retention: the ledger keeps the bump it paid for.
        let path = format!("/v1/listings/{old}");
        assert_eq!(
            app.call(Method::DELETE, &path, Some(&seller), None)
                .await
                .status(),
            204
        );
        app.backdate_deletion(old);
        app.run_worker_once().await;
        assert_eq!(app.get(&path).await.status(), 404);
        let gone = {
            use diesel::prelude::*;
            use souk_store::schema::listings;
            listings::table
                .find(old)
                .count()
                .get_result::<i64>(&mut app.store())
                .unwrap()
        };
        assert_eq!(gone, 0, "purged");
        let v: Value = app
            .call(Method::GET, "/v1/me/credits", Some(&seller), None)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(v["movements"][0]["listing_id"], old);
        assert_eq!(v["balance"], 10_000 - price);
    })
    .await;
}
