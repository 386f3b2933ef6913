//! The live event stream (`GET /v1/me/events`) over real HTTP: a reply reaches the other side's
//! open stream; a client that reconnects with `Last-Event-ID` gets exactly what it missed;
//! malformed resume points and too many streams are refused.

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};
use souk_tests::live::Events;
use souk_tests::{assert_problem, car_ad, each_backend, TestApp};

async fn reply(app: &TestApp, token: &str, thread: i64, text: &str) {
    let res = app
        .call(
            Method::POST,
            &format!("/v1/conversations/{thread}/messages"),
            Some(token),
            Some(json!({ "message": text })),
        )
        .await;
    assert_eq!(res.status(), 201);
}

/// Two API processes on one database and one Redis, with heartbeats far apart enough that a
/// delivery within seconds can only come through Redis.
async fn two_processes(
    backend: souk_tests::Backend,
    redis: &str,
    heartbeat_secs: u64,
) -> (TestApp, TestApp) {
    let url = redis.to_string();
    let first = TestApp::spawn_with(backend, |c| {
        c.redis_url = Some(url);
        c.events_heartbeat_secs = heartbeat_secs;
    })
    .await;
    let url = redis.to_string();
    let second = first
        .beside(|c| {
            c.redis_url = Some(url);
            c.events_heartbeat_secs = heartbeat_secs;
        })
        .await;
    (first, second)
}

#[tokio::test]
async fn replies_reach_the_open_stream_and_a_reconnect_gets_exactly_what_it_missed() {
    each_backend(|app| async move {
        let seller = app.user("seller@example.dz").await;
        let buyer = app.user("buyer@example.dz").await;
        let ad = app.create_listing(&seller, car_ad(json!({}))).await["id"]
            .as_i64()
            .unwrap();
        let mut seller_events = Events::open(&app, &seller, None).await;
        let res = app
            .contact(
                &buyer,
                ad,
                json!({"message": "Salam, disponible ?", "name": "Karim"}),
            )
            .await;
        assert_eq!(res.status(), 201);
        let thread = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();

        // The new thread's first message, live.
        let first = seller_events
            .next(Duration::from_secs(5))
            .await
            .expect("live event");
        assert_eq!(first.kind, "message.created");
        assert_eq!(first.data["conversation_id"], thread);
        assert_eq!(first.data["message"]["body"], "Salam, disponible ?");
        assert_eq!(first.data["message"]["from_me"], false);

        // The buyer's stream opened now starts at the present: nothing of before.
        let mut buyer_events = Events::open(&app, &buyer, None).await;
        reply(&app, &seller, thread, "Oui, toujours").await;
        let seen = buyer_events
            .next(Duration::from_secs(5))
            .await
            .expect("the reply");
        assert_eq!(seen.data["message"]["body"], "Oui, toujours");
        assert_eq!(seen.data["message"]["from_me"], false);
        // The seller's own message reaches the seller's other devices, marked as theirs.
        let own = seller_events
            .next(Duration::from_secs(5))
            .await
            .expect("own echo");
        assert_eq!(own.id, first.id + 1);
        assert_eq!(own.data["message"]["from_me"], true);

        // The seller's phone goes away; three messages arrive meanwhile.
        drop(seller_events);
        for text in ["Prix final ?", "Je peux venir demain", "À Blida"] {
            reply(&app, &buyer, thread, text).await;
        }
        let mut again = Events::open(&app, &seller, Some(own.id)).await;
        let mut bodies = Vec::new();
        for expected_id in own.id + 1..=own.id + 3 {
            let e = again
                .next(Duration::from_secs(5))
                .await
                .expect("a missed event");
            assert_eq!(e.id, expected_id, "in order, none lost");
            bodies.push(e.data["message"]["body"].as_str().unwrap().to_string());
        }
        assert_eq!(bodies, ["Prix final ?", "Je peux venir demain", "À Blida"]);
        assert!(
            again.next(Duration::from_millis(700)).await.is_none(),
            "nothing twice"
        );
        // And live again after the catch-up.
        reply(&app, &buyer, thread, "Merci").await;
        let live = again
            .next(Duration::from_secs(5))
            .await
            .expect("live after catch-up");
        assert_eq!(live.id, own.id + 4);
    })
    .await;
}

