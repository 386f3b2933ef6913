//! Suggestions as one types and similar ads, over real HTTP on both backends.

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};
use souk_tests::{assert_problem, car_ad, each_backend, TestApp};

const SOON: Duration = Duration::from_secs(3);

async fn suggest(app: &TestApp, query: &str) -> Vec<Value> {
    let res = app.get(&format!("/v1/search/suggest?{query}")).await;
    assert_eq!(res.status(), 200, "{query}");
    let v: Value = res.json().await.unwrap();
    v["suggestions"].as_array().cloned().unwrap_or_default()
}

fn texts(list: &[Value]) -> Vec<&str> {
    list.iter().filter_map(|s| s["text"].as_str()).collect()
}

async fn similar(app: &TestApp, path: String) -> Vec<i64> {
    let res = app.get(&path).await;
    assert_eq!(res.status(), 200, "{path}");
    let v: Value = res.json().await.unwrap();
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect()
}

fn phone_ad(title: &str) -> Value {
    json!({
        "title": title,
        "description": "Etat neuf, avec boite et chargeur, garantie.",
        "category": "smartphones",
        "attributes": {"brand": "samsung", "model": "Galaxy A52", "storage_gb": 128, "condition": "used"},
        "price": 52000,
        "wilaya": 16,
        "commune": 1601,
        "show_phone": false
    })
}

#[tokio::test]
async fn suggestions_complete_brands_models_categories_and_places_in_either_script() {
    each_backend(|app| async move {
        app.wait_for_search_ready().await;
        let one = app.user("sug-one@example.dz").await;
        let two = app.user("sug-two@example.dz").await;
        let three = app.user("sug-three@example.dz").await;
        // Suggestions trust sellers of a week's standing (tests/tests/search_abuse_suggest.rs).
        for email in ["sug-one", "sug-two", "sug-three"] {
            app.age_account(&format!("{email}@example.dz"), 8);
        }
        app.create_listing(&one, car_ad(json!({}))).await;
        // Two ads of one seller name a model nobody else sells: not suggested.
        for title in ["Peugeot 3008 allure", "Peugeot 3008 hybride"] {
            let ad = car_ad(
                json!({"title": title, "attributes": {"brand": "peugeot", "model": "3008", "year": 2021}}),
            );
            app.create_listing(&one, ad).await;
        }
        app.create_listing(&three, car_ad(json!({"title": "208 active 2017"})))
            .await;
        let last = app
            .create_listing(
                &two,
                car_ad(json!({"title": "208 GT line 2020", "price": 2900000})),
            )
            .await["id"]
            .as_i64()
            .unwrap();
        let phone = app
            .create_listing(&two, phone_ad("Samsung A52 128 Go"))
            .await["id"]
            .as_i64()
            .unwrap();
        app.search_until("q=gt&limit=5", SOON, |v| {
            v["items"][0]["id"].as_i64() == Some(last)
        })
        .await;
        app.search_until("q=a52&limit=5", SOON, |v| {
            v["items"][0]["id"].as_i64() == Some(phone)
        })
        .await;

        // Latin letters: the brand, its model named by three sellers, with their counts.
        let peu = suggest(&app, "q=peu").await;
        let brand = peu.iter().find(|s| s["kind"] == "brand").expect("a brand");
        assert_eq!(brand["text"], "Peugeot");
        assert_eq!(brand["q"], "peugeot");
        assert!(brand["count"].as_u64().unwrap() >= 2, "{brand}");
        let model = peu.iter().find(|s| s["kind"] == "model").expect("a model");
        assert_eq!(model["text"], "Peugeot 208");
        assert_eq!(model["count"], 3);
        assert!(!texts(&peu).contains(&"Peugeot 3008"), "{peu:?}");
        // The model alone leads to it too.
        assert!(texts(&suggest(&app, "q=20").await).contains(&"Peugeot 208"));

        // Arabic letters: Arabic names.
        let ar = suggest(&app, "q=بي").await;
        assert!(texts(&ar).contains(&"بيجو"), "{ar:?}");
        assert!(texts(&ar).contains(&"بيجو 208"), "{ar:?}");
        let cars = suggest(&app, "q=سيار").await;
        let cat = cars
            .iter()
            .find(|s| s["kind"] == "category")
            .expect("a category");
        assert_eq!(cat["text"], "سيارات");
        assert_eq!(cat["category"], "cars");
        assert_eq!(cat["count"], 5);

        // One slip from the fourth letter; French or English names for Latin letters.
        assert!(texts(&suggest(&app, "q=pegu").await).contains(&"Peugeot"));
        assert!(texts(&suggest(&app, "q=samsnug").await).contains(&"Samsung"));
        assert!(texts(&suggest(&app, "q=voit").await).contains(&"Voitures"));
        assert!(texts(&suggest(&app, "q=car&lang=en").await).contains(&"Cars"));
        let place = suggest(&app, "q=alg").await;
        let alger = place
            .iter()
            .find(|s| s["kind"] == "place")
            .expect("a place");
        assert_eq!(alger["wilaya"], 16);
        assert_eq!(alger["count"], 6);

        // Nothing for one letter or for names no ad has; bounded parameters.
        assert!(suggest(&app, "q=p").await.is_empty());
        assert!(!texts(&suggest(&app, "q=toy").await).contains(&"Toyota"));
        assert_eq!(suggest(&app, "q=pe&limit=1").await.len(), 1);
        assert_problem(
            app.get("/v1/search/suggest?q=pe&limit=0").await,
            422,
            "validation",
        )
        .await;
        assert_problem(
            app.get("/v1/search/suggest?q=pe&limit=21").await,
            422,
            "validation",
        )
        .await;
        let long = "a".repeat(101);
        assert_problem(
            app.get(&format!("/v1/search/suggest?q={long}")).await,
            422,
            "validation",
        )
        .await;
        assert_problem(
            app.get("/v1/search/suggest?q=pe&lang=de").await,
            422,
            "validation",
        )
        .await;
        assert_eq!(app.get("/v1/search/suggest").await.status(), 400);
    })
    .await;
}

