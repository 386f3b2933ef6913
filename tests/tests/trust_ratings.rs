//! Ratings after a real exchange: both sides wrote, once per side, double-blind, answered
//! once, removable by moderators, not counted from banned accounts.

use reqwest::Method;
use serde_json::{json, Value};
use souk_tests::{assert_problem, car_ad, each_backend, TestApp};

async fn json_of(res: reqwest::Response) -> Value {
    res.json().await.expect("json")
}

async fn me_id(app: &TestApp, token: &str) -> i64 {
    json_of(app.call(Method::GET, "/v1/me", Some(token), None).await).await["id"]
        .as_i64()
        .unwrap()
}

async fn rate(app: &TestApp, token: &str, thread: i64, body: Value) -> reqwest::Response {
    app.call(
        Method::POST,
        &format!("/v1/conversations/{thread}/rating"),
        Some(token),
        Some(body),
    )
    .await
}

/// A seller, a buyer, an ad and a thread; `answered`: the seller wrote back.
async fn exchange(app: &TestApp, answered: bool) -> (String, String, i64) {
    let seller = app.user("seller@example.dz").await;
    let buyer = app.user("buyer@example.dz").await;
    let ad = app.create_listing(&seller, car_ad(json!({}))).await;
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
    if answered {
        let res = app
            .call(
                Method::POST,
                &format!("/v1/conversations/{thread}/messages"),
                Some(&seller),
                Some(json!({"message": "Oui, passez samedi."})),
            )
            .await;
        assert_eq!(res.status(), 201);
    }
    (seller, buyer, thread)
}

#[tokio::test]
async fn ratings_follow_an_exchange_and_stay_hidden_until_both_rated() {
    each_backend(|app| async move {
        let (seller, buyer, thread) = exchange(&app, true).await;
        let seller_id = me_id(&app, &seller).await;
        let res = rate(&app, &buyer, thread, json!({"stars": 5, "tags": ["as_described", "punctual"], "comment": "Voiture conforme, vendeur sérieux"})).await;
        assert_eq!(res.status(), 201);
        assert_problem(rate(&app, &buyer, thread, json!({"stars": 1})).await, 409, "already_rated").await;
        // Hidden while the seller has not rated: no retaliation possible.
        let page = json_of(app.get(&format!("/v1/users/{seller_id}/ratings")).await).await;
        assert_eq!(page["summary"]["count"], 0, "{page}");
        let res = rate(&app, &seller, thread, json!({"stars": 4, "tags": ["polite"]})).await;
        assert_eq!(res.status(), 201);
        let page = json_of(app.get(&format!("/v1/users/{seller_id}/ratings")).await).await;
        assert_eq!(page["summary"]["count"], 1);
        assert_eq!(page["summary"]["average"], 5.0);
        assert_eq!(page["summary"]["distribution"], json!([0, 0, 0, 0, 1]));
        assert_eq!(page["items"][0]["tags"], json!(["as_described", "punctual"]));
        let profile = json_of(app.get(&format!("/v1/users/{seller_id}")).await).await;
        assert_eq!(profile["rating"]["count"], 1);
        // The rated person answers once, publicly.
        let rating_id = page["items"][0]["id"].as_i64().unwrap();
        let res = app
            .call(Method::POST, &format!("/v1/ratings/{rating_id}/answer"), Some(&seller), Some(json!({"text": "Merci, bonne route !"})))
            .await;
        assert_eq!(res.status(), 200);
        let res = app
            .call(Method::POST, &format!("/v1/ratings/{rating_id}/answer"), Some(&seller), Some(json!({"text": "Encore merci"})))
            .await;
        assert_problem(res, 409, "already_answered").await;
        let res = app
            .call(Method::POST, &format!("/v1/ratings/{rating_id}/answer"), Some(&buyer), Some(json!({"text": "Pas à moi"})))
            .await;
        assert_problem(res, 404, "not_found").await;
        // A moderator removes it: gone from the average, logged.
        let moderator = app.user("mod@example.dz").await;
        app.make_moderator("mod@example.dz");
        let res = app
            .call(Method::POST, &format!("/v1/mod/ratings/{rating_id}/remove"), Some(&moderator), Some(json!({"text": "avis acheté"})))
            .await;
        assert_eq!(res.status(), 204);
        let page = json_of(app.get(&format!("/v1/users/{seller_id}/ratings")).await).await;
        assert_eq!(page["summary"]["count"], 0);
    })
    .await;
}

