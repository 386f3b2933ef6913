//! Featured slots and urgent badges over real HTTP on both backends: bought with credits,
//! shown only above pages they match, in turn, never twice on a page, counted in the seller's
//! statistics; concurrent purchases with credit for one.

use std::collections::HashMap;
use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};
use souk_tests::{assert_problem, car_ad, each_backend, TestApp};

const SOON: Duration = Duration::from_secs(5);

async fn promote(
    app: &TestApp,
    token: &str,
    id: i64,
    product: &str,
    days: i64,
    key: &str,
) -> reqwest::Response {
    app.call(
        Method::POST,
        &format!("/v1/listings/{id}/promotions"),
        Some(token),
        Some(json!({"product": product, "days": days, "idempotency_key": key})),
    )
    .await
}

async fn post(app: &TestApp, token: &str, title: &str, wilaya: i64, commune: i64) -> i64 {
    app.create_listing(
        token,
        car_ad(json!({"title": title, "wilaya": wilaya, "commune": commune})),
    )
    .await["id"]
        .as_i64()
        .unwrap()
}

fn ids(v: &Value, key: &str) -> Vec<i64> {
    v[key]
        .as_array()
        .map(|a| a.iter().filter_map(|h| h["id"].as_i64()).collect())
        .unwrap_or_default()
}

/// A seller with credits, and their token.
async fn funded_seller(app: &TestApp, email: &str, amount: i64) -> String {
    let boss = app.user(&format!("boss-{email}")).await;
    app.make_admin(&format!("boss-{email}"));
    let seller = app.user(email).await;
    let id = app.user_id(&seller).await;
    let res = app
        .grant(&boss, id, amount, &format!("grant-{id}-start"))
        .await;
    assert_eq!(res.status(), 201);
    seller
}