#[tokio::test]
async fn similar_ads_are_the_same_kind_of_thing_from_other_sellers_first() {
    each_backend(|app| async move {
        app.wait_for_search_ready().await;
        let one = app.user("sim-one@example.dz").await;
        let two = app.user("sim-two@example.dz").await;
        let three = app.user("sim-three@example.dz").await;
        let id = |v: Value| v["id"].as_i64().unwrap();
        let ad = id(app.create_listing(&one, car_ad(json!({}))).await);
        let same_seller = id(app
            .create_listing(&one, car_ad(json!({"title": "Peugeot 208 allure 2018", "price": 2300000})))
            .await);
        let other_seller = id(app
            .create_listing(&two, car_ad(json!({"title": "بيجو 208 موديل 2019", "price": 2500000})))
            .await);
        let far_price = id(app
            .create_listing(&three, car_ad(json!({"title": "Peugeot 208 neuve 2024", "price": 4900000, "attributes": {"brand": "peugeot", "model": "208", "year": 2024}})))
            .await);
        let other_model = id(app
            .create_listing(&three, car_ad(json!({"title": "Renault Clio 4 2016", "attributes": {"brand": "renault", "model": "Clio 4", "year": 2016}})))
            .await);
        let phone = id(app.create_listing(&two, phone_ad("Peugeot 208 coque et support telephone")).await);
        app.search_until("q=clio&limit=5", SOON, |v| v["items"][0]["id"].as_i64() == Some(other_model)).await;
        app.search_until("q=coque&limit=5", SOON, |v| v["items"][0]["id"].as_i64() == Some(phone)).await;

        let got = similar(&app, format!("/v1/listings/{ad}/similar")).await;
        // Other sellers' 208s first (the closer price first), then another model of the
        // category; the seller's own other ad last; never the ad itself or another category.
        assert_eq!(got, vec![other_seller, far_price, other_model, same_seller], "{got:?}");
        assert!(!got.contains(&phone));
        assert_eq!(similar(&app, format!("/v1/listings/{ad}/similar?limit=1")).await, vec![other_seller]);

        // A sold ad's page still offers alternatives; a deleted one is gone.
        let path = format!("/v1/listings/{ad}");
        assert_eq!(app.call(Method::POST, &format!("{path}/sold"), Some(&one), None).await.status(), 200);
        assert_eq!(similar(&app, format!("{path}/similar")).await[0], other_seller);
        assert_eq!(app.call(Method::DELETE, &path, Some(&one), None).await.status(), 204);
        assert_problem(app.get(&format!("{path}/similar")).await, 404, "not_found").await;
        assert_problem(app.get(&format!("/v1/listings/{same_seller}/similar?limit=31")).await, 422, "validation").await;
    })
    .await;
}
