//! Leaving with one's data: the archive of everything held about an account, by email link;
//! the deletion of an account, which leaves no personal data behind and keeps the other side's
//! conversation readable.

use std::io::Read;

use reqwest::Method;
use serde_json::{json, Value};
use souk_tests::images::{scene, to_jpeg};
use souk_tests::{assert_problem, car_ad, each_backend, TestApp, PASSWORD};

async fn json_of(res: reqwest::Response) -> Value {
    res.json().await.expect("json")
}

/// A seller with an ad and a photo, a buyer who wrote and got an answer; returns (seller,
/// buyer, ad id, thread id).
async fn trade(app: &TestApp) -> (String, String, i64, i64) {
    let seller = app.user("seller@example.dz").await;
    let buyer = app.user("buyer@example.dz").await;
    let ad = app.create_listing(&seller, car_ad(json!({}))).await;
    let id = ad["id"].as_i64().unwrap();
    let res = app.upload_photo(&seller, id, to_jpeg(&scene(9), 90)).await;
    assert_eq!(res.status(), 201);
    let thread = json_of(
        app.call(
            Method::POST,
            &format!("/v1/listings/{id}/contact"),
            Some(&buyer),
            Some(json!({"message": "Salam, toujours disponible ?", "name": "Karim", "phone": "0551 23 45 67"})),
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
            Some(&seller),
            Some(json!({"message": "Oui, passez samedi à Bab Ezzouar."})),
        )
        .await;
    assert_eq!(res.status(), 201);
    (seller, buyer, id, thread)
}

#[tokio::test]
async fn the_archive_holds_the_accounts_data_and_is_linked_by_email() {
    each_backend(|app| async move {
        let (seller, _buyer, ad, _thread) = trade(&app).await;
        let res = app
            .call(
                Method::POST,
                "/v1/me/saved-searches",
                Some(&seller),
                Some(json!({"name": "Clio", "query": {"q": "clio"}})),
            )
            .await;
        assert_eq!(res.status(), 201, "{:?}", res.text().await);

        let res = app
            .call(Method::GET, "/v1/me/export", Some(&seller), None)
            .await;
        assert_eq!(res.status(), 202);
        assert_eq!(json_of(res).await["status"], "building");
        let mail = app
            .wait_for_email("seller@example.dz", "/v1/exports/")
            .await;
        let link = mail
            .text
            .split_whitespace()
            .find(|w| w.contains("/v1/exports/"))
            .unwrap()
            .to_string();
        let path = link.trim_start_matches("http://souk.test");
        let res = app.get(path).await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "application/zip");
        let bytes = res.bytes().await.unwrap();
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
        let mut account = String::new();
        zip.by_name("account.json")
            .unwrap()
            .read_to_string(&mut account)
            .unwrap();
        let data: Value = serde_json::from_str(&account).unwrap();
        assert_eq!(data["profile"]["email"], "seller@example.dz");
        assert!(
            data["profile"].get("password_hash").is_none(),
            "no password hash in the archive"
        );
        assert_eq!(data["listings"][0]["id"], ad);
        assert_eq!(
            data["messages"].as_array().unwrap().len(),
            2,
            "both sides of the thread"
        );
        assert_eq!(data["saved_searches"].as_array().unwrap().len(), 1);
        let key = data["photos"][0]["storage_key"].as_str().unwrap();
        assert!(
            zip.by_name(&format!("photos/{ad}/{key}.jpg"))
                .unwrap()
                .size()
                > 1000
        );

        // Ready: the signed-in call answers with the archive too; a made-up link finds nothing.
        let res = app
            .call(Method::GET, "/v1/me/export", Some(&seller), None)
            .await;
        assert_eq!(res.status(), 200);
        assert_eq!(app.get("/v1/exports/not-a-real-token").await.status(), 404);
    })
    .await;
}

