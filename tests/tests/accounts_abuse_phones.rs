//! Phone numbers scraped with throwaway accounts (issue 23): a seconds-old account with an
//! unconfirmed address revealed a seller's number, and a profile showed a published number
//! the account had never confirmed (even one another account had confirmed).

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use souk_tests::{assert_problem, car_ad, each_backend};

#[tokio::test]
async fn an_unconfirmed_address_reveals_no_number() {
    each_backend(|app| async move {
        let seller = app.user("seller@example.dz").await;
        app.confirm_phone("seller@example.dz");
        let ad = app
            .create_listing(&seller, car_ad(json!({"show_phone": true})))
            .await["id"]
            .as_i64()
            .unwrap();
        // Registered a second ago, address not confirmed.
        app.register("throwaway@example.dz", None).await;
        let throwaway = app.login("throwaway@example.dz").await["access_token"]
            .as_str()
            .unwrap()
            .to_string();
        let res = app
            .call(
                Method::POST,
                &format!("/v1/listings/{ad}/phone"),
                Some(&throwaway),
                None,
            )
            .await;
        assert_problem(res, 403, "email_not_confirmed").await;
        // The positive control: once the address is confirmed, the number shows.
        app.verify("throwaway@example.dz");
        let res = app
            .call(
                Method::POST,
                &format!("/v1/listings/{ad}/phone"),
                Some(&throwaway),
                None,
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        let body: Value = res.json().await.unwrap();
        assert!(
            body["phone"].as_str().is_some_and(|p| !p.is_empty()),
            "{body}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_profile_shows_only_a_number_its_account_confirmed() {
    each_backend(|app| async move {
        let squatter = app.user("squatter@example.dz").await;
        let res = app
            .call(
                Method::PATCH,
                "/v1/me",
                Some(&squatter),
                Some(json!({"phone_public": true})),
            )
            .await;
        assert!(res.status().is_success(), "{}", res.status());
        let id = app.user_id(&squatter).await;
        let profile: Value = app
            .get(&format!("/v1/users/{id}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            profile["phone"],
            Value::Null,
            "an unconfirmed number shown: {profile}"
        );
        // The positive control: confirmed, the published number shows.
        app.confirm_phone("squatter@example.dz");
        let profile: Value = app
            .get(&format!("/v1/users/{id}"))
            .await
            .json()
            .await
            .unwrap();
        assert!(profile["phone"].as_str().is_some(), "{profile}");
    })
    .await;
}