#[tokio::test]
async fn no_rating_without_an_exchange_from_strangers_or_with_bad_fields() {
    each_backend(|app| async move {
        let (_seller, buyer, thread) = exchange(&app, false).await;
        // Only the buyer wrote: no transaction to rate.
        assert_problem(
            rate(&app, &buyer, thread, json!({"stars": 5})).await,
            409,
            "no_exchange",
        )
        .await;
        let stranger = app.user("stranger@example.dz").await;
        assert_problem(
            rate(&app, &stranger, thread, json!({"stars": 1})).await,
            404,
            "not_found",
        )
        .await;
        let body = assert_problem(
            rate(&app, &buyer, thread, json!({"stars": 9, "tags": ["rich"]})).await,
            422,
            "validation",
        )
        .await;
        assert_eq!(body["errors"].as_array().unwrap().len(), 2);
        let body = assert_problem(
            rate(
                &app,
                &buyer,
                thread,
                json!({"stars": 1, "comment": "appelez-moi au 0551 23 45 67"}),
            )
            .await,
            422,
            "validation",
        )
        .await;
        assert_eq!(body["errors"][0]["code"], "contact_in_text");
    })
    .await;
}

#[tokio::test]
async fn a_rating_shows_after_two_weeks_and_banned_raters_do_not_count() {
    each_backend(|app| async move {
        let (seller, buyer, thread) = exchange(&app, true).await;
        let seller_id = me_id(&app, &seller).await;
        let buyer_id = me_id(&app, &buyer).await;
        assert_eq!(
            rate(&app, &buyer, thread, json!({"stars": 2}))
                .await
                .status(),
            201
        );
        {
            use diesel::prelude::*;
            use souk_store::schema::ratings;
            diesel::update(ratings::table)
                .set(ratings::created_at.eq(souk_store::now() - chrono::Duration::days(15)))
                .execute(&mut app.store())
                .unwrap();
        }
        let page = json_of(app.get(&format!("/v1/users/{seller_id}/ratings")).await).await;
        assert_eq!(page["summary"]["count"], 1, "visible after 14 days: {page}");
        {
            let mut conn = app.store();
            souk_store::moderation::ban_user(&mut conn, buyer_id, "fraude", None).unwrap();
        }
        let page = json_of(app.get(&format!("/v1/users/{seller_id}/ratings")).await).await;
        assert_eq!(
            page["summary"]["count"], 0,
            "a banned account's ratings stop counting"
        );
    })
    .await;
}

#[tokio::test]
async fn search_hits_carry_the_sellers_visible_average() {
    each_backend(|app| async move {
        let (seller, buyer, thread) = exchange(&app, true).await;
        let state = &app.running.state;
        let refresh = || state.seller_ratings.refresh(&state.pool).unwrap();
        app.settle().await;
        let hit = |page: Value| page["items"][0]["seller_rating"].clone();
        assert_eq!(hit(app.browse("category=cars").await), Value::Null);
        assert_eq!(
            rate(&app, &buyer, thread, json!({"stars": 4}))
                .await
                .status(),
            201
        );
        refresh();
        // Still blind: the seller has not rated.
        assert_eq!(hit(app.browse("category=cars").await), Value::Null);
        assert_eq!(
            rate(&app, &seller, thread, json!({"stars": 5}))
                .await
                .status(),
            201
        );
        refresh();
        let search: Value = app.get("/v1/search?q=peugeot").await.json().await.unwrap();
        assert_eq!(hit(search), json!({"average": 4.0, "count": 1}));
        assert_eq!(
            hit(app.browse("category=cars").await),
            json!({"average": 4.0, "count": 1})
        );
    })
    .await;
}

