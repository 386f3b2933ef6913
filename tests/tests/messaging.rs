//! Messaging end to end: buyer and seller write through souk's email relay without seeing
//! each other's address, the relay's limits and its safety rules (links from strangers, spam
//! threads, unconfirmed addresses), over a real SMTP server where it matters.

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};
use souk_tests::smtp::SmtpSink;
use souk_tests::{assert_problem, car_ad, each_backend, problem_fields, TestApp};

async fn json_of(res: reqwest::Response) -> Value {
    res.json().await.expect("json body")
}

#[tokio::test]
async fn buyer_and_seller_write_through_souk_without_seeing_each_others_address() {
    each_backend(|app| async move {
        let seller = app.user_speaking("seller@example.dz", "ar").await;
        let buyer = app.user_speaking("buyer@example.dz", "fr").await;
        let ad = app.create_listing(&seller, car_ad(json!({}))).await;
        let id = ad["id"].as_i64().unwrap();

        let res = app.contact(&buyer, id, json!({"message": "Salam, toujours disponible ? Je suis à Blida.", "name": "Karim", "phone": "0661 12 34 56"})).await;
        assert_eq!(res.status(), 201);
        let conv = json_of(res).await;
        assert_eq!(conv["role"], "buyer");
        assert_eq!(conv["buyer_phone"], Value::Null, "the buyer is not shown their own phone back");
        let cid = conv["id"].as_i64().unwrap();

        // The seller's email: in Arabic (the seller's language), right to left, with the
        // message, the buyer's name and chosen phone, a link to answer; never the buyer's address.
        let mail = app.wait_for_email("seller@example.dz", "toujours disponible").await;
        assert!(mail.subject.contains("رسالة جديدة"), "{}", mail.subject);
        assert!(mail.html.contains("dir=\"rtl\""), "{}", mail.html);
        assert!(mail.text.contains("Karim") && mail.text.contains("+213661123456"));
        assert!(mail.text.contains(&format!("/v1/conversations/{cid}")));
        assert!(!mail.raw.contains("buyer@example.dz"), "buyer address leaked to the seller");

        // The seller sees the thread with the buyer's phone and answers.
        let threads = json_of(app.call(Method::GET, "/v1/me/conversations", Some(&seller), None).await).await;
        assert_eq!(threads["total"], 1);
        assert_eq!(threads["items"][0]["role"], "seller");
        assert_eq!(threads["items"][0]["counterpart_name"], "Karim");
        assert_eq!(threads["items"][0]["buyer_phone"], "+213661123456");
        let res = app
            .call(Method::POST, &format!("/v1/conversations/{cid}/messages"), Some(&seller), Some(json!({"message": "Oui, elle est disponible. Passez samedi."})))
            .await;
        assert_eq!(res.status(), 201);
        let reply = app.wait_for_email("buyer@example.dz", "Passez samedi").await;
        assert!(reply.subject.contains("Réponse"), "{}", reply.subject);
        assert!(!reply.raw.contains("seller@example.dz"), "seller address leaked to the buyer");

        // The buyer's view of the thread: both messages, in order, own ones marked.
        let thread = json_of(app.call(Method::GET, &format!("/v1/conversations/{cid}"), Some(&buyer), None).await).await;
        let msgs = thread["messages"].as_array().unwrap();
        assert_eq!(msgs.len(), 2);
        assert_eq!(msgs[0]["from_me"], true);
        assert_eq!(msgs[1]["from_me"], false);
        assert_eq!(thread["counterpart_name"], "Test User");

        // A third user can neither read nor write in the thread: it does not exist for them.
        let eve = app.user("eve@example.dz").await;
        assert_problem(app.call(Method::GET, &format!("/v1/conversations/{cid}"), Some(&eve), None).await, 404, "not_found").await;
        assert_problem(
            app.call(Method::POST, &format!("/v1/conversations/{cid}/messages"), Some(&eve), Some(json!({"message": "hello there"}))).await,
            404,
            "not_found",
        )
        .await;

        // A second contact about the same ad continues the same thread.
        let again = json_of(app.contact(&buyer, id, json!({"message": "Et le prix final ?", "name": "Karim"})).await).await;
        assert_eq!(again["id"], cid);

        // Rules: not on one's own ad, bounded message, signed in only, active ads only.
        assert_problem(app.contact(&seller, id, json!({"message": "my own ad", "name": "Me"})).await, 409, "own_listing").await;
        let long = "x".repeat(2001);
        let body = assert_problem(app.contact(&buyer, id, json!({"message": long, "name": "K", "phone": "123"})).await, 422, "validation").await;
        assert_eq!(problem_fields(&body), vec!["message", "name", "phone"]);
        assert_eq!(
            app.call(Method::POST, &format!("/v1/listings/{id}/contact"), None, Some(json!({"message": "hi there", "name": "Anon"}))).await.status(),
            401
        );
        app.call(Method::POST, &format!("/v1/listings/{id}/sold"), Some(&seller), None).await;
        assert_problem(app.contact(&buyer, id, json!({"message": "still there?", "name": "Karim"})).await, 409, "not_active").await;
    })
    .await;
}