#[tokio::test]
async fn a_deleted_account_leaves_no_personal_data_and_its_messages_stay_for_the_other_side() {
    each_backend(|app| async move {
        let (_seller, buyer, ad, thread) = trade(&app).await;
        let buyer_id = json_of(app.call(Method::GET, "/v1/me", Some(&buyer), None).await).await["id"]
            .as_i64()
            .unwrap();
        let res = app
            .call(Method::PUT, &format!("/v1/me/favorites/{ad}"), Some(&buyer), None)
            .await;
        assert!(res.status().is_success(), "{}", res.status());
        let login = app.login("buyer@example.dz").await;
        // Before the deletion the seller sees the buyer's name and the phone they left.
        let seller = app.login("seller@example.dz").await["access_token"].as_str().unwrap().to_string();
        let before = json_of(app.call(Method::GET, &format!("/v1/conversations/{thread}"), Some(&seller), None).await).await;
        assert_eq!(before["counterpart_name"], "Karim", "{before}");
        assert!(before["buyer_phone"].as_str().is_some_and(|p| p.ends_with("551234567")), "{before}");

        assert_problem(
            app.call(Method::DELETE, "/v1/me", Some(&buyer), Some(json!({"password": "not the password"}))).await,
            403,
            "wrong_password",
        )
        .await;
        let res = app
            .call(Method::DELETE, "/v1/me", Some(&buyer), Some(json!({"password": PASSWORD})))
            .await;
        assert_eq!(res.status(), 204);

        // Signed out everywhere: no login, no refresh, no writes with the old access token.
        let res = app
            .call(Method::POST, "/v1/auth/login", None, Some(json!({"email": "buyer@example.dz", "password": PASSWORD})))
            .await;
        assert_eq!(res.status(), 401);
        let res = app
            .call(Method::POST, "/v1/auth/refresh", None, Some(json!({"refresh_token": login["refresh_token"]})))
            .await;
        assert_eq!(res.status(), 401);
        let res = app
            .call(Method::POST, &format!("/v1/conversations/{thread}/messages"), Some(&buyer), Some(json!({"message": "encore là ?"})))
            .await;
        assert_problem(res, 401, "token_revoked").await;

        // The seller still reads the thread, under an anonymous name, without the phone.
        let view = json_of(app.call(Method::GET, &format!("/v1/conversations/{thread}"), Some(&seller), None).await).await;
        assert_eq!(view["messages"].as_array().unwrap().len(), 2);
        assert_ne!(view["counterpart_name"], "Karim");
        assert_eq!(view["buyer_phone"], Value::Null);

        // Nothing personal is left in the row; the mailbox may register again.
        {
            use diesel::prelude::*;
            use souk_store::schema::users;
            let mut conn = app.store();
            let (email, name, phone, canonical): (String, String, Option<String>, Option<String>) = users::table
                .find(buyer_id)
                .select((users::email, users::display_name, users::phone, users::email_canonical))
                .first(&mut conn)
                .unwrap();
            assert!(!email.contains("buyer"), "{email}");
            assert!(!name.contains("Test"), "{name}");
            assert_eq!((phone, canonical), (None, None));
            let favorites: i64 = souk_store::schema::favorites::table
                .filter(souk_store::schema::favorites::user_id.eq(buyer_id))
                .count()
                .get_result(&mut conn)
                .unwrap();
            assert_eq!(favorites, 0);
        }
        let res = app
            .call(Method::POST, "/v1/auth/register", None, Some(json!({"email": "buyer@example.dz", "password": PASSWORD, "display_name": "Karim again"})))
            .await;
        assert_eq!(res.status(), 201);
    })
    .await;
}

#[tokio::test]
async fn a_deleted_sellers_ads_leave_search_at_once() {
    each_backend(|app| async move {
        let (seller, _buyer, ad, _thread) = trade(&app).await;
        app.settle().await;
        let hits = app.browse("category=cars").await;
        assert_eq!(hits["total"], 1);
        let ad_view: Value = app
            .get(&format!("/v1/listings/{ad}"))
            .await
            .json()
            .await
            .unwrap();
        let photo_url = ad_view["photos"][0]["large_url"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(app.get(&photo_url).await.status(), 200);
        let res = app
            .call(
                Method::DELETE,
                "/v1/me",
                Some(&seller),
                Some(json!({"password": PASSWORD})),
            )
            .await;
        assert_eq!(res.status(), 204);
        assert_eq!(app.get(&format!("/v1/listings/{ad}")).await.status(), 404);
        // Adversarial review: the photos went at once and the ad is stamped for the purge.
        assert_eq!(app.get(&photo_url).await.status(), 404);
        {
            use diesel::prelude::*;
            use souk_store::schema::listings;
            let deleted_at: Option<chrono::NaiveDateTime> = listings::table
                .find(ad)
                .select(listings::deleted_at)
                .first(&mut app.store())
                .unwrap();
            assert!(deleted_at.is_some(), "stamped for the purge");
        }
        app.settle().await;
        assert_eq!(app.browse("category=cars").await["total"], 0);
    })
    .await;
}