#[tokio::test]
async fn bad_resume_points_and_too_many_streams_are_refused() {
    each_backend(|app| async move {
        let user = app.user("someone@example.dz").await;
        for bad in ["abc", "-1", "12345678901234567890", "1 2"] {
            let res = app
                .client
                .get(app.url("/v1/me/events"))
                .bearer_auth(&user)
                .header("last-event-id", bad)
                .send()
                .await
                .unwrap();
            assert_problem(res, 400, "invalid_last_event_id").await;
        }
        let res = app.get("/v1/me/events").await;
        assert_eq!(res.status(), 401, "signed in only");
        let mut open = Vec::new();
        for _ in 0..5 {
            open.push(Events::open(&app, &user, Some(0)).await);
        }
        let res = app
            .call(Method::GET, "/v1/me/events", Some(&user), None)
            .await;
        assert_problem(res, 429, "rate_limited").await;
        // A stream whose client went away gives its place back, at its next heartbeat (a
        // second in tests).
        drop(open.pop());
        let mut reopened = false;
        for _ in 0..50 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let res = app
                .call(Method::GET, "/v1/me/events", Some(&user), None)
                .await;
            if res.status() == 200 {
                reopened = true;
                break;
            }
        }
        assert!(reopened, "the place of a closed stream came back");
    })
    .await;
}

/// A stream outlives the request that opened it: a ban (like a deletion or a password reset)
/// must end it as it ends the account's access tokens, not leave it receiving events.
#[tokio::test]
async fn a_ban_ends_the_open_stream_of_the_banned_account() {
    each_backend(|app| async move {
        let user = app.user("someone@example.dz").await;
        let mut stream = Events::open(&app, &user, Some(0)).await;
        // The positive control: an open stream stays open across heartbeats.
        assert!(!stream.ends_within(Duration::from_millis(1500)).await);
        app.register("mod@example.dz", None).await;
        app.verify("mod@example.dz");
        app.make_moderator("mod@example.dz");
        let moderator = app.login("mod@example.dz").await["access_token"]
            .as_str()
            .unwrap()
            .to_string();
        let id = app.user_id(&user).await;
        let res = app
            .call(
                Method::POST,
                &format!("/v1/mod/users/{id}/ban"),
                Some(&moderator),
                Some(json!({"reason": "spam"})),
            )
            .await;
        assert!(res.status().is_success(), "ban: {}", res.status());
        assert!(
            stream.ends_within(Duration::from_secs(5)).await,
            "the banned account's stream still open"
        );
        let res = app
            .call(Method::GET, "/v1/me/events", Some(&user), None)
            .await;
        assert_problem(res, 401, "token_revoked").await;
    })
    .await;
}

/// EventSource cannot send a bearer token: a ticket asked for with one opens the stream once.
#[tokio::test]
async fn a_ticket_opens_the_stream_once_without_a_bearer_token() {
    each_backend(|app| async move {
        let seller = app.user("seller@example.dz").await;
        let buyer = app.user("buyer@example.dz").await;
        let ad = app.create_listing(&seller, car_ad(json!({}))).await["id"]
            .as_i64()
            .unwrap();
        let res = app
            .call(Method::POST, "/v1/me/events/ticket", Some(&seller), None)
            .await;
        assert_eq!(res.status(), 201);
        let ticket = res.json::<Value>().await.unwrap()["ticket"]
            .as_str()
            .unwrap()
            .to_string();
        let url = |t: &str| app.url(&format!("/v1/me/events?ticket={t}"));
        let res = app.client.get(url(&ticket)).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let mut events = Events::from_response(res);
        let sent = app
            .contact(
                &buyer,
                ad,
                json!({"message": "Salam, disponible ?", "name": "Karim"}),
            )
            .await;
        assert_eq!(sent.status(), 201);
        let e = events
            .next(Duration::from_secs(5))
            .await
            .expect("the seller's event");
        assert_eq!(e.data["message"]["body"], "Salam, disponible ?");
        // Single use; and a made-up one opens nothing.
        for t in [ticket.as_str(), "0.made-up-ticket", "x"] {
            let res = app.client.get(url(t)).send().await.unwrap();
            assert_problem(res, 401, "invalid_ticket").await;
        }
        let res = app
            .call(Method::POST, "/v1/me/events/ticket", None, None)
            .await;
        assert_eq!(res.status(), 401, "tickets for signed-in users only");
    })
    .await;
}

