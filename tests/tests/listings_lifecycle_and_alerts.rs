//! The worker's side of the product, end to end over HTTP with the embedded runner: the ad
//! lifecycle (warning, expiry, renewal link, purge), favourites with price drops, saved-search
//! alerts, emails in the recipient's language. The contact relay is in messaging.rs.

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};
use souk_tests::{assert_problem, car_ad, each_backend, problem_fields, TestApp};

async fn json_of(res: reqwest::Response) -> Value {
    res.json().await.expect("json body")
}

#[tokio::test]
async fn an_ad_past_its_date_expires_leaves_search_and_is_renewed_from_the_email() {
    each_backend(|app| async move {
        let seller = app.user_speaking("owner@example.dz", "fr").await;
        let ad = app
            .create_listing(&seller, car_ad(json!({"title": "Clio 4 expiration test"})))
            .await;
        let id = ad["id"].as_i64().unwrap();
        app.search_until("q=clio&facets=false", Duration::from_secs(5), |b| {
            b["total"] == 1
        })
        .await;
        app.register_device(&seller, "inst-owner-0001", "fcm-token-owner-aaaaaaaa")
            .await;

        // Three days before: the warning with a one-click renewal link.
        app.set_expiry(id, chrono::Duration::days(2));
        app.run_worker_once().await;
        let warning = app
            .wait_for_email("owner@example.dz", "/v1/renewals/")
            .await;
        assert!(
            warning.subject.contains("expire bientôt"),
            "{}",
            warning.subject
        );
        app.run_worker_once().await;
        let warnings = app
            .outbox()
            .iter()
            .filter(|m| m.subject.contains("expire bientôt"))
            .count();
        assert_eq!(warnings, 1, "warned once per period");
        let pushed = app.push_outbox();
        assert_eq!(pushed.len(), 1, "and on the phone, once: {pushed:?}");
        assert_eq!(pushed[0]["message"]["data"]["type"], "ad_expiring");
        assert_eq!(
            pushed[0]["message"]["android"]["notification"]["tag"],
            format!("expiry-{id}")
        );

        // Past its date: the sweep expires it, search drops it, the owner gets the notice.
        app.set_expiry(id, -chrono::Duration::minutes(1));
        app.run_worker_once().await;
        {
            use diesel::prelude::*;
            use souk_store::schema::listings;
            let status: String = listings::table
                .find(id)
                .select(listings::status)
                .first(&mut app.store())
                .unwrap();
            assert_eq!(status, "expired", "the sweep wrote the status");
        }
        app.search_until("q=clio&facets=false", Duration::from_secs(5), |b| {
            b["total"] == 0
        })
        .await;
        let notice = app.wait_for_email("owner@example.dz", "a expiré").await;
        app.run_worker_once().await;
        let pushed = app.push_outbox();
        assert_eq!(pushed.len(), 2, "{pushed:?}");
        let expired = &pushed[1]["message"];
        assert_eq!(expired["data"]["type"], "ad_expired");
        assert_eq!(expired["data"]["listing_id"], id.to_string());
        assert_eq!(expired["notification"]["title"], "Votre annonce a expiré");
        // It replaces the warning on the phone.
        assert_eq!(
            expired["android"]["notification"]["tag"],
            format!("expiry-{id}")
        );
        let token =
            souk_tests::email::token_after(&notice.text, "/v1/renewals/").expect("renewal link");
        assert!(token.starts_with(&format!("{id}.")), "{token}");

        // The link's page only shows a button (mail scanners open links); POST renews, once.
        let page = app.get(&format!("/v1/renewals/{token}")).await;
        assert_eq!(page.status(), 200);
        assert!(page.text().await.unwrap().contains("<form method=\"post\""));
        let res = app
            .call(Method::POST, &format!("/v1/renewals/{token}"), None, None)
            .await;
        assert_eq!(res.status(), 200);
        let renewed = json_of(res).await;
        assert_eq!(renewed["listing_id"], id);
        app.search_until("q=clio&facets=false", Duration::from_secs(5), |b| {
            b["total"] == 1
        })
        .await;
        assert_problem(
            app.call(Method::POST, &format!("/v1/renewals/{token}"), None, None)
                .await,
            400,
            "invalid_token",
        )
        .await;
        assert_problem(
            app.call(
                Method::POST,
                &format!("/v1/renewals/{id}.forged"),
                None,
                None,
            )
            .await,
            400,
            "invalid_token",
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn deleted_ads_are_purged_with_their_photos_after_the_retention_period() {
    each_backend(|app| async move {
        let seller = app.user("purge@example.dz").await;
        let ad = app.create_listing(&seller, car_ad(json!({}))).await;
        let id = ad["id"].as_i64().unwrap();
        let keep = app
            .create_listing(
                &seller,
                car_ad(json!({"title": "Clio 4 diesel 2018 à garder"})),
            )
            .await;
        let buyer = app.user("fan@example.dz").await;
        app.call(
            Method::PUT,
            &format!("/v1/me/favorites/{id}"),
            Some(&buyer),
            None,
        )
        .await;
        assert_eq!(
            app.contact(&buyer, id, json!({"message": "interested", "name": "Fan"}))
                .await
                .status(),
            201
        );
        app.call(
            Method::DELETE,
            &format!("/v1/listings/{id}"),
            Some(&seller),
            None,
        )
        .await;
        // Recently deleted: kept for now.
        app.run_worker_once().await;
        let count = |app: &TestApp| {
            use diesel::prelude::*;
            use souk_store::schema::listings;
            listings::table
                .count()
                .get_result::<i64>(&mut app.store())
                .unwrap()
        };
        assert_eq!(count(&app), 2);
        app.backdate_deletion(id);
        app.run_worker_once().await;
        assert_eq!(count(&app), 1, "the old deleted ad is gone for good");
        assert_eq!(
            app.get(&format!("/v1/listings/{}", keep["id"]))
                .await
                .status(),
            200
        );
        // The buyer keeps the thread (with the ad's title), the favourite is gone.
        let threads = json_of(
            app.call(Method::GET, "/v1/me/conversations", Some(&buyer), None)
                .await,
        )
        .await;
        assert_eq!(threads["items"][0]["listing_id"], Value::Null);
        assert!(threads["items"][0]["listing_title"]
            .as_str()
            .unwrap()
            .contains("Peugeot"));
        let favs = json_of(
            app.call(Method::GET, "/v1/me/favorites", Some(&buyer), None)
                .await,
        )
        .await;
        assert_eq!(favs["total"], 0);
    })
    .await;
}

#[tokio::test]
async fn favouriters_hear_about_price_drops_until_they_unsubscribe() {
    each_backend(|app| async move {
        let seller = app.user("seller@example.dz").await;
        let buyer = app.user_speaking("fan@example.dz", "en").await;
        let ad = app
            .create_listing(&seller, car_ad(json!({"price": 2_000_000})))
            .await;
        let id = ad["id"].as_i64().unwrap();
        for _ in 0..2 {
            let res = app
                .call(
                    Method::PUT,
                    &format!("/v1/me/favorites/{id}"),
                    Some(&buyer),
                    None,
                )
                .await;
            assert_eq!(res.status(), 204, "adding twice is harmless");
        }
        let favs = json_of(
            app.call(Method::GET, "/v1/me/favorites", Some(&buyer), None)
                .await,
        )
        .await;
        assert_eq!(favs["total"], 1);
        assert_eq!(favs["items"][0]["id"], id);
        assert_eq!(
            app.call(Method::PUT, "/v1/me/favorites/999999", Some(&buyer), None)
                .await
                .status(),
            404
        );

        // A higher price says nothing; a lower one emails the favouriter.
        let patch = |price: i64| json!({"price": price});
        app.call(
            Method::PATCH,
            &format!("/v1/listings/{id}"),
            Some(&seller),
            Some(patch(2_100_000)),
        )
        .await;
        app.call(
            Method::PATCH,
            &format!("/v1/listings/{id}"),
            Some(&seller),
            Some(patch(1_800_000)),
        )
        .await;
        let mail = app.wait_for_email("fan@example.dz", "1 800 000").await;
        assert!(mail.subject.starts_with("Price drop"), "{}", mail.subject);
        assert!(
            mail.text.contains("2 100 000"),
            "old price shown: {}",
            mail.text
        );
        assert!(mail
            .raw
            .contains("List-Unsubscribe: <http://souk.test/v1/unsubscribe/p."));
        assert!(mail
            .raw
            .contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));
        assert_eq!(
            app.outbox()
                .iter()
                .filter(|m| m.to.contains("seller@example.dz") && m.subject.contains("Price"))
                .count(),
            0
        );

        // One-click unsubscribe (RFC 8058): the mail client POSTs to the link.
        let token = souk_tests::email::token_after(&mail.raw, "/v1/unsubscribe/p.").unwrap();
        let res = app
            .client
            .post(app.url(&format!("/v1/unsubscribe/p.{token}")))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("List-Unsubscribe=One-Click")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(json_of(res).await["stopped"], "price_drop_alerts");
        // The positive control: a second favouriter, and the last alert a day old (one alert
        // a day per ad), so the next drop is mailed, to the one who did not unsubscribe.
        let other_fan = app.user_speaking("fan2@example.dz", "en").await;
        let res = app
            .call(
                Method::PUT,
                &format!("/v1/me/favorites/{id}"),
                Some(&other_fan),
                None,
            )
            .await;
        assert_eq!(res.status(), 204);
        app.sql(&format!(
            "UPDATE listings SET price_alerted_at = {} WHERE id = {id}",
            app.sql_minutes_ago(25 * 60)
        ));
        app.call(
            Method::PATCH,
            &format!("/v1/listings/{id}"),
            Some(&seller),
            Some(patch(1_500_000)),
        )
        .await;
        app.wait_for_email("fan2@example.dz", "1 500 000").await;
        assert!(
            !app.outbox()
                .iter()
                .any(|m| m.to.contains("fan@example.dz") && m.text.contains("1 500 000")),
            "no more price alerts"
        );

        let res = app
            .call(
                Method::DELETE,
                &format!("/v1/me/favorites/{id}"),
                Some(&buyer),
                None,
            )
            .await;
        assert_eq!(res.status(), 204);
        let favs = json_of(
            app.call(Method::GET, "/v1/me/favorites", Some(&buyer), None)
                .await,
        )
        .await;
        assert_eq!(favs["total"], 0);
    })
    .await;
}

#[tokio::test]
async fn saved_searches_email_new_matching_ads_once() {
    each_backend(|app| async move {
        let seller = app.user("seller@example.dz").await;
        let buyer = app.user_speaking("hunter@example.dz", "fr").await;
        // An ad from before the search was saved is never alerted.
        app.create_listing(&seller, car_ad(json!({"title": "Renault Clio 4 ancienne annonce"}))).await;
        let res = app
            .call(Method::POST, "/v1/me/saved-searches", Some(&buyer),
                  Some(json!({"name": "Clio à Alger", "query": {"q": "clio", "wilaya": 16, "price_max": 3000000}})))
            .await;
        assert_eq!(res.status(), 201);
        let saved = json_of(res).await;
        assert_eq!(saved["frequency"], "instant");
        assert_eq!(saved["query"]["wilaya"], "16");

        let bad = app
            .call(Method::POST, "/v1/me/saved-searches", Some(&buyer),
                  Some(json!({"name": "x", "query": {"price_min": 10, "price_max": 5, "cursor": "abc"}, "frequency": "hourly"})))
            .await;
        let body = assert_problem(bad, 422, "validation").await;
        let fields = problem_fields(&body);
        assert!(fields.contains(&"frequency".to_string()) && fields.contains(&"query.cursor".to_string()), "{fields:?}");

        let hit = app.create_listing(&seller, car_ad(json!({"title": "Renault Clio 4 diesel 2018", "attributes": {"brand": "renault", "model": "clio", "year": 2018, "mileage_km": 90000, "fuel": "diesel", "gearbox": "manual"}}))).await;
        app.create_listing(&seller, car_ad(json!({"title": "Renault Clio 4 à Oran", "wilaya": 31, "commune": 3101}))).await;
        app.create_listing(&seller, car_ad(json!({"title": "Golf 7 TDI"}))).await;
        app.create_listing(&buyer, car_ad(json!({"title": "Ma propre Clio à vendre"}))).await;

        app.run_worker_once().await;
        let alert = app.wait_for_email("hunter@example.dz", "Clio 4 diesel").await;
        assert!(alert.subject.contains("Clio à Alger"), "{}", alert.subject);
        assert!(alert.text.contains(&format!("/v1/listings/{}", hit["id"])));
        assert!(!alert.text.contains("Oran") && !alert.text.contains("Golf") && !alert.text.contains("ancienne") && !alert.text.contains("propre"), "{}", alert.text);
        assert!(alert.raw.contains("List-Unsubscribe: <http://souk.test/v1/unsubscribe/s"));

        // Nothing new: no repeat.
        app.run_worker_once().await;
        let alerts = app.outbox().into_iter().filter(|m| m.subject.contains("Clio à Alger")).count();
        assert_eq!(alerts, 1);

        let list = json_of(app.call(Method::GET, "/v1/me/saved-searches", Some(&buyer), None).await).await;
        assert_eq!(list.as_array().unwrap().len(), 1);
        assert!(list[0]["last_sent_at"].is_string());
        // Unsubscribing from the email deletes the search.
        let token = souk_tests::email::token_after(&alert.raw, &format!("/v1/unsubscribe/s{}.", saved["id"])).unwrap();
        let res = app.call(Method::POST, &format!("/v1/unsubscribe/s{}.{token}", saved["id"]), None, None).await;
        assert_eq!(json_of(res).await["stopped"], "saved_search");
        let list = json_of(app.call(Method::GET, "/v1/me/saved-searches", Some(&buyer), None).await).await;
        assert_eq!(list.as_array().unwrap().len(), 0);
    })
    .await;
}
