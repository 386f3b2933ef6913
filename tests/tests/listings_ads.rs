//! Listings: the seller's whole journey, ownership on every write, privacy of the seller,
//! statuses, browse filters.

use reqwest::Method;
use serde_json::{json, Value};
use souk_tests::{assert_problem, car_ad, each_backend, problem_fields};

#[tokio::test]
async fn post_read_edit_sell_renew_delete_with_owner_checks() {
    each_backend(|app| async move {
        let seller = app.user("seller@example.dz").await;
        let buyer = app.user("buyer@example.dz").await;

        let ad = app.create_listing(&seller, car_ad(json!({}))).await;
        let id = ad["id"].as_i64().unwrap();
        assert_eq!(ad["status"], "active");
        assert_eq!(ad["category"]["path"], json!(["vehicles", "cars"]));
        assert_eq!(ad["wilaya"]["name_latin"], "Alger");
        assert_eq!(ad["commune"]["id"], 1601);
        assert_eq!(ad["attributes"]["year"], 2019);
        let created = chrono_secs(&ad["created_at"]);
        let expires = chrono_secs(&ad["expires_at"]);
        assert!(
            (expires - created - 60 * 86_400).abs() < 5,
            "expires 60 days after creation"
        );

        // Anonymous read: no email anywhere, no phone unless published.
        let public: Value = app
            .get(&format!("/v1/listings/{id}"))
            .await
            .json()
            .await
            .unwrap();
        let text = public.to_string();
        assert!(
            !text.contains("seller@example.dz") && !text.contains('@'),
            "{text}"
        );
        assert_eq!(public["seller"]["phone_available"], false);
        assert_eq!(public["views"], 1);

        // Strangers: 403 on every write; unknown ids: 404.
        let path = format!("/v1/listings/{id}");
        assert_problem(
            app.call(
                Method::PATCH,
                &path,
                Some(&buyer),
                Some(json!({"price": 1})),
            )
            .await,
            403,
            "forbidden",
        )
        .await;
        assert_problem(
            app.call(Method::DELETE, &path, Some(&buyer), None).await,
            403,
            "forbidden",
        )
        .await;
        assert_problem(
            app.call(Method::POST, &format!("{path}/sold"), Some(&buyer), None)
                .await,
            403,
            "forbidden",
        )
        .await;
        assert_problem(
            app.call(Method::POST, &format!("{path}/renew"), Some(&buyer), None)
                .await,
            403,
            "forbidden",
        )
        .await;
        assert_problem(
            app.call(
                Method::PATCH,
                "/v1/listings/999999",
                Some(&seller),
                Some(json!({"price": 1})),
            )
            .await,
            404,
            "not_found",
        )
        .await;
        assert_problem(
            app.call(Method::PATCH, &path, None, Some(json!({"price": 1})))
                .await,
            401,
            "missing_token",
        )
        .await;

        // The owner edits: price on request, phone published, moved commune.
        let res = app
            .call(
                Method::PATCH,
                &path,
                Some(&seller),
                Some(json!({"price": null, "show_phone": true, "commune": 1602})),
            )
            .await;
        assert_eq!(res.status(), 200);
        let edited: Value = res.json().await.unwrap();
        assert_eq!(edited["price"], Value::Null);
        assert_eq!(edited["commune"]["id"], 1602);
        assert_eq!(edited["title"], ad["title"]);
        let public: Value = app.get(&path).await.json().await.unwrap();
        // The number is never in the ad (it is revealed, counted, by POST …/phone), and only
        // a confirmed one is offered: this seller has not confirmed theirs.
        assert!(!public.to_string().contains("551234567"), "{public}");
        assert_eq!(public["seller"]["phone_available"], false);

        // An edit that breaks a rule is refused as a whole and changes nothing.
        let res = app
            .call(
                Method::PATCH,
                &path,
                Some(&seller),
                Some(json!({"category": "smartphones", "title": "Samsung S23"})),
            )
            .await;
        let body = assert_problem(res, 422, "validation").await;
        assert!(
            problem_fields(&body)
                .iter()
                .any(|f| f.starts_with("attributes.")),
            "{body}"
        );
        let unchanged: Value = app.get(&path).await.json().await.unwrap();
        assert_eq!(unchanged["category"]["slug"], "cars");

        // Sold: leaves browse (where it is until then), cannot be edited or sold twice.
        assert_eq!(app.browse("").await["total"], 1, "active ads are browsed");
        let sold: Value = app
            .call(Method::POST, &format!("{path}/sold"), Some(&seller), None)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(sold["status"], "sold");
        assert_problem(
            app.call(Method::POST, &format!("{path}/sold"), Some(&seller), None)
                .await,
            409,
            "not_active",
        )
        .await;
        assert_problem(
            app.call(
                Method::PATCH,
                &path,
                Some(&seller),
                Some(json!({"price": 5})),
            )
            .await,
            409,
            "listing_sold",
        )
        .await;
        let page: Value = app.browse("").await;
        assert_eq!(page["total"], 0);
        let mine: Value = app
            .call(Method::GET, "/v1/me/listings", Some(&seller), None)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(mine["items"][0]["status"], "sold");

        // Deleted: gone for everyone, including its owner's writes.
        assert_eq!(
            app.call(Method::DELETE, &path, Some(&seller), None)
                .await
                .status(),
            204
        );
        assert_problem(app.get(&path).await, 404, "not_found").await;
        assert_problem(
            app.call(Method::DELETE, &path, Some(&seller), None).await,
            404,
            "not_found",
        )
        .await;
        let mine: Value = app
            .call(Method::GET, "/v1/me/listings", Some(&seller), None)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(mine["total"], 0);
    })
    .await;
}

