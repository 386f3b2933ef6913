//! Seller statistics per day: views (one per viewer a day), phone reveals, new threads and
//! favourites, for an ad and for a store.

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};
use souk_tests::hostile::client_from;
use souk_tests::{assert_problem, car_ad, each_backend, TestApp};

async fn stats(app: &TestApp, token: &str, path: &str) -> Value {
    let res = app.call(Method::GET, path, Some(token), None).await;
    assert_eq!(res.status(), 200, "{path}");
    res.json().await.unwrap()
}

#[tokio::test]
async fn a_seller_sees_what_buyers_did_with_an_ad_each_day() {
    each_backend(|app| async move {
        let seller = app.user("seller@example.dz").await;
        {
            // A confirmed phone, as after POST /v1/me/phone/confirm (tested in phones.rs).
            use diesel::prelude::*;
            use souk_store::schema::users;
            diesel::update(users::table.filter(users::email.eq("seller@example.dz")))
                .set(users::phone_verified_at.eq(souk_store::now()))
                .execute(&mut app.store())
                .unwrap();
        }
        let ad = app
            .create_listing(&seller, car_ad(json!({"show_phone": true})))
            .await;
        let id = ad["id"].as_i64().unwrap();
        for ip in ["127.0.9.1", "127.0.9.2", "127.0.9.1"] {
            let res = client_from(ip)
                .get(app.url(&format!("/v1/listings/{id}")))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200);
        }
        let buyer = app.user("buyer@example.dz").await;
        let res = app
            .call(
                Method::PUT,
                &format!("/v1/me/favorites/{id}"),
                Some(&buyer),
                None,
            )
            .await;
        assert_eq!(res.status(), 204);
        let res = app
            .call(
                Method::POST,
                &format!("/v1/listings/{id}/contact"),
                Some(&buyer),
                Some(json!({"message": "Salam, disponible ?", "name": "Karim"})),
            )
            .await;
        assert_eq!(res.status(), 201);
        let res = app
            .call(
                Method::POST,
                &format!("/v1/listings/{id}/phone"),
                Some(&buyer),
                None,
            )
            .await;
        assert_eq!(res.status(), 200);
        // Views reach the database in batches.
        let path = format!("/v1/me/listings/{id}/stats?days=7");
        let mut s = stats(&app, &seller, &path).await;
        for _ in 0..100 {
            if s["total_views"] == 2 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
            s = stats(&app, &seller, &path).await;
        }
        assert_eq!(s["total_views"], 2, "two viewers, one read twice: {s}");
        assert_eq!(s["total_phone_reveals"], 1);
        assert_eq!(s["total_threads"], 1);
        assert_eq!(s["total_favorites"], 1);
        assert_eq!(s["days"].as_array().unwrap().len(), 1);
        assert_eq!(s["days"][0]["views"], 2);
        assert_eq!(s["days"][0]["date"].as_str().unwrap().len(), 10);
        // Owner only; bounded window.
        let res = app.call(Method::GET, &path, Some(&buyer), None).await;
        assert_problem(res, 403, "forbidden").await;
        let res = app
            .call(
                Method::GET,
                &format!("/v1/me/listings/{id}/stats?days=400"),
                Some(&seller),
                None,
            )
            .await;
        assert_problem(res, 422, "validation").await;
        // A store sums its ads.
        let res = app
            .call(Method::GET, "/v1/me/store/stats", Some(&seller), None)
            .await;
        assert_problem(res, 404, "not_found").await;
        let res = app
            .call(
                Method::POST,
                "/v1/stores",
                Some(&seller),
                Some(json!({
                "name": "Auto Prestige Blida", "speciality": "vehicles", "wilaya": 9,
                "description": "Voitures d'occasion révisées, garantie 3 mois."})),
            )
            .await;
        assert_eq!(res.status(), 201);
        let second = app
            .create_listing(&seller, car_ad(json!({"title": "Clio 4 diesel 2018"})))
            .await;
        let res = app
            .call(
                Method::PUT,
                &format!("/v1/me/favorites/{}", second["id"]),
                Some(&buyer),
                None,
            )
            .await;
        assert_eq!(res.status(), 204);
        let s = stats(&app, &seller, "/v1/me/store/stats").await;
        assert_eq!(s["total_favorites"], 2);
        assert_eq!(s["total_views"], 2);
    })
    .await;
}
