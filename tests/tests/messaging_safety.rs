//! Conversations on the phone, over real HTTP on both backends: read marks and unread counts
//! (with read receipts that can be turned off), blocking, reporting a thread to moderators,
//! the warnings messages carry, messages of a banned account withdrawn, and email as the
//! fallback of a message still unread after a delay.

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};
use souk_tests::live::Events;
use souk_tests::{assert_problem, car_ad, each_backend, TestApp};

async fn ok(res: reqwest::Response, status: u16) -> Value {
    let got = res.status().as_u16();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    assert_eq!(got, status, "{body}");
    body
}

/// A seller's ad, and a thread opened on it by a buyer: (seller, buyer, thread, first message).
async fn thread(app: &TestApp, tag: &str) -> (String, String, i64, i64) {
    let seller = app.user(&format!("seller-{tag}@example.dz")).await;
    let buyer = app.user(&format!("buyer-{tag}@example.dz")).await;
    let ad = app.create_listing(&seller, car_ad(json!({}))).await["id"]
        .as_i64()
        .unwrap();
    let c = ok(
        app.contact(
            &buyer,
            ad,
            json!({"message": "Salam, disponible ?", "name": "Karim"}),
        )
        .await,
        201,
    )
    .await;
    let id = c["id"].as_i64().unwrap();
    let first = c["messages"][0]["id"].as_i64().unwrap();
    (seller, buyer, id, first)
}

async fn send(app: &TestApp, token: &str, thread: i64, text: &str) -> reqwest::Response {
    app.call(
        Method::POST,
        &format!("/v1/conversations/{thread}/messages"),
        Some(token),
        Some(json!({ "message": text })),
    )
    .await
}

async fn get(app: &TestApp, token: &str, path: &str) -> Value {
    ok(app.call(Method::GET, path, Some(token), None).await, 200).await
}

#[tokio::test]
async fn a_thread_is_read_up_to_a_message_and_counts_what_is_unread() {
    each_backend(|app| async move {
        let (seller, buyer, id, first) = thread(&app, "read").await;
        let second = ok(send(&app, &buyer, id, "Je peux passer samedi ?").await, 201).await["id"]
            .as_i64()
            .unwrap();
        assert_eq!(
            get(&app, &seller, "/v1/me/unread").await,
            json!({"messages": 2, "threads": 1})
        );
        let listed = get(&app, &seller, "/v1/me/conversations").await;
        assert_eq!(listed["items"][0]["unread"], 2);
        assert_eq!(get(&app, &buyer, "/v1/me/unread").await["messages"], 0);

        // The seller's other device hears of the read mark; the buyer sees it as read.
        let mut seller_events = Events::open(&app, &seller, None).await;
        let mut buyer_events = Events::open(&app, &buyer, None).await;
        let path = format!("/v1/conversations/{id}/read");
        let r = ok(
            app.call(Method::POST, &path, Some(&seller), Some(json!({"up_to_message_id": first})))
                .await,
            200,
        )
        .await;
        assert_eq!(r["read_up_to"], first);
        assert_eq!(r["unread"], 1);
        assert_eq!(r["total_unread"], 1);
        let seen = buyer_events.next(Duration::from_secs(5)).await.expect("read event");
        assert_eq!(seen.kind, "conversation.read");
        assert_eq!(seen.data["read_up_to"], first);
        assert_eq!(seen.data["reader"], "counterpart");
        let mine = seller_events.next(Duration::from_secs(5)).await.expect("own read event");
        assert_eq!((mine.kind.as_str(), mine.data["unread"].clone()), ("conversation.read", json!(1)));
        let buyer_view = get(&app, &buyer, &format!("/v1/conversations/{id}")).await;
        assert_eq!(buyer_view["read_by_counterpart_up_to"], first);

        // Never backwards; `{}` reads up to the newest.
        let r = ok(app.call(Method::POST, &path, Some(&seller), Some(json!({}))).await, 200).await;
        assert_eq!((r["read_up_to"].as_i64(), r["unread"].as_i64()), (Some(second), Some(0)));
        let r = ok(
            app.call(Method::POST, &path, Some(&seller), Some(json!({"up_to_message_id": first})))
                .await,
            200,
        )
        .await;
        assert_eq!(r["read_up_to"], second, "a read mark never moves back");
        assert_eq!(get(&app, &seller, "/v1/me/unread").await["messages"], 0);

        // Read receipts off: the buyer no longer sees what the seller read, nor hears of it.
        let settings = json!({
            "read_receipts": false,
            "push": {"messages": true, "price_drops": true, "saved_searches": true, "expiry": true, "payments": true},
            "quiet_hours": null,
        });
        ok(
            app.call(Method::PUT, "/v1/me/notification-settings", Some(&seller), Some(settings))
                .await,
            200,
        )
        .await;
        assert_eq!(
            get(&app, &buyer, &format!("/v1/conversations/{id}")).await["read_by_counterpart_up_to"],
            Value::Null
        );
        let third = ok(send(&app, &buyer, id, "Vous êtes là ?").await, 201).await["id"].clone();
        // What the buyer's stream holds so far: the read mark of `{}`, then their own message.
        loop {
            let e = buyer_events.next(Duration::from_secs(5)).await.expect("event");
            if e.kind == "message.created" && e.data["message"]["id"] == third {
                break;
            }
        }
        ok(app.call(Method::POST, &path, Some(&seller), Some(json!({"up_to_message_id": third}))).await, 200).await;
        assert!(
            buyer_events.next(Duration::from_millis(1500)).await.is_none(),
            "no read receipt goes out when they are turned off"
        );

        // A message of another thread, a stranger, a bad id: refused, nothing moves.
        let (_, other_buyer, other, other_first) = thread(&app, "read-other").await;
        assert_problem(
            app.call(Method::POST, &path, Some(&seller), Some(json!({"up_to_message_id": other_first}))).await,
            404,
            "not_found",
        )
        .await;
        assert_problem(app.call(Method::POST, &path, Some(&other_buyer), Some(json!({}))).await, 404, "not_found").await;
        assert_problem(
            app.call(Method::POST, &path, Some(&seller), Some(json!({"up_to_message_id": -4}))).await,
            422,
            "validation",
        )
        .await;
        let _ = other;
        assert_problem(app.call(Method::GET, "/v1/me/unread", None, None).await, 401, "missing_token").await;
    })
    .await;
}

