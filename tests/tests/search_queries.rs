//! Search over real HTTP: the index follows every change, text analysis meets users where they
//! type, facets and filters agree with the database, bad parameters are 4xx.

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};
use souk_tests::{
    assert_problem, car_ad, each_backend, item_ids, problem_fields, Backend, TestApp,
};

const SOON: Duration = Duration::from_secs(3);

fn has(id: i64) -> impl Fn(&Value) -> bool {
    move |v| item_ids(v).contains(&id)
}

fn lacks(id: i64) -> impl Fn(&Value) -> bool {
    move |v| v["items"].is_array() && !item_ids(v).contains(&id)
}

#[tokio::test]
async fn search_follows_every_change_of_a_listing() {
    each_backend(|app| async move {
        app.wait_for_search_ready().await;
        let seller = app.user("follow@example.dz").await;
        let ad = app
            .create_listing(&seller, car_ad(json!({"title": "بيجو 208 نظيفة بزاف", "description": "Première main, jamais accidentée, papiers en règle."})))
            .await;
        let id = ad["id"].as_i64().unwrap();
        let path = format!("/v1/listings/{id}");

        // Created: found by its Arabic word, by the Latin brand, and its facets count it.
        let (found, took) = app.search_until("q=بيجو&limit=5", SOON, has(id)).await;
        eprintln!("visible in search after {took:?}");
        assert_eq!(found["items"][0]["wilaya"]["name_latin"], "Alger");
        app.search_until("q=peugeot&limit=5", SOON, has(id)).await;

        // Edited: the new words match, the old ones no longer do.
        let res = app.call(Method::PATCH, &path, Some(&seller), Some(json!({"title": "Renault Clio 4 diesel", "attributes": {"brand": "renault", "year": 2017}}))).await;
        assert_eq!(res.status(), 200);
        app.search_until("q=clio&limit=5", SOON, has(id)).await;
        app.search_until("q=بيجو&limit=5", SOON, lacks(id)).await;

        // A photo: with_photos finds it and the hit carries the thumbnail.
        let form = reqwest::multipart::Form::new()
            .part("photo", reqwest::multipart::Part::bytes(souk_tests::images::jpeg(40, 30)).file_name("p.jpg"));
        let res = app.client.post(app.url(&format!("{path}/photos"))).bearer_auth(&seller).multipart(form).send().await.unwrap();
        assert_eq!(res.status(), 201);
        let (v, _) = app.search_until("q=clio&with_photos=true", SOON, has(id)).await;
        assert!(v["items"][0]["thumbnail_url"].as_str().unwrap().ends_with("/thumb.jpg"));

        // Sold: gone from search.
        assert_eq!(app.call(Method::POST, &format!("{path}/sold"), Some(&seller), None).await.status(), 200);
        app.search_until("q=clio", SOON, lacks(id)).await;

        // Expired by the worker (another process, through the store and its change feed).
        let other = app.create_listing(&seller, car_ad(json!({"title": "Dacia Logan 2015 a vendre"}))).await["id"].as_i64().unwrap();
        app.search_until("q=logan", SOON, has(other)).await;
        let url = app.db.url.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = souk_store::db::establish(&souk_store::DbUrl::parse(&url)).unwrap();
            souk_store::listings::set_status(&mut conn, other, souk_domain::ListingStatus::Expired).unwrap();
        })
        .await
        .unwrap();
        app.search_until("q=logan", SOON, lacks(other)).await;

        // Renewed: back. Deleted: gone.
        assert_eq!(app.call(Method::POST, &format!("/v1/listings/{other}/renew"), Some(&seller), None).await.status(), 200);
        app.search_until("q=logan", SOON, has(other)).await;
        assert_eq!(app.call(Method::DELETE, &format!("/v1/listings/{other}"), Some(&seller), None).await.status(), 204);
        app.search_until("q=logan", SOON, lacks(other)).await;
    })
    .await;
}

