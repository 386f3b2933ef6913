//! Algeria-first selling: prices as Algerians say them (in millions of centimes for cars and
//! property, in dinars for most goods, per month for rent; the ×10,000 unit mistake caught
//! with the likely price), and whether the seller ships.

use reqwest::Method;
use serde_json::{json, Value};
use souk_tests::{assert_problem, car_ad, each_backend, TestApp};

async fn post(app: &TestApp, token: &str, body: Value) -> reqwest::Response {
    app.call(Method::POST, "/v1/listings", Some(token), Some(body))
        .await
}

fn phone_ad(price: Value) -> Value {
    json!({"title": "Samsung Galaxy S23 comme neuf", "description": "Avec boîte et chargeur, aucune rayure.",
           "category": "smartphones", "attributes": {"brand": "samsung", "condition": "like_new"},
           "price": price, "wilaya": 16, "commune": 1601})
}

#[tokio::test]
async fn prices_in_millions_are_stored_in_dinars_and_shown_as_people_say_them() {
    each_backend(|app| async move {
        let seller = app.user("seller@example.dz").await;
        let res = post(
            &app,
            &seller,
            car_ad(json!({"price": {"amount": 245, "unit": "million"}})),
        )
        .await;
        assert_eq!(res.status(), 201);
        let ad: Value = res.json().await.unwrap();
        assert_eq!(ad["price"], 2_450_000);
        assert_eq!(ad["price_display"]["fr"], "245 millions");
        assert_eq!(ad["price_display"]["ar"], "245 مليون");
        assert_eq!(ad["price_display"]["en"], "245 million centimes");
        let ad = app
            .create_listing(
                &seller,
                car_ad(json!({"title": "Clio 4 diesel 2018", "price": {"amount": 105.5, "unit": "million"}})),
            )
            .await;
        assert_eq!(ad["price"], 1_055_000);
        assert_eq!(ad["price_display"]["fr"], "105,5 millions");
        let phone = app.create_listing(&seller, phone_ad(json!(38_000))).await;
        assert_eq!(phone["price_display"]["fr"], "38 000 DA");
        assert_eq!(phone["price_display"]["ar"], "38 000 دج");
        // Lists and search hits carry the display too.
        let page = app.browse("category=smartphones").await;
        assert_eq!(page["items"][0]["price_display"]["fr"], "38 000 DA");
        // A bad unit or fractional dinars are field errors.
        let res = post(
            &app,
            &seller,
            car_ad(json!({"price": {"amount": 245, "unit": "euros"}})),
        )
        .await;
        let body = assert_problem(res, 422, "validation").await;
        assert_eq!(body["errors"][0]["field"], "price.unit");
        let res = post(
            &app,
            &seller,
            phone_ad(json!({"amount": 38000.5, "unit": "dzd"})),
        )
        .await;
        let body = assert_problem(res, 422, "validation").await;
        assert_eq!(body["errors"][0]["field"], "price.amount");
    })
    .await;
}

#[tokio::test]
async fn a_car_typed_in_millions_into_the_dinar_field_gets_the_likely_price_proposed() {
    each_backend(|app| async move {
        let seller = app.user("seller@example.dz").await;
        let res = post(&app, &seller, car_ad(json!({"price": 230}))).await;
        let body = assert_problem(res, 422, "validation").await;
        assert_eq!(body["errors"][0]["field"], "price");
        assert_eq!(body["errors"][0]["code"], "unlikely_price");
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert!(
            message.contains("230 millions = 2 300 000 DZD"),
            "{message}"
        );
        // The seller insists: it goes through.
        let res = post(
            &app,
            &seller,
            car_ad(json!({"price": 230, "price_confirmed": true})),
        )
        .await;
        assert_eq!(res.status(), 201);
        let ad: Value = res.json().await.unwrap();
        // Editing the title does not judge the confirmed price again; a new odd price is.
        let id = ad["id"].as_i64().unwrap();
        let res = app
            .call(
                Method::PATCH,
                &format!("/v1/listings/{id}"),
                Some(&seller),
                Some(json!({"title": "Golf 7 très propre à saisir"})),
            )
            .await;
        assert_eq!(res.status(), 200);
        let res = app
            .call(
                Method::PATCH,
                &format!("/v1/listings/{id}"),
                Some(&seller),
                Some(json!({"price": 240})),
            )
            .await;
        assert_problem(res, 422, "validation").await;
        let res = app
            .call(
                Method::PATCH,
                &format!("/v1/listings/{id}"),
                Some(&seller),
                Some(json!({"price": {"amount": 240, "unit": "million"}})),
            )
            .await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.json::<Value>().await.unwrap()["price"], 2_400_000);
        // Placeholders are refused: "price on request" is an empty price.
        let res = post(&app, &seller, phone_ad(json!(123_456))).await;
        let body = assert_problem(res, 422, "validation").await;
        assert_eq!(body["errors"][0]["code"], "placeholder_price");
        let res = post(&app, &seller, phone_ad(Value::Null)).await;
        assert_eq!(res.status(), 201);
    })
    .await;
}