#[tokio::test]
async fn a_block_stops_messages_both_ways_and_takes_the_thread_out_of_the_inbox() {
    each_backend(|app| async move {
        let (seller, buyer, id, _) = thread(&app, "block").await;
        let (_, _, kept, _) = {
            // Another buyer's thread with the same seller stays in the inbox.
            let other = app.user("buyer-block-2@example.dz").await;
            let ad = app
                .create_listing(&seller, car_ad(json!({"title": "Clio 4 diesel 2017"})))
                .await["id"]
                .as_i64()
                .unwrap();
            let c = ok(
                app.contact(
                    &other,
                    ad,
                    json!({"message": "Bonjour, dispo ?", "name": "Sami"}),
                )
                .await,
                201,
            )
            .await;
            (other.clone(), other, c["id"].as_i64().unwrap(), 0)
        };
        assert_eq!(get(&app, &seller, "/v1/me/unread").await["messages"], 2);
        let mut buyer_events = Events::open(&app, &buyer, None).await;
        let mut seller_events = Events::open(&app, &seller, None).await;
        let block = format!("/v1/conversations/{id}/block");
        let r = ok(
            app.call(Method::POST, &block, Some(&seller), None).await,
            200,
        )
        .await;
        assert_eq!(r["blocked"], true);
        // The blocker's other devices drop the thread; the blocked side is not told.
        let heard = seller_events
            .next(Duration::from_secs(5))
            .await
            .expect("blocked event");
        assert_eq!(heard.kind, "conversation.blocked");
        assert_eq!(
            (
                heard.data["conversation_id"].as_i64(),
                heard.data["blocked"].clone()
            ),
            (Some(id), json!(true))
        );
        assert!(
            buyer_events
                .next(Duration::from_millis(1200))
                .await
                .is_none(),
            "the blocked side hears nothing"
        );
        // Nor do they see what the blocker reads any more.
        ok(
            app.call(
                Method::POST,
                &format!("/v1/conversations/{id}/read"),
                Some(&seller),
                Some(json!({})),
            )
            .await,
            200,
        )
        .await;
        assert_eq!(
            get(&app, &buyer, &format!("/v1/conversations/{id}")).await
                ["read_by_counterpart_up_to"],
            Value::Null
        );
        assert!(
            buyer_events
                .next(Duration::from_millis(1200))
                .await
                .is_none(),
            "no read receipt across a block"
        );

        assert_problem(send(&app, &buyer, id, "Pourquoi ?").await, 403, "blocked").await;
        assert_problem(send(&app, &seller, id, "Au revoir").await, 403, "blocked").await;
        let inbox = get(&app, &seller, "/v1/me/conversations").await;
        let ids: Vec<i64> = inbox["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_i64().unwrap())
            .collect();
        assert_eq!(
            ids,
            vec![kept],
            "the blocked buyer's thread left the seller's inbox"
        );
        assert_eq!(inbox["total"], 1);
        assert_eq!(get(&app, &seller, "/v1/me/unread").await["messages"], 1);
        // The blocked side still sees their thread (and cannot block their way back in).
        assert_eq!(get(&app, &buyer, "/v1/me/conversations").await["total"], 1);

        // Someone outside the thread can neither block nor unblock through it.
        let eve = app.user("eve-block@example.dz").await;
        assert_problem(
            app.call(Method::DELETE, &block, Some(&eve), None).await,
            404,
            "not_found",
        )
        .await;
        assert_problem(send(&app, &buyer, id, "Encore ?").await, 403, "blocked").await;

        let r = ok(
            app.call(Method::DELETE, &block, Some(&seller), None).await,
            200,
        )
        .await;
        assert_eq!(r["blocked"], false);
        ok(
            send(&app, &buyer, id, "Merci de m'avoir débloqué").await,
            201,
        )
        .await;
        assert_eq!(get(&app, &seller, "/v1/me/conversations").await["total"], 2);
    })
    .await;
}

#[tokio::test]
async fn moderators_see_reported_threads_only_with_their_messages_as_evidence() {
    each_backend(|app| async move {
        let (seller, buyer, id, first) = thread(&app, "report").await;
        let (_, _, quiet, _) = thread(&app, "report-quiet").await;
        let scam = ok(send(&app, &seller, id, "Envoyez l'argent par western union avant").await, 201).await;
        let scam_id = scam["id"].as_i64().unwrap();
        let path = format!("/v1/conversations/{id}/reports");
        let r = ok(
            app.call(Method::POST, &path, Some(&buyer), Some(json!({"reason": "scam", "message_id": scam_id, "detail": "asks for a transfer"}))).await,
            201,
        )
        .await;
        let again = ok(
            app.call(Method::POST, &path, Some(&buyer), Some(json!({"reason": "scam", "message_id": scam_id}))).await,
            200,
        )
        .await;
        assert_eq!(again["id"], r["id"], "one report per message");

        // Bad input changes nothing.
        assert_problem(app.call(Method::POST, &path, Some(&buyer), Some(json!({"reason": "boring"}))).await, 422, "validation").await;
        let (_, _, _, foreign) = thread(&app, "report-foreign").await;
        assert_problem(
            app.call(Method::POST, &path, Some(&buyer), Some(json!({"reason": "spam", "message_id": foreign}))).await,
            404,
            "not_found",
        )
        .await;
        let eve = app.user("eve-report@example.dz").await;
        assert_problem(app.call(Method::POST, &path, Some(&eve), Some(json!({"reason": "spam"}))).await, 404, "not_found").await;

        // Not for users; moderators see the reported thread and no other.
        assert_problem(app.call(Method::GET, "/v1/mod/conversations", Some(&buyer), None).await, 403, "forbidden").await;
        app.register("mod-report@example.dz", None).await;
        app.verify("mod-report@example.dz");
        app.make_admin("mod-report@example.dz");
        let admin = app.login("mod-report@example.dz").await["access_token"].as_str().unwrap().to_string();
        let queue = get(&app, &admin, "/v1/mod/conversations").await;
        assert_eq!(queue["total"], 1);
        let item = &queue["items"][0];
        assert_eq!(item["conversation_id"], id);
        assert_ne!(item["conversation_id"], quiet);
        assert_eq!(item["reports"].as_array().unwrap().len(), 1);
        assert_eq!(item["reports"][0]["message_id"], scam_id);
        let bodies: Vec<&str> = item["messages"].as_array().unwrap().iter().map(|m| m["body"].as_str().unwrap()).collect();
        assert_eq!(bodies, vec!["Salam, disponible ?", "Envoyez l'argent par western union avant"]);
        assert_eq!(item["messages"][1]["warning"], "scam_phrase");
        let _ = first;

        // Flooding the thread does not push the reported message out of the evidence.
        let seller_id = app.user_id(&seller).await;
        for _ in 0..210 {
            app.sql(&format!(
                "INSERT INTO messages (conversation_id, sender_id, body, created_at) VALUES ({id}, {seller_id}, 'filler', {})",
                app.sql_minutes_ago(0)
            ));
        }
        let queue = get(&app, &admin, "/v1/mod/conversations").await;
        let evidence = queue["items"][0]["messages"].as_array().unwrap();
        assert_eq!(evidence.len(), 201, "the latest 200 and the reported one");
        assert_eq!(evidence[0]["id"], scam_id);

        // Resolving closes the reports; only reported threads can be resolved.
        let resolve = format!("/v1/mod/conversations/{id}/resolve");
        let r = ok(app.call(Method::POST, &resolve, Some(&admin), Some(json!({"reason": "seller banned for fraud"}))).await, 200).await;
        assert_eq!(r["closed_reports"], 1);
        assert_eq!(get(&app, &admin, "/v1/mod/conversations").await["total"], 0);
        assert_problem(
            app.call(Method::POST, &format!("/v1/mod/conversations/{quiet}/resolve"), Some(&admin), Some(json!({"reason": "looking around"}))).await,
            404,
            "not_found",
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn messages_carry_warnings_and_a_strangers_links_stay_text() {
    each_backend(|app| async move {
        let (seller, buyer, id, _) = thread(&app, "warn").await;
        let link = ok(
            send(
                &app,
                &buyer,
                id,
                "Les photos ici https://photos-dz.example/clio",
            )
            .await,
            201,
        )
        .await;
        assert_eq!(link["warning"], "link");
        assert!(
            link["body"]
                .as_str()
                .unwrap()
                .contains("hxxps[:]//photos-dz[.]example/clio"),
            "{link}"
        );
        let phone = ok(
            send(&app, &buyer, id, "Appelez-moi au 0551 23 45 67").await,
            201,
        )
        .await;
        assert_eq!(phone["warning"], "contact_details");
        let scam = ok(
            send(&app, &buyer, id, "Je fais le paiement avant livraison ?").await,
            201,
        )
        .await;
        assert_eq!(scam["warning"], "scam_phrase");
        let plain = ok(
            send(&app, &seller, id, "Oui, venez voir la voiture samedi.").await,
            201,
        )
        .await;
        assert_eq!(plain["warning"], Value::Null);
        // Once the seller answered, the buyer is no stranger: links stay links.
        let later = ok(
            send(&app, &buyer, id, "Voici l'annonce https://souk.test/a/1").await,
            201,
        )
        .await;
        assert!(later["body"]
            .as_str()
            .unwrap()
            .contains("https://souk.test/a/1"));
        assert_eq!(later["warning"], "link");

        let texts = ok(
            app.call(Method::GET, "/v1/message-warnings", None, None)
                .await,
            200,
        )
        .await;
        let codes: Vec<&str> = texts
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["code"].as_str().unwrap())
            .collect();
        assert_eq!(codes, vec!["scam_phrase", "link", "contact_details"]);
        for t in texts.as_array().unwrap() {
            for lang in ["ar", "fr", "en"] {
                assert!(t["text"][lang].as_str().unwrap().len() > 20, "{t}");
            }
        }
    })
    .await;
}

#[tokio::test]
async fn the_messages_of_an_account_banned_since_are_withdrawn_from_the_other_side() {
    each_backend(|app| async move {
        let (seller, buyer, id, _) = thread(&app, "ban").await;
        ok(
            send(&app, &seller, id, "Bonjour, oui disponible.").await,
            201,
        )
        .await;
        app.register("mod-ban@example.dz", None).await;
        app.verify("mod-ban@example.dz");
        app.make_admin("mod-ban@example.dz");
        let admin = app.login("mod-ban@example.dz").await["access_token"]
            .as_str()
            .unwrap()
            .to_string();
        let buyer_id = app.user_id(&buyer).await;
        ok(
            app.call(
                Method::POST,
                &format!("/v1/mod/users/{buyer_id}/ban"),
                Some(&admin),
                Some(json!({"reason": "scam ring"})),
            )
            .await,
            200,
        )
        .await;
        let view = get(&app, &seller, &format!("/v1/conversations/{id}")).await;
        let bodies: Vec<&str> = view["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["body"].as_str().unwrap())
            .collect();
        assert_eq!(
            bodies,
            vec!["Bonjour, oui disponible."],
            "the banned buyer's message is withdrawn"
        );
        let inbox = get(&app, &seller, "/v1/me/conversations").await;
        assert_eq!(
            inbox["items"][0]["messages"][0]["body"],
            "Bonjour, oui disponible."
        );
    })
    .await;
}

#[tokio::test]
async fn a_message_is_emailed_only_if_still_unread_after_the_delay_and_unread_ones_go_together() {
    for backend in souk_tests::backends() {
        let app = TestApp::spawn_with(backend, |c| c.message_email_delay_secs = 2).await;
        let (seller, buyer, id, _) = thread(&app, "delay").await;
        // Read within the delay: never emailed.
        ok(
            app.call(
                Method::POST,
                &format!("/v1/conversations/{id}/read"),
                Some(&seller),
                Some(json!({})),
            )
            .await,
            200,
        )
        .await;
        // Two messages left unread: one email carries both, once.
        ok(send(&app, &buyer, id, "Premier message non lu").await, 201).await;
        ok(send(&app, &buyer, id, "Second message non lu").await, 201).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        app.run_worker_once().await;
        let unread_mail = |app: &TestApp| {
            app.outbox()
                .into_iter()
                .filter(|m| m.to.contains("seller-delay") && m.text.contains("non lu"))
                .count()
        };
        assert_eq!(unread_mail(&app), 0, "nothing is emailed before the delay");
        tokio::time::sleep(Duration::from_millis(2600)).await;
        app.run_worker_once().await;
        let mail = app
            .wait_for_email("seller-delay@example.dz", "Premier message non lu")
            .await;
        assert!(mail.text.contains("Second message non lu"), "{}", mail.text);
        app.run_worker_once().await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(
            unread_mail(&app),
            1,
            "one email for the two unread messages"
        );
        assert!(
            app.outbox()
                .iter()
                .all(|m| !m.text.contains("Salam, disponible")),
            "the message read within the delay is never emailed"
        );
    }
}

#[tokio::test]
async fn a_photo_in_a_thread_is_cleaned_and_only_its_two_people_can_load_it() {
    use souk_tests::images::{contains, jpeg_with_exif, GPS_MARKER};
    each_backend(|app| async move {
        let (seller, buyer, id, _) = thread(&app, "photo").await;
        let mut seller_events = Events::open(&app, &seller, None).await;
        let sent = ok(
            app.send_photo(&buyer, id, jpeg_with_exif(64, 32, 6)).await,
            201,
        )
        .await;
        let large = sent["photo"]["large_url"]
            .as_str()
            .expect("photo url")
            .to_string();
        let thumb = sent["photo"]["thumb_url"].as_str().unwrap().to_string();
        assert!(
            large.starts_with(&format!("/v1/conversations/{id}/photos/")),
            "{large}"
        );
        let live = seller_events
            .next(Duration::from_secs(5))
            .await
            .expect("message event");
        assert_eq!(live.data["message"]["photo"]["large_url"], large.as_str());

        // Both people load it, cleaned (no EXIF, no GPS) and turned upright (orientation 6).
        for token in [&seller, &buyer] {
            let res = app.call(Method::GET, &large, Some(token), None).await;
            assert_eq!(res.status(), 200);
            assert!(res.headers()["cache-control"]
                .to_str()
                .unwrap()
                .starts_with("private"));
            let bytes = res.bytes().await.unwrap();
            assert!(!contains(&bytes, GPS_MARKER) && !contains(&bytes, b"Exif"));
            let img = image::load_from_memory(&bytes).unwrap();
            assert_eq!((img.width(), img.height()), (32, 64));
        }
        assert_eq!(
            app.call(Method::GET, &thumb, Some(&seller), None)
                .await
                .status(),
            200
        );
        // Nobody else: not another user, not without a token, not from the public photo route.
        let eve = app.user("eve-photo@example.dz").await;
        assert_problem(
            app.call(Method::GET, &large, Some(&eve), None).await,
            404,
            "not_found",
        )
        .await;
        assert_eq!(
            app.call(Method::GET, &large, None, None).await.status(),
            401
        );
        let key = large.split('/').nth(5).unwrap();
        assert_eq!(
            app.call(
                Method::GET,
                &format!("/v1/photos/{key}/large.jpg"),
                None,
                None
            )
            .await
            .status(),
            404
        );
        assert_eq!(
            app.call(
                Method::GET,
                &format!("/v1/conversations/{id}/photos/{key}/huge.jpg"),
                Some(&seller),
                None
            )
            .await
            .status(),
            404
        );
        // The file lives outside the public photos folder.
        assert!(std::fs::read_dir(app.data_dir.join("message-photos")).is_ok());

        // Not an image: refused, and no message was written.
        let res = app
            .send_photo(&buyer, id, b"not an image at all".to_vec())
            .await;
        assert!(res.status().is_client_error(), "{}", res.status());
        let thread_view = get(&app, &seller, &format!("/v1/conversations/{id}")).await;
        assert_eq!(thread_view["messages"].as_array().unwrap().len(), 2);
        // A stranger cannot send into the thread; a block stops photos too.
        assert_problem(
            app.send_photo(&eve, id, jpeg_with_exif(8, 8, 1)).await,
            404,
            "not_found",
        )
        .await;
        ok(
            app.call(
                Method::POST,
                &format!("/v1/conversations/{id}/block"),
                Some(&seller),
                None,
            )
            .await,
            200,
        )
        .await;
        assert_problem(
            app.send_photo(&buyer, id, jpeg_with_exif(8, 8, 1)).await,
            403,
            "blocked",
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn concurrent_messages_and_read_marks_keep_the_counters_true() {
    each_backend(|app| async move {
        let (seller, buyer, id, _) = thread(&app, "race").await;
        let read = format!("/v1/conversations/{id}/read");
        // Fifteen messages from the buyer while the seller marks the thread read, all at once.
        let mut tasks = Vec::new();
        for n in 0..15 {
            let (url, client, token) = (
                app.url(&format!("/v1/conversations/{id}/messages")),
                app.client.clone(),
                buyer.clone(),
            );
            tasks.push(tokio::spawn(async move {
                client
                    .post(url)
                    .bearer_auth(token)
                    .json(&json!({"message": format!("Message {n}")}))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            }));
            let (url, client, token) = (app.url(&read), app.client.clone(), seller.clone());
            tasks.push(tokio::spawn(async move {
                client
                    .post(url)
                    .bearer_auth(token)
                    .json(&json!({}))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            }));
        }
        for t in tasks {
            let status = t.await.unwrap();
            assert!(status == 200 || status == 201, "{status}");
        }
        // Whatever the order, the counter is what lies after the mark, as the messages say.
        let view = get(&app, &seller, &format!("/v1/conversations/{id}")).await;
        let mark = ok(
            app.call(
                Method::POST,
                &read,
                Some(&seller),
                Some(json!({"up_to_message_id": view["messages"][0]["id"]})),
            )
            .await,
            200,
        )
        .await;
        let after_mark = view["messages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["from_me"] == false && m["id"].as_i64() > mark["read_up_to"].as_i64())
            .count() as i64;
        assert_eq!(mark["unread"].as_i64(), Some(after_mark), "{mark}");
        assert_eq!(
            get(&app, &seller, "/v1/me/unread").await["messages"].as_i64(),
            Some(after_mark)
        );
        let done = ok(
            app.call(Method::POST, &read, Some(&seller), Some(json!({})))
                .await,
            200,
        )
        .await;
        assert_eq!(
            (done["unread"].as_i64(), done["total_unread"].as_i64()),
            (Some(0), Some(0))
        );
    })
    .await;
}