/// A buyer with a thread hears live when its ad is sold, and when another ad of theirs
/// expires (the worker's sweep; the stream finds it at its next heartbeat without Redis).
#[tokio::test]
async fn buyers_hear_when_the_ad_of_their_thread_is_sold_or_expires() {
    each_backend(|app| async move {
        let seller = app.user("seller@example.dz").await;
        let buyer = app.user("buyer@example.dz").await;
        let mut ads = Vec::new();
        for title in ["Peugeot 208 diesel 2019", "Renault Clio 4 essence 2016"] {
            let ad = app
                .create_listing(&seller, car_ad(json!({"title": title})))
                .await["id"]
                .as_i64()
                .unwrap();
            let res = app
                .contact(
                    &buyer,
                    ad,
                    json!({"message": "Salam, disponible ?", "name": "Karim"}),
                )
                .await;
            assert_eq!(res.status(), 201);
            ads.push(ad);
        }
        let mut events = Events::open(&app, &buyer, None).await;
        let res = app
            .call(
                Method::POST,
                &format!("/v1/listings/{}/sold", ads[0]),
                Some(&seller),
                None,
            )
            .await;
        assert_eq!(res.status(), 200);
        let sold = events
            .next(Duration::from_secs(5))
            .await
            .expect("sold, live");
        assert_eq!(sold.kind, "conversation.ad_closed");
        assert_eq!(sold.data["listing_id"], ads[0]);
        assert_eq!(sold.data["status"], "sold");
        app.sql(&format!(
            "UPDATE listings SET expires_at = {} WHERE id = {}",
            app.sql_minutes_ago(5),
            ads[1]
        ));
        let mut expired = None;
        for _ in 0..20 {
            app.run_worker_once().await;
            if let Some(e) = events.next(Duration::from_millis(500)).await {
                expired = Some(e);
                break;
            }
        }
        let expired = expired.expect("expired, from the worker");
        assert_eq!(expired.data["listing_id"], ads[1]);
        assert_eq!(expired.data["status"], "expired");
        assert_eq!(expired.id, sold.id + 1);
    })
    .await;
}

/// Two API processes on one database and one Redis: a message posted through one reaches a
/// stream held by the other at once, not at the other's next heartbeat (30 s here).
#[tokio::test]
async fn an_event_made_on_one_process_reaches_a_stream_on_another_through_redis() {
    let Some(redis) = souk_tests::redis_url() else {
        return;
    };
    for backend in souk_tests::backends() {
        let (first, second) = two_processes(backend, &redis, 30).await;
        let seller = first.user("seller@example.dz").await;
        let buyer = first.user("buyer@example.dz").await;
        let ad = first.create_listing(&seller, car_ad(json!({}))).await["id"]
            .as_i64()
            .unwrap();
        let mut on_second = Events::open(&second, &seller, None).await;
        // Its subscription to Redis is up before the first wake-up is published.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let res = first
            .contact(
                &buyer,
                ad,
                json!({"message": "Salam, disponible ?", "name": "Karim"}),
            )
            .await;
        assert_eq!(res.status(), 201);
        let e = on_second
            .next(Duration::from_secs(3))
            .await
            .expect("delivered across processes well before the heartbeat");
        assert_eq!(e.kind, "message.created");
        assert_eq!(e.data["message"]["body"], "Salam, disponible ?");
        drop(on_second);
        drop(second);
    }
}

#[tokio::test]
async fn a_burst_from_both_processes_arrives_in_order_once_each() {
    let Some(redis) = souk_tests::redis_url() else {
        return;
    };
    for backend in souk_tests::backends() {
        let (first, second) = two_processes(backend, &redis, 60).await;
        let seller = first.user("seller@example.dz").await;
        let ad = first.create_listing(&seller, car_ad(json!({}))).await["id"]
            .as_i64()
            .unwrap();
        let mut threads = Vec::new();
        for n in 0..3 {
            let buyer = first.user(&format!("buyer{n}@example.dz")).await;
            let res = first
                .contact(&buyer, ad, json!({"message": "Salam", "name": "Karim"}))
                .await;
            assert_eq!(res.status(), 201);
            let thread = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
            threads.push((buyer, thread));
        }
        // Two streams of the seller, one on each process.
        let mut streams = [
            Events::open(&first, &seller, None).await,
            Events::open(&second, &seller, None).await,
        ];
        tokio::time::sleep(Duration::from_millis(300)).await;
        // Three buyers write at once, each alternating between the two processes: the events
        // of the seller commit in one order and their wake-ups may cross in another.
        let mut senders = Vec::new();
        for (n, (buyer, thread)) in threads.into_iter().enumerate() {
            let apps = [first.base.clone(), second.base.clone()];
            senders.push(tokio::spawn(async move {
                let client = reqwest::Client::new();
                for i in 0..10 {
                    let res = client
                        .post(format!(
                            "{}/v1/conversations/{thread}/messages",
                            apps[i % 2]
                        ))
                        .bearer_auth(&buyer)
                        .json(&json!({ "message": format!("buyer {n} message {i}") }))
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(res.status(), 201);
                }
            }));
        }
        for s in senders {
            s.await.unwrap();
        }
        for stream in &mut streams {
            let mut ids = Vec::new();
            let mut bodies = std::collections::BTreeSet::new();
            while ids.len() < 30 {
                let e = stream
                    .next(Duration::from_secs(10))
                    .await
                    .expect("every message, well before the heartbeat");
                ids.push(e.id);
                bodies.insert(e.data["message"]["body"].as_str().unwrap().to_string());
            }
            assert!(
                ids.windows(2).all(|w| w[1] == w[0] + 1),
                "consecutive ids, none lost or twice: {ids:?}"
            );
            assert_eq!(bodies.len(), 30);
            assert!(
                stream.next(Duration::from_millis(700)).await.is_none(),
                "nothing twice"
            );
        }
    }
}