/// Issue 23: a rival who asked a question on each of a seller's three ads, got an answer and
/// rated one star three times counted three times (count 3, average 1.0). One rating per
/// rater counts (the latest), on the profile and in result lists; another buyer's counts apart.
#[tokio::test]
async fn one_person_counts_once_however_many_conversations() {
    each_backend(|app| async move {
        let seller = app.user("seller@example.dz").await;
        let rival = app.user("rival@example.dz").await;
        let buyer = app.user("buyer@example.dz").await;
        let seller_id = me_id(&app, &seller).await;
        let mut threads = Vec::new();
        for (i, model) in ["208", "308", "2008"].iter().enumerate() {
            let ad = app
                .create_listing(
                    &seller,
                    car_ad(json!({"title": format!("Peugeot {model} diesel, annonce {i}"),
                                  "attributes": {"brand": "peugeot", "model": model, "year": 2019, "mileage_km": 85000, "fuel": "diesel", "gearbox": "manual"}})),
                )
                .await;
            let thread = json_of(
                app.call(
                    Method::POST,
                    &format!("/v1/listings/{}/contact", ad["id"]),
                    Some(&rival),
                    Some(json!({"message": "Salam, toujours disponible ?", "name": "Karim"})),
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
                    Some(json!({"message": "Oui, passez samedi."})),
                )
                .await;
            assert_eq!(res.status(), 201);
            threads.push(thread);
        }
        for (i, thread) in threads.iter().enumerate() {
            let stars = if i == 2 { 2 } else { 1 };
            assert_eq!(rate(&app, &rival, *thread, json!({"stars": stars})).await.status(), 201);
        }
        // The positive control: another person's exchange and rating.
        let buyer_thread = {
            let ad = app
                .create_listing(&seller, car_ad(json!({"title": "Renault Clio 4 essence 2017"})))
                .await;
            let thread = json_of(
                app.call(
                    Method::POST,
                    &format!("/v1/listings/{}/contact", ad["id"]),
                    Some(&buyer),
                    Some(json!({"message": "Bonjour, encore dispo ?", "name": "Amine"})),
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
                    Some(json!({"message": "Oui."})),
                )
                .await;
            assert_eq!(res.status(), 201);
            thread
        };
        assert_eq!(rate(&app, &buyer, buyer_thread, json!({"stars": 5})).await.status(), 201);
        // Out of the blind period, oldest first in the order they were given.
        {
            use diesel::prelude::*;
            use souk_store::schema::ratings;
            let mut conn = app.store();
            let ids: Vec<i64> = ratings::table
                .order(ratings::id.asc())
                .select(ratings::id)
                .load(&mut conn)
                .unwrap();
            for (n, id) in ids.iter().enumerate() {
                diesel::update(ratings::table.find(id))
                    .set(ratings::created_at.eq(
                        souk_store::now() - chrono::Duration::days(20) + chrono::Duration::minutes(n as i64),
                    ))
                    .execute(&mut conn)
                    .unwrap();
            }
        }
        let page = json_of(app.get(&format!("/v1/users/{seller_id}/ratings")).await).await;
        assert_eq!(page["summary"]["count"], 2, "one rating per person: {page}");
        assert_eq!(page["summary"]["average"], 3.5, "the rival's latest (2) and the buyer's (5)");
        assert_eq!(page["summary"]["distribution"], json!([0, 1, 0, 0, 1]));
        let profile = json_of(app.get(&format!("/v1/users/{seller_id}")).await).await;
        assert_eq!(profile["rating"]["count"], 2, "{profile}");
        // Result lists read the same rule (souk_store::ratings::visible_summaries).
        let summaries = souk_store::ratings::visible_summaries(&mut app.store()).unwrap();
        let mine = summaries.iter().find(|s| s.0 == seller_id).copied();
        assert_eq!(mine, Some((seller_id, 2, 3.5)), "{summaries:?}");
    })
    .await;
}

/// Issue 23, item 2: raters weigh like reporters. A rival's fresh account moved an average as
/// much as a buyer of long standing; now a rating counts a quarter from an account under a
/// week old when it rated, a half under a month, fully after.
#[tokio::test]
async fn a_fresh_accounts_rating_weighs_less_than_an_established_buyers() {
    each_backend(|app| async move {
        let seller = app.user("seller@example.dz").await;
        let seller_id = me_id(&app, &seller).await;
        let mut rated = Vec::new();
        for (email, stars) in [("old-buyer@example.dz", 5), ("fresh-rival@example.dz", 1)] {
            let buyer = app.user(email).await;
            let ad = app
                .create_listing(
                    &seller,
                    car_ad(json!({"title": format!("Peugeot 208 pour {stars}")})),
                )
                .await;
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
                    Some(&seller),
                    Some(json!({"message": "Oui."})),
                )
                .await;
            assert_eq!(res.status(), 201);
            rated.push((buyer, thread, stars));
        }
        // The buyer's account is two months old, the rival's from today.
        app.age_account("old-buyer@example.dz", 60);
        for (buyer, thread, stars) in &rated {
            assert_eq!(
                rate(&app, buyer, *thread, json!({"stars": stars}))
                    .await
                    .status(),
                201
            );
        }
        // Out of the blind period (a day later: the rival's account was a day old).
        {
            use diesel::prelude::*;
            use souk_store::schema::ratings;
            diesel::update(ratings::table)
                .set(ratings::created_at.eq(souk_store::now() - chrono::Duration::days(15)))
                .execute(&mut app.store())
                .unwrap();
            diesel::update(
                souk_store::schema::users::table
                    .filter(souk_store::schema::users::email.eq("fresh-rival@example.dz")),
            )
            .set(
                souk_store::schema::users::created_at
                    .eq(souk_store::now() - chrono::Duration::days(16)),
            )
            .execute(&mut app.store())
            .unwrap();
        }
        let page = json_of(app.get(&format!("/v1/users/{seller_id}/ratings")).await).await;
        assert_eq!(page["summary"]["count"], 2, "{page}");
        assert_eq!(
            page["summary"]["average"], 4.2,
            "(5 × 1 + 1 × 0.25) / 1.25: {page}"
        );
        let summaries = souk_store::ratings::visible_summaries(&mut app.store()).unwrap();
        let mine = summaries.iter().find(|s| s.0 == seller_id).copied();
        assert_eq!(mine, Some((seller_id, 2, 4.2)), "{summaries:?}");
    })
    .await;
}