#[tokio::test]
async fn contact_is_rate_limited_per_buyer() {
    for backend in souk_tests::backends() {
        let app = TestApp::spawn_with(backend, |c| c.limits.contact_per_hour = 2).await;
        let seller = app.user("s@example.dz").await;
        let buyer = app.user("b@example.dz").await;
        let ad = app.create_listing(&seller, car_ad(json!({}))).await;
        let id = ad["id"].as_i64().unwrap();
        for _ in 0..2 {
            assert_eq!(
                app.contact(&buyer, id, json!({"message": "interested", "name": "Bob"}))
                    .await
                    .status(),
                201
            );
        }
        let res = app
            .contact(&buyer, id, json!({"message": "interested", "name": "Bob"}))
            .await;
        let retry: u64 = res.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=3600).contains(&retry));
        assert_problem(res, 429, "rate_limited").await;
    }
}

#[tokio::test]
async fn the_seller_email_goes_through_a_real_smtp_server() {
    let sink = SmtpSink::start().await;
    let url = sink.url();
    let app =
        TestApp::spawn_with(souk_tests::Backend::Sqlite, move |c| c.smtp_url = Some(url)).await;
    let seller = app.user_speaking("seller@example.dz", "en").await;
    let buyer = app.user_speaking("buyer@example.dz", "fr").await;
    let ad = app
        .create_listing(&seller, car_ad(json!({"title": "بيجو 208 نظيفة جدا"})))
        .await;
    let id = ad["id"].as_i64().unwrap();
    assert_eq!(
        app.contact(
            &buyer,
            id,
            json!({"message": "هل السعر قابل للتفاوض؟", "name": "كريم"})
        )
        .await
        .status(),
        201
    );
    let to_seller = |r: &souk_tests::smtp::Received| {
        r.rcpt_to.iter().any(|t| t.contains("seller@example.dz"))
            && r.eml.subject.contains("New message")
    };
    let got = sink
        .wait_for(Duration::from_secs(10), |m| m.iter().any(to_seller))
        .await;
    let mail = got.iter().find(|r| to_seller(r)).unwrap();
    assert!(!mail.raw.contains("buyer@example.dz"));
    assert!(
        mail.eml.text.contains("هل السعر قابل للتفاوض؟"),
        "UTF-8 Arabic survives: {}",
        mail.eml.text
    );
    assert!(mail.eml.text.contains("بيجو 208"));
    assert!(mail.raw.contains("multipart/alternative") && mail.raw.contains("text/html"));
    assert!(
        mail.eml.message_id.starts_with("<job-"),
        "{}",
        mail.eml.message_id
    );
}