async fn post(app: &TestApp, token: &str, body: Value) -> i64 {
    app.create_listing(token, body).await["id"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn arabic_french_darija_typos_and_the_other_script_meet() {
    each_backend(|app| async move {
        app.wait_for_search_ready().await;
        let s = app.user("words@example.dz").await;
        let peugeot_fr = post(&app, &s, car_ad(json!({"title": "Peugeot 208 diesel très propre"}))).await;
        let peugeot_ar = post(&app, &s, car_ad(json!({"title": "بيجو 301 نظيفة للبيع", "attributes": {"brand": "peugeot", "year": 2016}}))).await;
        let clio = post(&app, &s, car_ad(json!({"title": "Renault Clio4 Limited", "attributes": {"brand": "renault", "year": 2018}}))).await;
        let phone = |title: &str, brand: &str| {
            json!({"title": title, "description": "Bon état, avec chargeur. حالة جيدة", "category": "smartphones",
                   "attributes": {"brand": brand, "condition": "used"}, "price": 90000, "wilaya": 31, "commune": 3101})
        };
        let samsung = post(&app, &s, phone("Samsung Galaxy A54 128Go", "samsung")).await;
        let iphone = post(&app, &s, phone("ايفون 13 برو ماكس", "apple")).await;
        let flat = post(&app, &s, json!({"title": "شقة للبيع في وهران", "description": "الطابق الثالث، عقد موثق، قريبة من الترامواي.",
            "category": "real-estate-sale", "attributes": {"property_type": "apartment", "rooms": 3, "surface_m2": 90},
            "price": 15000000, "wilaya": 31, "commune": 3101})).await;
        let last = flat;
        app.search_until("limit=1&facets=false", SOON, has(last)).await;

        let find = |q: &'static str| {
            let app = &app;
            async move {
                let v: Value = app.get(&format!("/v1/search?q={q}&limit=50&facets=false")).await.json().await.unwrap();
                (item_ids(&v), v["fuzzy"].as_bool().unwrap_or(false))
            }
        };
        // Brands across scripts, both ways.
        let (hits, _) = find("بيجو").await;
        assert!(hits.contains(&peugeot_fr) && hits.contains(&peugeot_ar), "بيجو → {hits:?}");
        let (hits, _) = find("PEUGEOT").await;
        assert!(hits.contains(&peugeot_fr) && hits.contains(&peugeot_ar), "PEUGEOT → {hits:?}");
        let (hits, _) = find("iphone").await;
        assert_eq!(hits, vec![iphone]);
        let (hits, _) = find("سامسونج").await;
        assert_eq!(hits, vec![samsung]);
        // Typos, also across scripts once mapped: a word the index does not hold is looked up
        // by its sound (`peujeot` sounds like `peugeot`), then with one edit.
        let (hits, _) = find("peujeot").await;
        assert!(hits.contains(&peugeot_ar) && hits.contains(&peugeot_fr), "peujeot → {hits:?}");
        let (hits, _) = find("samsong").await;
        assert!(hits == vec![samsung], "samsong → {hits:?}");
        // One edit from a lexicon word: the word it is a slip of is looked up too
        // (`search/src/spelling.rs`), before any typo retry.
        let (hits, _) = find("samsumg").await;
        assert!(hits == vec![samsung], "samsumg → {hits:?}");
        // A slip of a word the lexicon does not know: the typo retry finds it, and says so.
        let (hits, fuzzy) = find("limiter").await;
        assert!(fuzzy && hits == vec![clio], "limiter → {hits:?}");
        // French finds the Arabic flat through its property type; accents and case fold.
        let (hits, _) = find("appartement").await;
        assert_eq!(hits, vec![flat]);
        let (hits, _) = find("ORAN").await;
        assert!(hits.contains(&flat) && hits.contains(&samsung), "ORAN → {hits:?}");
        // Everyday words across the three ways of writing them.
        let (hits, _) = find("tomobil").await;
        assert!(hits.contains(&peugeot_fr) && hits.contains(&clio), "tomobil → {hits:?}");
        let (hits, _) = find("سيارة").await;
        assert!(hits.contains(&peugeot_fr), "سيارة → {hits:?}");
        // Glued and spaced letters and digits, Eastern digits.
        let (hits, _) = find("clio 4").await;
        assert_eq!(hits, vec![clio]);
        let (hits, _) = find("clio4").await;
        assert_eq!(hits, vec![clio]);
        let (hits, _) = find("٢٠٨").await;
        assert_eq!(hits, vec![peugeot_fr]);
        // Nothing sensible: nothing at all.
        let (hits, _) = find("xqzwv").await;
        assert!(hits.is_empty());
    })
    .await;
}

#[tokio::test]
async fn facets_and_filters_agree_with_the_database() {
    for backend in souk_tests::backends() {
        let app = TestApp::spawn_seeded(backend, 1500).await;
        let url = app.db.url.clone();
        let sql = move |f: fn(&mut souk_store::DbConn) -> Vec<(String, i64)>| {
            let url = url.clone();
            async move {
                tokio::task::spawn_blocking(move || {
                    f(&mut souk_store::db::establish(&souk_store::DbUrl::parse(&url)).unwrap())
                })
                .await
                .unwrap()
            }
        };
        use diesel::prelude::*;
        use souk_store::schema::listings::dsl as l;

        // Everything active: total and wilaya facet.
        let v: Value = app.get("/v1/search?limit=1").await.json().await.unwrap();
        let db_wilayas = sql(|c| {
            l::listings
                .filter(l::status.eq("active"))
                .filter(l::expires_at.gt(souk_store::now()))
                .group_by(l::wilaya)
                .select((l::wilaya, diesel::dsl::count_star()))
                .load::<(i32, i64)>(c)
                .unwrap()
                .into_iter()
                .map(|(w, n)| (w.to_string(), n))
                .collect()
        })
        .await;
        let total: i64 = db_wilayas.iter().map(|(_, n)| n).sum();
        assert_eq!(v["total"].as_i64(), Some(total), "{backend:?}");
        for (w, n) in &db_wilayas {
            assert_eq!(v["facets"]["wilaya"][w].as_i64(), Some(*n), "wilaya {w}");
        }

        // Cars, diesel, 2015+, 500k–5M DZD: hits equal the SQL count; the fuel facet ignores
        // the fuel filter but keeps the others.
        let q = "category=cars&fuel=diesel&year_min=2015&price_min=500000&price_max=5000000&limit=100&sort=price_asc";
        let v: Value = app
            .get(&format!("/v1/search?{q}"))
            .await
            .json()
            .await
            .unwrap();
        let db_fuels = sql(|c| {
            let rows: Vec<(String, Option<i64>)> = l::listings
                .filter(l::status.eq("active"))
                .filter(l::expires_at.gt(souk_store::now()))
                .filter(l::category.eq("cars"))
                .filter(l::price.between(500_000, 5_000_000))
                .select((l::attributes, l::price))
                .load(c)
                .unwrap();
            let mut by_fuel = std::collections::BTreeMap::<String, i64>::new();
            for (a, _) in rows {
                let a: Value = serde_json::from_str(&a).unwrap();
                if a["year"].as_i64().is_some_and(|y| y >= 2015) {
                    if let Some(f) = a["fuel"].as_str() {
                        *by_fuel.entry(f.to_string()).or_default() += 1;
                    }
                }
            }
            by_fuel.into_iter().collect()
        })
        .await;
        let diesel_n = db_fuels
            .iter()
            .find(|(f, _)| f == "diesel")
            .map(|(_, n)| *n)
            .unwrap_or(0);
        assert!(diesel_n > 0, "the seed has diesel cars in range");
        assert_eq!(v["total"].as_i64(), Some(diesel_n));
        for (fuel, n) in &db_fuels {
            assert_eq!(
                v["facets"]["attributes"]["fuel"][fuel].as_i64(),
                Some(*n),
                "fuel {fuel}"
            );
        }
        let prices: Vec<i64> = v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["price"].as_i64().unwrap())
            .collect();
        assert!(
            prices.windows(2).all(|w| w[0] <= w[1])
                && prices.iter().all(|p| (500_000..=5_000_000).contains(p))
        );

        // Category facet is hierarchical and ignores the category filter.
        let v: Value = app
            .get("/v1/search?category=vehicles&limit=1")
            .await
            .json()
            .await
            .unwrap();
        let cats = v["facets"]["category"].as_array().unwrap();
        let count = |slug: &str| {
            cats.iter()
                .find(|c| c["slug"] == slug)
                .and_then(|c| c["count"].as_i64())
                .unwrap_or(0)
        };
        assert_eq!(
            count("vehicles"),
            count("cars") + count("motorcycles") + count("trucks") + count("vehicle-parts")
        );
        assert_eq!(v["total"].as_i64(), Some(count("vehicles")));
        assert!(
            count("phones") > 0,
            "other categories still counted for multi-select"
        );

        // Cursor pages walk the same list as one big page, without repeats.
        let all: Value = app
            .get("/v1/search?category=phones&limit=100&facets=false")
            .await
            .json()
            .await
            .unwrap();
        let mut walked = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let q = match &cursor {
                Some(c) => format!("/v1/search?category=phones&limit=7&facets=false&cursor={c}"),
                None => "/v1/search?category=phones&limit=7&facets=false".into(),
            };
            let page: Value = app.get(&q).await.json().await.unwrap();
            walked.extend(item_ids(&page));
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => break,
            }
        }
        let expected = item_ids(&all);
        assert_eq!(
            walked[..expected.len().min(walked.len())],
            expected[..],
            "{backend:?}"
        );

        // Radius: every hit within the radius, nearest first, and the SQL count agrees.
        let v: Value = app
            .get("/v1/search?near=36.75,3.06&radius_km=40&sort=distance&limit=100&facets=false")
            .await
            .json()
            .await
            .unwrap();
        let d: Vec<f64> = v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["distance_km"].as_f64().unwrap())
            .collect();
        assert!(
            !d.is_empty() && d.windows(2).all(|w| w[0] <= w[1]) && d.iter().all(|x| *x <= 40.0)
        );
        // To 100 m, like the ads' public coordinates: finer distances from a few searches
        // would place the seller's door.
        assert!(
            d.iter().all(|x| (x * 10.0).round() / 10.0 == *x),
            "distances finer than 0.1 km: {d:?}"
        );
        let near = sql(|c| {
            let pts: Vec<(f64, f64)> = l::listings
                .filter(l::status.eq("active"))
                .filter(l::expires_at.gt(souk_store::now()))
                .select((l::lat, l::lon))
                .load(c)
                .unwrap();
            let n = pts
                .iter()
                .filter(|p| souk_domain::geo::distance_km((36.75, 3.06), **p) <= 40.0)
                .count();
            vec![("n".into(), n as i64)]
        })
        .await;
        assert_eq!(v["total"].as_i64(), Some(near[0].1));
    }
}

