//! Confirmed phones (a code by SMS: file outbox by default, an HTTP gateway when configured)
//! and phone reveals (counted, limited; the number is never in the ad).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};
use souk_tests::{assert_problem, car_ad, each_backend, TestApp};

/// The 6-digit code of the newest message in the app's SMS outbox for `to`.
async fn code_from_outbox(app: &TestApp, to: &str) -> String {
    let dir = app.data_dir.join("sms");
    for _ in 0..200 {
        let mut newest: Option<(String, String)> = None;
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().to_string();
            if !name.ends_with(".txt") {
                continue;
            }
            let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
            if text.starts_with(&format!("To: {to}"))
                && newest.as_ref().is_none_or(|(n, _)| name > *n)
            {
                newest = Some((name, text));
            }
        }
        if let Some((_, text)) = newest {
            return six_digits(&text);
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("no SMS to {to} in {}", dir.display());
}

fn six_digits(text: &str) -> String {
    text.split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .unwrap_or_else(|| panic!("no code in {text}"))
        .to_string()
}

async fn confirm(app: &TestApp, token: &str, code: &str) -> reqwest::Response {
    app.call(
        Method::POST,
        "/v1/me/phone/confirm",
        Some(token),
        Some(json!({"code": code})),
    )
    .await
}

#[tokio::test]
async fn a_phone_is_confirmed_by_the_code_sent_to_it() {
    each_backend(|app| async move {
        let user = app.user("karim@example.dz").await;
        let res = app.ask_phone_code(&user, "0661 12 34 56").await;
        assert_eq!(res.status(), 202);
        let sent: Value = res.json().await.unwrap();
        assert_eq!(sent["phone"], "+213661123456");
        let code = code_from_outbox(&app, "+213661123456").await;
        let wrong = if code == "000000" { "111111" } else { "000000" };
        assert_problem(confirm(&app, &user, wrong).await, 400, "invalid_code").await;
        let res = confirm(&app, &user, &code).await;
        assert_eq!(res.status(), 200);
        let me: Value = res.json().await.unwrap();
        assert_eq!(me["phone"], "+213661123456");
        assert_eq!(me["phone_verified"], true);
        // Used up.
        assert_problem(confirm(&app, &user, &code).await, 400, "invalid_code").await;
        // One confirmed number, one account.
        let other = app.user("other@example.dz").await;
        assert_problem(
            app.ask_phone_code(&other, "+213661123456").await,
            409,
            "phone_taken",
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn five_wrong_codes_kill_it_and_resends_wait_a_minute() {
    each_backend(|app| async move {
        let user = app.user("guesser@example.dz").await;
        assert_eq!(
            app.ask_phone_code(&user, "0551 00 11 22").await.status(),
            202
        );
        let code = code_from_outbox(&app, "+213551001122").await;
        let wrong = if code == "000000" { "111111" } else { "000000" };
        for _ in 0..5 {
            assert_problem(confirm(&app, &user, wrong).await, 400, "invalid_code").await;
        }
        // The right code no longer works: 5 attempts of 1,000,000 is all a guesser gets.
        assert_problem(confirm(&app, &user, &code).await, 400, "invalid_code").await;
        let res = app.ask_phone_code(&user, "0551 00 11 22").await;
        assert_problem(res, 429, "rate_limited").await;
        let res = app.ask_phone_code(&user, "not a number").await;
        assert_problem(res, 422, "validation").await;
    })
    .await;
}

/// A loopback HTTP server standing in for an SMS gateway: it keeps each request body.
async fn gateway() -> (String, Arc<Mutex<Vec<String>>>) {
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let kept = bodies.clone();
    let base = souk_tests::loopback::serve(Arc::new(move |req: &souk_tests::loopback::Request| {
        kept.lock().unwrap().push(req.body.clone());
        (200, "ok".to_string())
    }))
    .await;
    (format!("{base}/send"), bodies)
}

#[tokio::test]
async fn codes_go_through_an_http_gateway_when_one_is_configured() {
    for backend in souk_tests::backends() {
        let (url, bodies) = gateway().await;
        let app = TestApp::spawn_with(backend, |c| c.sms.gateway_url = Some(url.clone())).await;
        let user = app.user("gw@example.dz").await;
        assert_eq!(
            app.ask_phone_code(&user, "0770 12 34 56").await.status(),
            202
        );
        let mut body = None;
        for _ in 0..200 {
            if let Some(b) = bodies.lock().unwrap().first().cloned() {
                body = Some(b);
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        let body: Value = serde_json::from_str(&body.expect("the gateway got a request")).unwrap();
        assert_eq!(body["to"], "+213770123456");
        let code = six_digits(body["text"].as_str().unwrap());
        assert_eq!(confirm(&app, &user, &code).await.status(), 200);
        assert!(
            !app.data_dir.join("sms").exists(),
            "nothing in the file outbox"
        );
    }
}

#[tokio::test]
async fn a_phone_is_revealed_to_signed_in_buyers_counted_and_limited() {
    for backend in souk_tests::backends() {
        reveal_scenario(TestApp::spawn_with(backend, |c| c.limits.reveals_per_day = 2).await).await;
    }
}

async fn reveal_scenario(app: TestApp) {
    let seller = app.user("seller@example.dz").await;
    assert_eq!(
        app.ask_phone_code(&seller, "0551 23 45 67").await.status(),
        202
    );
    let code = code_from_outbox(&app, "+213551234567").await;
    assert_eq!(confirm(&app, &seller, &code).await.status(), 200);
    let ad = app
        .create_listing(&seller, car_ad(json!({"show_phone": true})))
        .await;
    let id = ad["id"].as_i64().unwrap();
    let public: Value = app
        .get(&format!("/v1/listings/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(public["seller"]["phone_available"], true);
    assert_eq!(public["seller"]["phone_verified"], true);
    assert!(
        !public.to_string().contains("551234567"),
        "no number in the ad: {public}"
    );
    // Anonymous: no.
    let res = app
        .call(
            Method::POST,
            &format!("/v1/listings/{id}/phone"),
            None,
            None,
        )
        .await;
    assert_eq!(res.status(), 401);
    let buyer = app.user("buyer@example.dz").await;
    for _ in 0..2 {
        let res = app
            .call(
                Method::POST,
                &format!("/v1/listings/{id}/phone"),
                Some(&buyer),
                None,
            )
            .await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.json::<Value>().await.unwrap()["phone"], "+213551234567");
    }
    let res = app
        .call(
            Method::POST,
            &format!("/v1/listings/{id}/phone"),
            Some(&buyer),
            None,
        )
        .await;
    assert_problem(res, 429, "rate_limited").await;
    let reveals: i64 = {
        use diesel::prelude::*;
        use souk_store::schema::listings;
        listings::table
            .find(id)
            .select(listings::phone_reveals)
            .first(&mut app.store())
            .unwrap()
    };
    assert_eq!(reveals, 2);
    // An unconfirmed number is not offered.
    let other = app.user("unconfirmed@example.dz").await;
    let ad = app
        .create_listing(&other, car_ad(json!({"show_phone": true})))
        .await;
    let res = app
        .call(
            Method::POST,
            &format!("/v1/listings/{}/phone", ad["id"]),
            Some(&seller),
            None,
        )
        .await;
    assert_problem(res, 409, "no_phone").await;
}

#[tokio::test]
async fn posting_and_contacting_can_require_a_confirmed_phone() {
    for backend in souk_tests::backends() {
        let app = TestApp::spawn_with(backend, |c| {
            c.require_phone_to_post = true;
            c.require_phone_to_contact = true;
        })
        .await;
        phone_required_scenario(app).await;
    }
}

async fn phone_required_scenario(app: TestApp) {
    let seller = app.user("seller@example.dz").await;
    let res = app
        .call(
            Method::POST,
            "/v1/listings",
            Some(&seller),
            Some(car_ad(json!({}))),
        )
        .await;
    assert_problem(res, 403, "phone_not_confirmed").await;
    assert_eq!(
        app.ask_phone_code(&seller, "0551 23 45 67").await.status(),
        202
    );
    let code = code_from_outbox(&app, "+213551234567").await;
    assert_eq!(confirm(&app, &seller, &code).await.status(), 200);
    let ad = app.create_listing(&seller, car_ad(json!({}))).await;
    let buyer = app.user("buyer@example.dz").await;
    let res = app
        .call(
            Method::POST,
            &format!("/v1/listings/{}/contact", ad["id"]),
            Some(&buyer),
            Some(json!({"message": "Salam, disponible ?", "name": "Karim"})),
        )
        .await;
    assert_problem(res, 403, "phone_not_confirmed").await;
}
