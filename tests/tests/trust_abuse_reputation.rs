//! Issue 23, item 10: reputation laundering. Deleting an account and registering the same
//! mailbox again gave a clean profile, and the loop reset the per-address mail limits. Now the
//! ratings an account received (and its ban) are kept, unseen, under a hash of its canonical
//! mailbox for `MAILBOX_MEMORY_DAYS`; an account of the same mailbox inherits them, and the
//! confirmation emails are counted by mailbox.

use reqwest::Method;
use serde_json::{json, Value};
use souk_tests::{assert_problem, car_ad, each_backend, TestApp, PASSWORD};

async fn json_of(res: reqwest::Response) -> Value {
    res.json().await.expect("json")
}

async fn me_id(app: &TestApp, token: &str) -> i64 {
    json_of(app.call(Method::GET, "/v1/me", Some(token), None).await).await["id"]
        .as_i64()
        .unwrap()
}

async fn delete_account(app: &TestApp, token: &str) {
    let res = app
        .call(
            Method::DELETE,
            "/v1/me",
            Some(token),
            Some(json!({"password": PASSWORD})),
        )
        .await;
    assert!(res.status().is_success(), "delete: {}", res.status());
}

/// `seller` gets a visible one-star rating from a buyer after a real exchange.
async fn rated_once(app: &TestApp, seller: &str) {
    let buyer = app.user("buyer@example.dz").await;
    let ad = app.create_listing(seller, car_ad(json!({}))).await;
    let thread = json_of(
        app.call(
            Method::POST,
            &format!("/v1/listings/{}/contact", ad["id"]),
            Some(&buyer),
            Some(json!({"message": "Salam, disponible ?", "name": "Karim"})),
        )
        .await,
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let res = app
        .call(
            Method::POST,
            &format!("/v1/conversations/{thread}/messages"),
            Some(seller),
            Some(json!({"message": "Oui, passez samedi."})),
        )
        .await;
    assert_eq!(res.status(), 201);
    let res = app
        .call(
            Method::POST,
            &format!("/v1/conversations/{thread}/rating"),
            Some(&buyer),
            Some(json!({"stars": 1})),
        )
        .await;
    assert_eq!(res.status(), 201);
    // Shown after two weeks.
    app.sql(&format!(
        "UPDATE ratings SET created_at = {}",
        app.sql_minutes_ago(15 * 24 * 60)
    ));
}

async fn rating_count(app: &TestApp, user_id: i64) -> i64 {
    let page = json_of(app.get(&format!("/v1/users/{user_id}/ratings")).await).await;
    page["summary"]["count"].as_i64().unwrap_or(-1)
}

#[tokio::test]
async fn a_deleted_accounts_ratings_follow_its_mailbox_to_the_next_account() {
    each_backend(|app| async move {
        let seller = app.user("karim.seller@gmail.com").await;
        rated_once(&app, &seller).await;
        let old_id = me_id(&app, &seller).await;
        assert_eq!(rating_count(&app, old_id).await, 1, "the positive control");

        delete_account(&app, &seller).await;
        // Another spelling of the same mailbox.
        let again = app.user("karimseller+new@gmail.com").await;
        let new_id = me_id(&app, &again).await;
        assert_ne!(new_id, old_id);
        assert_eq!(
            rating_count(&app, new_id).await,
            1,
            "the one-star rating follows the mailbox"
        );

        // Once the memory has run out, a mailbox starts clean.
        delete_account(&app, &again).await;
        app.sql(&format!(
            "UPDATE users SET deleted_at = {} WHERE id = {new_id}",
            app.sql_minutes_ago(366 * 24 * 60)
        ));
        app.run_worker_once().await;
        let third = app.user("karim.seller@gmail.com").await;
        assert_eq!(rating_count(&app, me_id(&app, &third).await).await, 0);
    })
    .await;
}

#[tokio::test]
async fn deleting_and_registering_again_does_not_reset_the_mailboxs_mail_limit() {
    each_backend(|app| async move {
        // Five confirmation emails an hour to one mailbox (SOUK_RATE_RESET_PER_HOUR in the
        // tests), registrations and resends together.
        for round in 0..5 {
            let res = app
                .call(
                    Method::POST,
                    "/v1/auth/register",
                    None,
                    Some(json!({"email": "victim@example.dz", "password": PASSWORD,
                                "display_name": "Test User"})),
                )
                .await;
            assert_eq!(res.status(), 201, "round {round}");
            let token = app.login("victim@example.dz").await["access_token"]
                .as_str()
                .unwrap()
                .to_string();
            delete_account(&app, &token).await;
        }
        let res = app
            .call(
                Method::POST,
                "/v1/auth/register",
                None,
                Some(json!({"email": "victim@example.dz", "password": PASSWORD,
                            "display_name": "Test User"})),
            )
            .await;
        assert_problem(res, 429, "rate_limited").await;
    })
    .await;
}