#[tokio::test]
async fn messages_to_an_unconfirmed_address_wait_in_the_thread() {
    each_backend(|app| async move {
        // Someone registered a stranger's address and posted an ad with it: souk must not
        // relay messages to that address until it is confirmed.
        app.register("stranger@example.dz", None).await;
        let seller = app.login("stranger@example.dz").await["access_token"]
            .as_str()
            .unwrap()
            .to_string();
        let buyer = app.user("buyer@example.dz").await;
        let ad = app.create_listing(&seller, car_ad(json!({}))).await;
        let res = app
            .contact(
                &buyer,
                ad["id"].as_i64().unwrap(),
                json!({"message": "spam spam spam", "name": "Bob"}),
            )
            .await;
        assert_eq!(res.status(), 201);
        // The positive control: the same buyer writes to a confirmed seller at the same time,
        // and that message is relayed.
        let real = app.user("real-seller@example.dz").await;
        let other = app
            .create_listing(
                &real,
                car_ad(json!({
                    "title": "Renault Clio 4 essence 2016",
                    "description": "Première main, carnet d'entretien à jour, jamais accidentée."
                })),
            )
            .await;
        let res = app
            .contact(
                &buyer,
                other["id"].as_i64().unwrap(),
                json!({"message": "ham ham ham", "name": "Bob"}),
            )
            .await;
        assert_eq!(res.status(), 201);
        app.run_worker_once().await;
        app.wait_for_email("real-seller@example.dz", "ham ham")
            .await;
        assert!(
            !app.outbox().iter().any(|m| m.text.contains("spam spam")),
            "relayed to an unconfirmed address"
        );
        let threads = json_of(
            app.call(Method::GET, "/v1/me/conversations", Some(&seller), None)
                .await,
        )
        .await;
        assert_eq!(threads["total"], 1, "the message waits in the thread");
    })
    .await;
}
async fn contact_with(app: &TestApp, token: &str, id: i64, message: &str) -> reqwest::Response {
    app.contact(token, id, json!({"message": message, "name": "Karim"}))
        .await
}

#[tokio::test]
async fn contact_needs_a_confirmed_address_and_new_threads_are_capped() {
    for backend in souk_tests::backends() {
        let app = TestApp::spawn_with(backend, |c| c.limits.threads_per_day = 2).await;
        let seller = app.user("seller@example.dz").await;
        let mut ads = Vec::new();
        for i in 0..3 {
            let ad = app
                .create_listing(
                    &seller,
                    car_ad(json!({"title": format!("Clio {i} très propre")})),
                )
                .await;
            ads.push(ad["id"].as_i64().unwrap());
        }
        // Registered, not confirmed: may not use the relay (before: 201).
        app.register("spammer@example.dz", None).await;
        let unconfirmed = app.login("spammer@example.dz").await["access_token"]
            .as_str()
            .unwrap()
            .to_string();
        assert_problem(
            contact_with(&app, &unconfirmed, ads[0], "Salam").await,
            403,
            "email_not_confirmed",
        )
        .await;
        // Confirmed: two new threads a day here, then 429; an open thread goes on.
        let buyer = app.user("buyer@example.dz").await;
        assert_eq!(
            contact_with(&app, &buyer, ads[0], "Salam, disponible ?")
                .await
                .status(),
            201
        );
        assert_eq!(
            contact_with(&app, &buyer, ads[1], "Salam, disponible ?")
                .await
                .status(),
            201
        );
        assert_problem(
            contact_with(&app, &buyer, ads[2], "Salam, disponible ?").await,
            429,
            "rate_limited",
        )
        .await;
        assert_eq!(
            contact_with(&app, &buyer, ads[0], "Et le prix final ?")
                .await
                .status(),
            201
        );
    }
}