#[tokio::test]
async fn bad_search_parameters_are_4xx_problems() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    app.wait_for_search_ready().await;
    let cases: &[(&str, u16, &str, &str)] = &[
        ("colour=red", 422, "validation", "colour"),
        ("category=cars&colour=red", 422, "validation", "colour"),
        ("category=cars&fuel=coal", 422, "validation", "fuel"),
        (
            "category=cars&year_min=2020&year_max=2010",
            422,
            "validation",
            "year_min",
        ),
        ("price_min=10&price_max=1", 422, "validation", "price_min"),
        ("price_min=cheap", 422, "validation", "price_min"),
        (
            "near=36.7,3.0&radius_km=5000",
            422,
            "validation",
            "radius_km",
        ),
        ("near=north", 422, "validation", "near"),
        ("sort=distance", 422, "validation", "sort"),
        ("sort=best", 422, "validation", "sort"),
        ("limit=0", 422, "validation", "limit"),
        ("limit=1000", 422, "validation", "limit"),
        ("wilaya=99", 422, "validation", "wilaya"),
        ("category=spaceships", 422, "validation", "category"),
    ];
    for (q, status, kind, field) in cases {
        let body = assert_problem(app.get(&format!("/v1/search?{q}")).await, *status, kind).await;
        assert!(
            problem_fields(&body).contains(&field.to_string()),
            "{q}: {body}"
        );
    }
    assert_problem(
        app.get("/v1/search?cursor=not-a-cursor").await,
        400,
        "invalid_cursor",
    )
    .await;
    let long = "x".repeat(500);
    assert_problem(
        app.get(&format!("/v1/search?q={long}")).await,
        422,
        "validation",
    )
    .await;
}
