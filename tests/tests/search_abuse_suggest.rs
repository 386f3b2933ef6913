//! Issue 23, item 9: autocomplete poisoning. Three throwaway accounts put any word, banned
//! words included, into everyone's suggestions within seconds; free-text attributes skipped
//! the content rules. Now every free-text field passes the content rules, and a model is
//! suggested only from the ads of accounts with a confirmed address at least a week old.

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};
use souk_tests::{assert_problem, car_ad, each_backend, TestApp};

const SOON: Duration = Duration::from_secs(10);

async fn suggested(app: &TestApp, prefix: &str) -> Vec<String> {
    let res = app.get(&format!("/v1/search/suggest?q={prefix}")).await;
    let v: Value = res.json().await.unwrap();
    v["suggestions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["text"].as_str().map(String::from))
        .collect()
}

fn with_model(model: &str, title: &str) -> Value {
    car_ad(json!({
        "title": title,
        "attributes": {"brand": "peugeot", "model": model, "year": 2019}
    }))
}

/// Makes an account whose address is confirmed, then ages it by `days`.
async fn seller(app: &TestApp, email: &str, days: i64) -> String {
    let token = app.user(email).await;
    app.age_account(email, days);
    token
}

#[tokio::test]
async fn suggestions_come_from_aged_confirmed_accounts_and_never_carry_banned_words() {
    each_backend(|app| async move {
        app.wait_for_search_ready().await;
        // Free-text attributes and names take the content rules.
        let owner = seller(&app, "rules@example.dz", 30).await;
        let res = app
            .call(
                Method::POST,
                "/v1/listings",
                Some(&owner),
                Some(with_model("cocaine", "Peugeot 308 propre")),
            )
            .await;
        let body = assert_problem(res, 422, "validation").await;
        assert!(body.to_string().contains("attributes.model"), "{body}");
        let res = app
            .call(
                Method::POST,
                "/v1/listings",
                Some(&owner),
                Some(with_model("0551234567", "Peugeot 308 propre")),
            )
            .await;
        assert_problem(res, 422, "validation").await;
        let res = app
            .call(
                Method::POST,
                "/v1/auth/register",
                None,
                Some(
                    json!({"email": "name@example.dz", "password": "correct horse battery",
                            "display_name": "hachich express"}),
                ),
            )
            .await;
        assert_problem(res, 422, "validation").await;

        // Three throwaway accounts (unconfirmed, or confirmed a minute ago) name a model.
        let mut last = 0;
        for n in 0..3 {
            let email = format!("throwaway{n}@example.dz");
            let token = if n == 0 {
                app.register(&email, None).await;
                app.login(&email).await["access_token"]
                    .as_str()
                    .unwrap()
                    .to_string()
            } else {
                app.user(&email).await
            };
            let ad = app
                .create_listing(
                    &token,
                    with_model("zorglub", &format!("Peugeot zorglub {n}")),
                )
                .await;
            last = ad["id"].as_i64().unwrap();
        }
        // Three sellers of some standing name another.
        for n in 0..3 {
            let token = seller(&app, &format!("regular{n}@example.dz"), 8).await;
            let ad = app
                .create_listing(&token, with_model("gloubi", &format!("Peugeot gloubi {n}")))
                .await;
            last = ad["id"].as_i64().unwrap();
        }
        app.search_until("q=gloubi&limit=5", SOON, |v| {
            v["items"].as_array().is_some_and(|i| i.len() == 3)
        })
        .await;
        app.search_until("q=zorglub&limit=5", SOON, |v| {
            v["items"].as_array().is_some_and(|i| i.len() == 3)
        })
        .await;
        assert!(last > 0);

        let zorg = suggested(&app, "zorg").await;
        assert!(
            !zorg.iter().any(|s| s.contains("Zorglub")),
            "throwaway accounts' word suggested: {zorg:?}"
        );
        let glou = suggested(&app, "glou").await;
        assert!(
            glou.iter().any(|s| s == "Peugeot Gloubi"),
            "the regular sellers' model is suggested: {glou:?}"
        );
    })
    .await;
}