#[tokio::test]
async fn links_from_a_stranger_reach_the_seller_as_text() {
    each_backend(|app| async move {
        let seller = app.user("seller@example.dz").await;
        let ad = app.create_listing(&seller, car_ad(json!({}))).await;
        let id = ad["id"].as_i64().unwrap();
        let buyer = app.user("phisher@example.dz").await;
        let res = contact_with(
            &app,
            &buyer,
            id,
            "Payez la réservation ici https://cib-paiement.dz/login?id=7 svp",
        )
        .await;
        assert_eq!(res.status(), 201);
        let mail = app
            .wait_for_email("seller@example.dz", "cib-paiement")
            .await;
        assert!(
            mail.text.contains("hxxps[:]//cib-paiement[.]dz/login?id=7"),
            "{}",
            mail.text
        );
        assert!(
            !mail.text.contains("https://cib-paiement.dz"),
            "{}",
            mail.text
        );
        assert!(!mail.html.contains("cib-paiement.dz"), "{}", mail.html);
        // A second message before the seller answered: still a stranger.
        let thread = json_of(res_thread(&app, &buyer).await).await;
        let res = app
            .call(
                Method::POST,
                &format!("/v1/conversations/{}/messages", thread["items"][0]["id"]),
                Some(&buyer),
                Some(json!({"message": "Ou bien ici: bit.ly/cib-dz"})),
            )
            .await;
        assert_eq!(res.status(), 201);
        let mail = app.wait_for_email("seller@example.dz", "cib-dz").await;
        assert!(mail.text.contains("bit[.]ly/cib-dz"), "{}", mail.text);
        // The thread shows it as the email did (issue 25: the app must not make a stranger's
        // link clickable either), with the warning the app shows above it.
        let thread = json_of(
            app.call(
                Method::GET,
                &format!("/v1/conversations/{}", thread["items"][0]["id"]),
                Some(&seller),
                None,
            )
            .await,
        )
        .await;
        let first = thread["messages"][0]["body"].as_str().unwrap();
        assert!(
            first.contains("hxxps[:]//cib-paiement[.]dz/login"),
            "{first}"
        );
        assert!(!first.contains("https://cib-paiement.dz"), "{first}");
        assert_eq!(thread["messages"][0]["warning"], "link");
    })
    .await;
}

async fn res_thread(app: &TestApp, token: &str) -> reqwest::Response {
    app.call(Method::GET, "/v1/me/conversations", Some(token), None)
        .await
}

#[tokio::test]
async fn threads_from_banned_accounts_do_not_lower_a_response_rate() {
    each_backend(|app| async move {
        let seller = app.user("seller@example.dz").await;
        let seller_id = json_of(app.call(Method::GET, "/v1/me", Some(&seller), None).await).await
            ["id"]
            .as_i64()
            .unwrap();
        let ad = app.create_listing(&seller, car_ad(json!({}))).await;
        let id = ad["id"].as_i64().unwrap();
        let buyer = app.user("buyer@example.dz").await;
        let spammer = app.user("spammer@example.dz").await;
        let thread = json_of(contact_with(&app, &buyer, id, "Salam, disponible ?").await).await;
        assert_eq!(
            contact_with(&app, &spammer, id, "Gagnez 1 million, cliquez")
                .await
                .status(),
            201
        );
        let res = app
            .call(
                Method::POST,
                &format!("/v1/conversations/{}/messages", thread["id"]),
                Some(&seller),
                Some(json!({"message": "Oui, toujours disponible"})),
            )
            .await;
        assert_eq!(res.status(), 201);
        let profile = json_of(app.get(&format!("/v1/users/{seller_id}")).await).await;
        assert_eq!(profile["response_rate"], 0.5);
        let moderator = app.user("mod@example.dz").await;
        app.make_moderator("mod@example.dz");
        let spammer_id = json_of(app.call(Method::GET, "/v1/me", Some(&spammer), None).await).await
            ["id"]
            .as_i64()
            .unwrap();
        let res = app
            .call(
                Method::POST,
                &format!("/v1/mod/users/{spammer_id}/ban"),
                Some(&moderator),
                Some(json!({"reason": "spam"})),
            )
            .await;
        assert!(res.status().is_success(), "ban: {}", res.status());
        let profile = json_of(app.get(&format!("/v1/users/{seller_id}")).await).await;
        assert_eq!(profile["response_rate"], 1.0, "before: 0.5");
    })
    .await;
}
