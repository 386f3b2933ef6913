//! `GET /v1/search?explain=true`: moderators see why each hit ranks where it does; nobody
//! else does (401 without a token, 403 for a plain account).

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};
use souk_tests::console::make_moderator;
use souk_tests::{assert_problem, car_ad, each_backend, item_ids};

const SOON: Duration = Duration::from_secs(3);

#[tokio::test]
async fn moderators_see_why_each_hit_ranks_where_it_does() {
    each_backend(|app| async move {
        app.wait_for_search_ready().await;
        let seller = app.user("explain-seller@example.dz").await;
        let car = app
            .create_listing(&seller, car_ad(json!({"title": "Renault Clio 4 2017 diesel", "attributes": {"brand": "renault", "model": "Clio 4", "year": 2017}})))
            .await["id"]
            .as_i64()
            .unwrap();
        // The part is posted last: newer, it would come first on freshness alone.
        let part = app
            .create_listing(&seller, json!({
                "title": "Phare avant Clio 4 origine", "description": "Phare gauche Renault Clio 4, bon état.",
                "category": "vehicle-parts", "attributes": {"condition": "used"}, "price": 12000,
                "wilaya": 16, "commune": 1601, "show_phone": false}))
            .await["id"]
            .as_i64()
            .unwrap();
        let q = "/v1/search?q=clio%204&explain=true";
        app.search_until("q=clio%204", SOON, |v| item_ids(v).len() == 2).await;

        let res = app.call(Method::GET, q, None, None).await;
        assert_problem(res, 401, "missing_token").await;
        let res = app.call(Method::GET, q, Some(&seller), None).await;
        assert_problem(res, 403, "forbidden").await;
        let res = app.call(Method::GET, "/v1/search?q=clio&explain=maybe", None, None).await;
        assert_eq!(res.status(), 422);

        let moderator = app.user("explain-mod@example.dz").await;
        make_moderator(&app, "explain-mod@example.dz");
        let res = app.call(Method::GET, q, Some(&moderator), None).await;
        assert_eq!(res.status(), 200);
        let page: Value = res.json().await.unwrap();
        assert_eq!(item_ids(&page), vec![car, part], "the car, then its part: {page}");
        let explain = page["explain"].as_array().expect("explain");
        let of = |id: i64| explain.iter().find(|e| e["id"] == id).unwrap().clone();
        let (car_why, part_why) = (of(car), of(part));
        assert!(car_why["score"].as_f64().unwrap() > part_why["score"].as_f64().unwrap());
        let names = |e: &Value| -> Vec<String> {
            e["clauses"].as_array().unwrap().iter().map(|c| c["what"].as_str().unwrap().to_string()).collect()
        };
        assert!(names(&car_why).iter().any(|w| w == "model name «clio 4»"), "{car_why}");
        assert!(car_why["demotions"].as_array().unwrap().is_empty(), "{car_why}");
        let demoted = part_why["demotions"].as_array().unwrap();
        assert!(demoted.iter().any(|d| d["what"].as_str().unwrap().contains("accessory")), "{part_why}");

        // Without explain, the same page carries none, for anyone.
        let plain: Value = app.call(Method::GET, "/v1/search?q=clio%204", Some(&moderator), None).await.json().await.unwrap();
        assert!(plain.get("explain").is_none(), "{plain}");
        assert_eq!(item_ids(&plain), vec![car, part]);
    })
    .await;
}