#[tokio::test]
async fn search_takes_price_bounds_in_millions() {
    each_backend(|app| async move {
        let seller = app.user("seller@example.dz").await;
        let cheap = app
            .create_listing(
                &seller,
                car_ad(json!({"price": {"amount": 245, "unit": "million"}})),
            )
            .await;
        app.create_listing(
            &seller,
            car_ad(
                json!({"title": "Golf 8 GTD 2022", "price": {"amount": 350, "unit": "million"}}),
            ),
        )
        .await;
        app.settle().await;
        let res = app
            .get("/v1/search?category=cars&price_max=300&price_unit=million&facets=false")
            .await;
        assert_eq!(res.status(), 200);
        let page: Value = res.json().await.unwrap();
        assert_eq!(page["total"], 1, "{page}");
        assert_eq!(page["items"][0]["id"], cheap["id"]);
        assert_eq!(page["items"][0]["price_display"]["fr"], "245 millions");
        let res = app
            .get("/v1/search?category=cars&price_max=3000000&facets=false")
            .await;
        assert_eq!(
            res.json::<Value>().await.unwrap()["total"],
            1,
            "dinars by default"
        );
        // Saved searches take the same bounds.
        let buyer = app.user("buyer@example.dz").await;
        let res = app
            .call(
                Method::POST,
                "/v1/me/saved-searches",
                Some(&buyer),
                Some(json!({
                "name": "Voiture à moins de 300 millions",
                "query": {"category": "cars", "price_max": "300", "price_unit": "million"}})),
            )
            .await;
        assert_eq!(res.status(), 201);
        let res = app
            .call(
                Method::POST,
                "/v1/me/saved-searches",
                Some(&buyer),
                Some(json!({
                "name": "Erreur d'unité", "query": {"price_max": "300", "price_unit": "lakh"}})),
            )
            .await;
        assert_problem(res, 422, "validation").await;
        let res = app.get("/v1/search?price_max=3&price_unit=lakh").await;
        let body = assert_problem(res, 422, "validation").await;
        assert_eq!(body["errors"][0]["field"], "price_unit");
    })
    .await;
}

/// "Livraison 58 wilayas": goods say whether the seller ships, and buyers filter on it.
#[tokio::test]
async fn goods_say_whether_the_seller_ships_and_search_filters_on_it() {
    each_backend(|app| async move {
        let seller = app.user("shop@example.dz").await;
        let mut shipped = phone_ad(json!(38_000));
        shipped["delivery"] = json!("courier");
        let shipped = app.create_listing(&seller, shipped).await;
        assert_eq!(shipped["delivery"], "courier");
        let mut local = phone_ad(json!(41_000));
        local["title"] = json!("Samsung Galaxy S22 remise en main propre");
        let local = app.create_listing(&seller, local).await;
        assert_eq!(local["delivery"], "none");
        // Property is not shipped.
        let flat = json!({"title": "F3 à Bab Ezzouar, 3ème étage", "description": "Appartement lumineux, acte notarié.",
            "category": "real-estate-sale", "attributes": {"property_type": "apartment"},
            "price": {"amount": 1800, "unit": "million"}, "wilaya": 16, "commune": 1601, "delivery": "seller"});
        let res = post(&app, &seller, flat).await;
        let body = assert_problem(res, 422, "validation").await;
        assert_eq!(body["errors"][0]["code"], "not_deliverable");
        let mut bad = phone_ad(json!(38_000));
        bad["delivery"] = json!("drone");
        assert_problem(post(&app, &seller, bad).await, 422, "validation").await;
        app.settle().await;
        let page: Value = app
            .get("/v1/search?category=smartphones&delivery=true&facets=false")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(page["total"], 1, "{page}");
        assert_eq!(page["items"][0]["id"], shipped["id"]);
        assert_eq!(page["items"][0]["delivery"], "courier");
        // Stopping deliveries takes the ad out of that filter.
        let res = app
            .call(Method::PATCH, &format!("/v1/listings/{}", shipped["id"]), Some(&seller), Some(json!({"delivery": "none"})))
            .await;
        assert_eq!(res.status(), 200);
        app.settle().await;
        let page: Value = app
            .get("/v1/search?category=smartphones&delivery=true&facets=false")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(page["total"], 0);
        let _ = local;
    })
    .await;
}