fn chrono_secs(v: &Value) -> i64 {
    let s = v.as_str().expect("timestamp string");
    chrono_parse(s)
}

/// Seconds since the epoch of an RFC 3339 UTC timestamp (`2026-11-24T23:40:35.88Z`).
fn chrono_parse(s: &str) -> i64 {
    let date: Vec<i64> = s[..10].split('-').map(|p| p.parse().unwrap()).collect();
    let time: Vec<i64> = s[11..19].split(':').map(|p| p.parse().unwrap()).collect();
    let (y, m, d) = (date[0], date[1], date[2]);
    // Days from civil (Howard Hinnant's algorithm).
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    days * 86_400 + time[0] * 3600 + time[1] * 60 + time[2]
}

#[tokio::test]
async fn renew_brings_an_expired_ad_back() {
    each_backend(|app| async move {
        let seller = app.user("renew@example.dz").await;
        let ad = app.create_listing(&seller, car_ad(json!({}))).await;
        let id = ad["id"].as_i64().unwrap();
        // Its date passes before any sweep ran: it already reads as expired and leaves browse.
        {
            use diesel::prelude::*;
            use souk_store::schema::listings;
            let mut conn = app.store();
            let past = souk_store::now() - chrono::Duration::minutes(1);
            diesel::update(listings::table.find(id))
                .set(listings::expires_at.eq(past))
                .execute(&mut conn)
                .unwrap();
            // Every write to a listing goes into the change feed with it; without this row the
            // index would keep the old date and the ad would stay in browse until some other
            // write (a view-count flush) happened to re-index it.
            souk_store::changes::record_change(&mut conn, id).unwrap();
        }
        let read: Value = app
            .get(&format!("/v1/listings/{id}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(read["status"], "expired");
        let sold = app
            .call(
                Method::POST,
                &format!("/v1/listings/{id}/sold"),
                Some(&seller),
                None,
            )
            .await;
        assert_problem(sold, 409, "not_active").await;
        let page: Value = app.browse("").await;
        assert_eq!(page["total"], 0);
        let renewed: Value = app
            .call(
                Method::POST,
                &format!("/v1/listings/{id}/renew"),
                Some(&seller),
                None,
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(renewed["status"], "active");
        assert!(chrono_secs(&renewed["expires_at"]) >= chrono_secs(&ad["expires_at"]));
        let page: Value = app.browse("").await;
        assert_eq!(page["total"], 1);
    })
    .await;
}

#[tokio::test]
async fn attributes_are_checked_against_the_category_schema() {
    each_backend(|app| async move {
        let seller = app.user("schema@example.dz").await;
        let bad = car_ad(json!({
            "attributes": {"brand": "trabant", "year": 1800, "mileage_km": "a lot", "fuel": "coal", "colour": "red"},
            "price": -5,
            "commune": 3101
        }));
        let res = app.call(Method::POST, "/v1/listings", Some(&seller), Some(bad)).await;
        let body = assert_problem(res, 422, "validation").await;
        let fields = problem_fields(&body);
        for f in ["attributes.brand", "attributes.year", "attributes.mileage_km", "attributes.fuel", "attributes.colour", "price", "commune"] {
            assert!(fields.contains(&f.to_string()), "{f} missing in {fields:?}");
        }
        let codes: Vec<&str> = body["errors"].as_array().unwrap().iter().map(|e| e["code"].as_str().unwrap()).collect();
        assert!(codes.contains(&"unknown_attribute") && codes.contains(&"out_of_range") && codes.contains(&"commune_not_in_wilaya"));

        let inner = car_ad(json!({"category": "vehicles"}));
        let res = app.call(Method::POST, "/v1/listings", Some(&seller), Some(inner)).await;
        assert_eq!(problem_fields(&assert_problem(res, 422, "validation").await), vec!["category"]);

        let flat = json!({"title": "Appartement F3 à Bab Ezzouar", "description": "Bel appartement, 3ème étage, acte notarié.",
            "category": "real-estate-sale", "attributes": {"property_type": "apartment", "rooms": 3, "surface_m2": 85, "furnished": false, "papers": "acte"},
            "price": 18000000, "wilaya": 16, "commune": 1601, "location": {"lat": 36.72, "lon": 3.18}});
        let ad = app.create_listing(&seller, flat).await;
        assert_eq!(ad["location"], json!({"lat": 36.72, "lon": 3.18}));
        let far = car_ad(json!({"location": {"lat": 35.69, "lon": -0.63}}));
        let res = app.call(Method::POST, "/v1/listings", Some(&seller), Some(far)).await;
        assert_eq!(problem_fields(&assert_problem(res, 422, "validation").await), vec!["location"]);
    })
    .await;
}

#[tokio::test]
async fn browse_filters_by_category_subtree_and_wilaya_newest_first() {
    each_backend(|app| async move {
        let seller = app.user("browse@example.dz").await;
        let car_algiers = app.create_listing(&seller, car_ad(json!({"title": "Clio 4 Alger"}))).await;
        let car_oran = app.create_listing(&seller, car_ad(json!({"title": "Clio 4 Oran", "wilaya": 31, "commune": 3101}))).await;
        let phone = app
            .create_listing(
                &seller,
                json!({"title": "Samsung Galaxy S23 كالجديد", "description": "Comme neuf, avec boîte et chargeur.", "category": "smartphones",
                       "attributes": {"brand": "samsung", "storage_gb": 256, "condition": "like_new"}, "price": 120000, "wilaya": 16, "commune": 1601}),
            )
            .await;
        let ids = |v: &Value| v["items"].as_array().unwrap().iter().map(|i| i["id"].as_i64().unwrap()).collect::<Vec<_>>();

        let all: Value = app.browse("").await;
        assert_eq!(ids(&all), vec![phone["id"].as_i64().unwrap(), car_oran["id"].as_i64().unwrap(), car_algiers["id"].as_i64().unwrap()]);
        let vehicles: Value = app.browse("category=vehicles").await;
        assert_eq!(vehicles["total"], 2);
        let cars_16: Value = app.browse("category=cars&wilaya=16").await;
        assert_eq!(ids(&cars_16), vec![car_algiers["id"].as_i64().unwrap()]);
        assert_eq!(cars_16["items"][0]["wilaya"]["name_ar"], "الجزائر");
        let paged: Value = app.browse("per_page=1&page=2").await;
        assert_eq!(ids(&paged), vec![car_oran["id"].as_i64().unwrap()]);
        assert_eq!(paged["total"], 3);

        assert_problem(app.get("/v1/listings?category=spaceships").await, 422, "validation").await;
        assert_problem(app.get("/v1/listings?wilaya=70").await, 422, "validation").await;
        assert_problem(app.get("/v1/listings?per_page=1000").await, 422, "validation").await;
        assert_problem(app.get("/v1/listings?page=abc").await, 400, "invalid_query").await;
    })
    .await;
}

#[tokio::test]
async fn posting_is_rate_limited_per_user() {
    each_backend(|app| async move {
        let seller = app.user("flood@example.dz").await;
        for i in 0..30 {
            let title = format!("Peugeot 208 n°{i} diesel propre");
            app.create_listing(&seller, car_ad(json!({"title": title})))
                .await;
        }
        let res = app
            .call(
                Method::POST,
                "/v1/listings",
                Some(&seller),
                Some(car_ad(json!({}))),
            )
            .await;
        assert!(res.headers().contains_key("retry-after"));
        assert_problem(res, 429, "rate_limited").await;
        let other = app.user("calm@example.dz").await;
        app.create_listing(&other, car_ad(json!({}))).await;
    })
    .await;
}

#[tokio::test]
async fn reposting_ones_own_active_ad_is_refused_with_the_way_to_renew_it() {
    each_backend(|app| async move {
        let seller = app.user("bumper@example.dz").await;
        let ad = app.create_listing(&seller, car_ad(json!({}))).await;
        let id = ad["id"].as_i64().unwrap();
        // The same text with another price, case and punctuation: a repost to climb the list.
        let mut again = car_ad(json!({"price": 2_400_000}));
        again["title"] = json!(ad["title"].as_str().unwrap().to_uppercase() + " !");
        let res = app
            .call(
                Method::POST,
                "/v1/listings",
                Some(&seller),
                Some(again.clone()),
            )
            .await;
        let body = assert_problem(res, 409, "duplicate_ad").await;
        assert!(
            body["detail"]
                .as_str()
                .unwrap()
                .contains(&format!("/v1/listings/{id}/renew")),
            "{body}"
        );
        // Another seller's identical text is not this rule's business (moderation's).
        let other = app.user("other@example.dz").await;
        app.create_listing(&other, again.clone()).await;
        // Once the first is sold, the seller may post it again.
        let res = app
            .call(
                Method::POST,
                &format!("/v1/listings/{id}/sold"),
                Some(&seller),
                None,
            )
            .await;
        assert!(res.status().is_success());
        app.create_listing(&seller, again).await;
    })
    .await;
}

/// Issue 24: one ownership rule for writes (`usecases::ownership`). "Not your ad" was 404 on
/// bumps and promotions and 403 elsewhere, and the owner could change a hidden ad on some
/// routes and not others. Every route that changes an ad (or reads what only its owner may)
/// answers a stranger 403 `forbidden`; the owner of a hidden ad edits it, and paid visibility
/// waits (409 `hidden`).
#[tokio::test]
async fn every_write_to_someone_elses_ad_is_refused_alike() {
    each_backend(|app| async move {
        let seller = app.user("owner-rule@example.dz").await;
        let stranger = app.user("stranger-rule@example.dz").await;
        let ad = app.create_listing(&seller, car_ad(json!({}))).await;
        let id = ad["id"].as_i64().unwrap();
        let photo = app
            .upload_photo(&seller, id, souk_tests::images::jpeg(64, 48))
            .await;
        assert_eq!(photo.status(), 201);
        let photo_id = photo.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
        let base = format!("/v1/listings/{id}");
        let key = json!({"idempotency_key": "rule-key-0001"});
        let writes: Vec<(Method, String, Option<Value>)> = vec![
            (
                Method::PATCH,
                base.clone(),
                Some(json!({"price": 2_000_000})),
            ),
            (Method::POST, format!("{base}/sold"), None),
            (Method::POST, format!("{base}/renew"), None),
            (Method::DELETE, format!("{base}/photos/{photo_id}"), None),
            (Method::GET, format!("/v1/me/listings/{id}/stats"), None),
            (Method::POST, format!("{base}/bump"), Some(key.clone())),
            (
                Method::POST,
                format!("{base}/promotions"),
                Some(json!({"product": "urgent", "days": 1, "idempotency_key": "rule-key-0002"})),
            ),
            (
                Method::POST,
                format!("{base}/bump-schedule"),
                Some(json!({"every_days": 7, "weeks": 4})),
            ),
            (Method::GET, format!("{base}/bump-schedule"), None),
            (Method::DELETE, format!("{base}/bump-schedule"), None),
            (Method::DELETE, base.clone(), None),
        ];
        for (method, path, body) in &writes {
            let res = app
                .call(method.clone(), path, Some(&stranger), body.clone())
                .await;
            assert_eq!(res.status(), 403, "{method} {path}");
            assert_problem(res, 403, "forbidden").await;
        }
        // A photo upload too (multipart).
        let res = app
            .upload_photo(&stranger, id, souk_tests::images::jpeg(64, 48))
            .await;
        assert_problem(res, 403, "forbidden").await;

        // Hidden by moderation: still the owner's to fix; not to promote.
        app.sql(&format!(
            "UPDATE listings SET hidden_at = {}, hidden_by = 'moderator' WHERE id = {id}",
            app.sql_minutes_ago(1)
        ));
        let res = app
            .call(
                Method::PATCH,
                &base,
                Some(&seller),
                Some(json!({"price": 2_100_000})),
            )
            .await;
        assert_eq!(res.status(), 200, "the owner edits a hidden ad");
        for (method, path, body) in &writes[5..8] {
            let res = app
                .call(method.clone(), path, Some(&seller), body.clone())
                .await;
            assert_problem(res, 409, "hidden").await;
        }
        let res = app.call(Method::DELETE, &base, Some(&seller), None).await;
        assert!(
            res.status().is_success(),
            "the owner deletes it: {}",
            res.status()
        );
    })
    .await;
}