#[tokio::test]
async fn featured_ads_show_above_matching_pages_only_in_turn_and_never_twice() {
    each_backend(|app| async move {
        app.wait_for_search_ready().await;
        let price = souk_domain::visibility::products().featured.price_per_day;
        let seller = funded_seller(&app, "featured@example.dz", 100 * price).await;
        let other = app.user("organic@example.dz").await;
        let p208 = post(&app, &seller, "Peugeot 208 allure a vendre", 16, 1601).await;
        let p308 = post(&app, &seller, "Peugeot 308 GT line", 16, 1601).await;
        // Another make altogether (car_ad's attributes name a Peugeot).
        let clio = app
            .create_listing(
                &seller,
                car_ad(json!({"title": "Renault Clio 5 essence", "attributes": {
                    "brand": "renault", "model": "clio", "year": 2020, "mileage_km": 40000,
                    "fuel": "diesel", "gearbox": "manual"}})),
            )
            .await["id"]
            .as_i64()
            .unwrap();
        let oran = post(&app, &seller, "Peugeot 2008 GT a Oran", 31, 3101).await;
        let organic = post(&app, &other, "Peugeot 208 premiere main", 16, 1601).await;
        for (i, id) in [p208, p308, clio, oran].iter().enumerate() {
            let res = promote(&app, &seller, *id, "featured", 7, &format!("feat-{i}-key")).await;
            assert_eq!(res.status(), 200);
            let body: Value = res.json().await.unwrap();
            assert_eq!(body["charged"], 7 * price);
        }
        app.settle().await;

        // A query: only the featured ads it matches (words and filters), marked, not repeated.
        let (page, _) = app
            .search_until("q=peugeot&wilaya=16&sort=newest&limit=1", SOON, |v| {
                ids(v, "promoted").len() == 2
            })
            .await;
        let promoted = ids(&page, "promoted");
        let mut sorted = promoted.clone();
        sorted.sort();
        assert_eq!(
            sorted,
            vec![p208, p308],
            "clio does not match, oran is filtered out"
        );
        for h in page["promoted"].as_array().unwrap() {
            assert_eq!(h["promoted"], true);
        }
        let items = ids(&page, "items");
        assert!(items.contains(&organic));
        assert!(
            promoted.iter().all(|p| !items.contains(p)),
            "a featured ad repeated in the organic hits: {promoted:?} in {items:?}"
        );
        assert!(page["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["promoted"] == false));

        // A narrow search, fewer hits than a page, its one featured ad among them: the ad
        // takes its slot on top (before, the slot passed it over and the seller who paid saw
        // no difference) and is not repeated below.
        let (narrow, _) = app
            .search_until("q=peugeot%20308%20gt%20line&wilaya=16", SOON, |v| {
                !ids(v, "promoted").is_empty()
            })
            .await;
        assert_eq!(ids(&narrow, "promoted"), vec![p308], "{narrow}");
        assert!(!ids(&narrow, "items").contains(&p308), "{narrow}");
        assert_eq!(narrow["promoted"][0]["promoted"], true);

        // A page nothing featured matches shows no slot.
        let none: Value = app
            .get("/v1/search?q=clio&wilaya=31")
            .await
            .json()
            .await
            .unwrap();
        assert!(ids(&none, "promoted").is_empty(), "{none}");
        let none: Value = app.get("/v1/search?q=megane").await.json().await.unwrap();
        assert!(ids(&none, "promoted").is_empty());

        // Browsing the category in Algiers: three featured ads take turns, two a page.
        let mut shown: HashMap<i64, usize> = HashMap::new();
        for _ in 0..30 {
            let page: Value = app
                .get("/v1/search?category=cars&wilaya=16&sort=newest&limit=1")
                .await
                .json()
                .await
                .unwrap();
            let promoted = ids(&page, "promoted");
            assert_eq!(promoted.len(), 2, "{page}");
            assert_ne!(promoted[0], promoted[1]);
            let items = ids(&page, "items");
            assert!(promoted.iter().all(|p| !items.contains(p)));
            for p in promoted {
                *shown.entry(p).or_default() += 1;
            }
        }
        let mut counts: Vec<usize> = shown.values().copied().collect();
        counts.sort();
        assert_eq!(shown.len(), 3, "{shown:?}");
        assert!(
            counts[2] - counts[0] <= 2,
            "rotation is not fair: {shown:?}"
        );

        // Browse pages carry them too. A featured ad among a page's own hits takes its slot
        // and leaves the page's items: never twice on a page.
        let mut pages = Vec::new();
        for query in [
            "per_page=20",
            "per_page=2&page=1",
            "per_page=2&page=2",
            "per_page=2&page=3",
        ] {
            pages.push(
                app.browse(&format!("category=cars&wilaya=16&{query}"))
                    .await,
            );
        }
        for page in &pages {
            let promoted = ids(page, "promoted");
            assert_eq!(promoted.len(), 2, "{page}");
            assert!(
                promoted.iter().all(|p| !ids(page, "items").contains(p)),
                "{page}"
            );
        }
        // The whole list: its four ads, the two on top and the rest below.
        let mut whole: Vec<i64> = ids(&pages[0], "items");
        whole.extend(ids(&pages[0], "promoted"));
        whole.sort();
        let mut expected = vec![p208, p308, clio, organic];
        expected.sort();
        assert_eq!(whole, expected);
        assert_eq!(pages[0]["total"], 4, "the total is the organic list's");
        // Numbered pages neither skip nor repeat an ad: every ad is on some page, as an item
        // or on top, and no item is on two pages.
        let paged: Vec<i64> = pages[1..].iter().flat_map(|p| ids(p, "items")).collect();
        let mut once = paged.clone();
        once.sort();
        once.dedup();
        assert_eq!(once.len(), paged.len(), "an item on two pages: {paged:?}");
        for id in &expected {
            assert!(
                pages[1..]
                    .iter()
                    .any(|p| ids(p, "items").contains(id) || ids(p, "promoted").contains(id)),
                "ad {id} skipped by the numbered pages"
            );
        }
        for page in &pages {
            for p in ids(page, "promoted") {
                *shown.entry(p).or_default() += 1;
            }
        }

        // Impressions and clicks reach the seller's statistics.

        let buyer = app.user("clicker@example.dz").await;
        for _ in 0..2 {
            let res = app
                .call(
                    Method::GET,
                    &format!("/v1/listings/{clio}?from=promoted"),
                    Some(&buyer),
                    None,
                )
                .await;
            assert_eq!(res.status(), 200);
        }
        assert_problem(
            app.get(&format!("/v1/listings/{clio}?from=elsewhere"))
                .await,
            422,
            "validation",
        )
        .await;
        let start = std::time::Instant::now();
        loop {
            let res = app
                .call(
                    Method::GET,
                    &format!("/v1/me/listings/{clio}/stats"),
                    Some(&seller),
                    None,
                )
                .await;
            let stats: Value = res.json().await.unwrap();
            let (imp, clicks) = (
                stats["total_promoted_impressions"].as_i64().unwrap(),
                stats["total_promoted_clicks"].as_i64().unwrap(),
            );
            let want = shown[&clio] as i64;
            if imp == want && clicks == 1 {
                break;
            }
            assert!(
                start.elapsed() < SOON,
                "impressions {imp} (want {}), clicks {clicks} (want 1)",
                shown[&clio]
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
}

#[tokio::test]
async fn urgent_ads_carry_the_badge_and_the_filter_finds_them() {
    each_backend(|app| async move {
        app.wait_for_search_ready().await;
        let seller = funded_seller(&app, "urgent@example.dz", 10_000).await;
        let rushed = post(&app, &seller, "Golf 7 urgent depart", 16, 1601).await;
        let calm = post(&app, &seller, "Golf 6 sans urgence", 16, 1601).await;
        let res = promote(&app, &seller, rushed, "urgent", 3, "urgent-key-1").await;
        assert_eq!(res.status(), 200);
        let (page, _) = app
            .search_until("q=golf&urgent=true", SOON, |v| {
                ids(v, "items") == vec![rushed]
            })
            .await;
        assert_eq!(page["items"][0]["urgent"], true);
        let all: Value = app.get("/v1/search?q=golf").await.json().await.unwrap();
        let badge: HashMap<i64, bool> = all["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| (h["id"].as_i64().unwrap(), h["urgent"].as_bool().unwrap()))
            .collect();
        assert!(badge[&rushed]);
        assert!(!badge[&calm]);

        // Once the badge has ended, the worker's sweep takes it off.
        app.sql(&format!(
            "UPDATE listing_marks SET urgent_until = {} WHERE listing_id = {rushed}",
            app.sql_minutes_ago(1)
        ));
        app.run_worker_once().await;
        app.search_until("q=golf&urgent=true", SOON, |v| ids(v, "items").is_empty())
            .await;

        // Bad input is 422, someone else's ad 403 (usecases::ownership), a retry pays once.
        assert_problem(
            promote(&app, &seller, calm, "gold", 3, "urgent-key-2").await,
            422,
            "validation",
        )
        .await;
        assert_problem(
            promote(&app, &seller, calm, "urgent", 0, "urgent-key-3").await,
            422,
            "validation",
        )
        .await;
        let stranger = app.user("stranger@example.dz").await;
        assert_problem(
            promote(&app, &stranger, calm, "urgent", 1, "urgent-key-4").await,
            403,
            "forbidden",
        )
        .await;
        let before = app.balance(&seller).await;
        for _ in 0..2 {
            assert_eq!(
                promote(&app, &seller, calm, "urgent", 2, "urgent-key-5")
                    .await
                    .status(),
                200
            );
        }
        let per_day = souk_domain::visibility::products().urgent.price_per_day;
        assert_eq!(app.balance(&seller).await, before - 2 * per_day);
    })
    .await;
}

#[tokio::test]
async fn two_purchases_racing_for_credit_for_one_make_one_sale() {
    each_backend(|app| async move {
        app.wait_for_search_ready().await;
        let price = souk_domain::visibility::products().featured.price_per_day;
        let seller = funded_seller(&app, "racer@example.dz", price).await;
        let a = post(&app, &seller, "Kia Picanto 2020 toutes options", 16, 1601).await;
        let b = post(&app, &seller, "Hyundai i10 2019 climatisee", 16, 1601).await;
        let (ra, rb) = tokio::join!(
            promote(&app, &seller, a, "featured", 1, "race-key-a"),
            promote(&app, &seller, b, "featured", 1, "race-key-b"),
        );
        let mut statuses = vec![ra.status().as_u16(), rb.status().as_u16()];
        statuses.sort();
        assert_eq!(statuses, vec![200, 402]);
        assert_eq!(app.balance(&seller).await, 0);
    })
    .await;
}
