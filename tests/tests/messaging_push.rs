//! Push notifications: devices register (a token belongs to one account at a time), every
//! message queues one push per thread for the other side, preferences and quiet hours are
//! honoured, and the transports work for real: the file outbox of a new install, and FCM HTTP
//! v1 against a stand-in FCM server on loopback that checks the OAuth2 exchange (a JWT signed
//! with the service account's RSA key) and every payload, and calls one token dead.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};
use souk_tests::loopback::{self, form_value};
use souk_tests::{assert_problem, car_ad, each_backend, TestApp};

async fn ok(res: reqwest::Response, status: u16) -> Value {
    let got = res.status().as_u16();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    assert_eq!(got, status, "{body}");
    body
}

async fn register(
    app: &TestApp,
    token: &str,
    installation: &str,
    push_token: &str,
    lang: &str,
) -> reqwest::Response {
    app.call(
        Method::PUT,
        &format!("/v1/me/devices/{installation}"),
        Some(token),
        Some(json!({"platform": "android", "token": push_token, "app_version": "2.4.1", "language": lang})),
    )
    .await
}

async fn outbox_settles(app: &TestApp) -> Vec<Value> {
    app.run_worker_once().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    app.run_worker_once().await;
    app.push_outbox()
}

const EVERYTHING_ON: &str = r#"{"messages": true, "price_drops": true, "saved_searches": true, "expiry": true, "payments": true}"#;

#[tokio::test]
async fn devices_get_one_push_per_thread_as_their_owner_wants_it() {
    each_backend(|app| async move {
        let seller = app.user("seller-push@example.dz").await;
        let buyer = app.user("buyer-push@example.dz").await;
        let ad = app.create_listing(&seller, car_ad(json!({}))).await["id"].as_i64().unwrap();
        let d = ok(register(&app, &seller, "inst-seller-0001", "fcm-token-seller-aaaaaaaa", "ar").await, 201).await;
        assert_eq!(d["installation_id"], "inst-seller-0001");
        // Refreshing is not a new device.
        ok(register(&app, &seller, "inst-seller-0001", "fcm-token-seller-aaaaaaaa", "ar").await, 200).await;

        let c = ok(app.contact(&buyer, ad, json!({"message": "Salam, la voiture est disponible ?", "name": "Karim"})).await, 201).await;
        let thread = c["id"].as_i64().unwrap();
        let sent = outbox_settles(&app).await;
        assert_eq!(sent.len(), 1, "{sent:?}");
        let m = &sent[0]["message"];
        assert_eq!(m["token"], "fcm-token-seller-aaaaaaaa");
        assert_eq!(m["notification"]["body"], "Salam, la voiture est disponible ?");
        assert!(m["notification"]["title"].as_str().unwrap().starts_with("Karim · "));
        let key = format!("thread-{thread}");
        assert_eq!(m["android"]["notification"]["tag"], key);
        assert_eq!(m["apns"]["headers"]["apns-collapse-id"], key);
        assert_eq!(m["data"]["conversation_id"], thread.to_string());
        assert!(serde_json::to_vec(m).unwrap().len() < 4096);

        // Messages off: nothing more is pushed. Quiet hours all day: nothing either.
        let mut settings = json!({"read_receipts": true, "push": serde_json::from_str::<Value>(EVERYTHING_ON).unwrap(), "quiet_hours": null});
        settings["push"]["messages"] = json!(false);
        ok(app.call(Method::PUT, "/v1/me/notification-settings", Some(&seller), Some(settings.clone())).await, 200).await;
        ok(app.call(Method::POST, &format!("/v1/conversations/{thread}/messages"), Some(&buyer), Some(json!({"message": "Vous êtes là ?"}))).await, 201).await;
        settings["push"]["messages"] = json!(true);
        // Quiet hours around the present moment in Algiers (UTC+1 all year).
        let algiers = chrono::Utc::now() + chrono::Duration::hours(1);
        let clock = |t: chrono::DateTime<chrono::Utc>| t.format("%H:%M").to_string();
        let (from, until) = (clock(algiers - chrono::Duration::hours(1)), clock(algiers + chrono::Duration::hours(1)));
        settings["quiet_hours"] = json!({"from": from, "until": until});
        let saved = ok(app.call(Method::PUT, "/v1/me/notification-settings", Some(&seller), Some(settings)).await, 200).await;
        assert_eq!(saved["quiet_hours"]["until"], until.as_str());
        ok(app.call(Method::POST, &format!("/v1/conversations/{thread}/messages"), Some(&buyer), Some(json!({"message": "Allô ?"}))).await, 201).await;
        assert_eq!(outbox_settles(&app).await.len(), 1, "turned off, then quiet hours: nothing pushed");
        let bad_clock = json!({"read_receipts": true, "push": serde_json::from_str::<Value>(EVERYTHING_ON).unwrap(), "quiet_hours": {"from": "25:00", "until": "07:00"}});
        assert_problem(app.call(Method::PUT, "/v1/me/notification-settings", Some(&seller), Some(bad_clock)).await, 422, "validation").await;

        // A token or installation of another account is refused and changes nothing; the same
        // phone signing in to another account moves with its token.
        assert_problem(register(&app, &buyer, "inst-seller-0001", "fcm-token-buyer-bbbbbbbbb", "fr").await, 409, "installation_taken").await;
        assert_problem(register(&app, &buyer, "inst-buyer-0001", "fcm-token-seller-aaaaaaaa", "fr").await, 409, "token_taken").await;
        assert_problem(app.call(Method::DELETE, "/v1/me/devices/inst-seller-0001", Some(&buyer), None).await, 404, "not_found").await;
        ok(register(&app, &buyer, "inst-seller-0001", "fcm-token-seller-aaaaaaaa", "fr").await, 201).await;
        assert_problem(app.call(Method::DELETE, "/v1/me/devices/inst-seller-0001", Some(&seller), None).await, 404, "not_found").await;
        let res = app.call(Method::DELETE, "/v1/me/devices/inst-seller-0001", Some(&buyer), None).await;
        assert_eq!(res.status(), 204);

        for (inst, body) in [
            ("short", json!({"platform": "android", "token": "fcm-token-xxxxxxxxxxxx"})),
            ("inst-ok-000001", json!({"platform": "nokia", "token": "fcm-token-xxxxxxxxxxxx"})),
            ("inst-ok-000001", json!({"platform": "ios", "token": "with spaces in it ....."})),
            ("inst-ok-000001", json!({"platform": "ios", "token": "fcm-token-xxxxxxxxxxxx", "language": "de"})),
        ] {
            assert_problem(app.call(Method::PUT, &format!("/v1/me/devices/{inst}"), Some(&buyer), Some(body)).await, 422, "validation").await;
        }
    })
    .await;
}

/// What the stand-in FCM server saw.
#[derive(Default)]
struct Seen {
    token_requests: usize,
    /// (device token, collapse tag, conversation id of the data, payload bytes)
    sends: Vec<(String, String, String, usize)>,
    refused: Vec<String>,
}

fn keypair(dir: &std::path::Path) -> (String, String) {
    let key = dir.join("key.pem");
    let status = std::process::Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
        ])
        .arg(&key)
        .status()
        .expect("openssl");
    assert!(status.success());
    let public = std::process::Command::new("openssl")
        .args(["pkey", "-pubout", "-in"])
        .arg(&key)
        .output()
        .expect("openssl");
    (
        std::fs::read_to_string(&key).unwrap(),
        String::from_utf8(public.stdout).unwrap(),
    )
}

/// FCM as Google runs it, reduced to what souk relies on: the token endpoint checks the
/// JWT's signature and claims; `messages:send` checks the access token and the message.
async fn fake_fcm(public_pem: String, seen: Arc<Mutex<Seen>>) -> String {
    let base = Arc::new(Mutex::new(String::new()));
    let base_in = base.clone();
    let url = loopback::serve(Arc::new(move |req: &loopback::Request| {
        let mut seen = seen.lock().unwrap();
        if req.path == "/token" {
            let assertion = form_value(&req.body, "assertion").unwrap_or_default();
            let grant = form_value(&req.body, "grant_type").unwrap_or_default();
            let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
            let aud = format!("{}/token", base_in.lock().unwrap());
            v.set_audience(&[aud.as_str()]);
            v.set_issuer(&["souk-push@souk-test.iam.gserviceaccount.com"]);
            let key = jsonwebtoken::DecodingKey::from_rsa_pem(public_pem.as_bytes()).unwrap();
            let Ok(data) = jsonwebtoken::decode::<Value>(&assertion, &key, &v) else {
                return (401, r#"{"error":"invalid_grant"}"#.into());
            };
            if grant != "urn:ietf:params:oauth:grant-type:jwt-bearer"
                || data.claims["scope"] != "https://www.googleapis.com/auth/firebase.messaging"
            {
                return (400, r#"{"error":"invalid_scope"}"#.into());
            }
            seen.token_requests += 1;
            return (200, r#"{"access_token":"ya29.fake-access","expires_in":3599,"token_type":"Bearer"}"#.into());
        }
        if req.path != "/v1/projects/souk-test/messages:send" {
            return (404, "{}".into());
        }
        if req.header("authorization") != Some("Bearer ya29.fake-access") {
            return (401, r#"{"error":{"status":"UNAUTHENTICATED"}}"#.into());
        }
        let body: Value = serde_json::from_str(&req.body).unwrap_or(Value::Null);
        let m = &body["message"];
        let token = m["token"].as_str().unwrap_or("").to_string();
        if token.starts_with("dead-") {
            seen.refused.push(token);
            return (404, r#"{"error":{"code":404,"status":"NOT_FOUND","details":[{"@type":"type.googleapis.com/google.firebase.fcm.v1.FcmError","errorCode":"UNREGISTERED"}]}}"#.into());
        }
        let tag = m["android"]["notification"]["tag"].as_str().unwrap_or("").to_string();
        let collapse = m["apns"]["headers"]["apns-collapse-id"].as_str().unwrap_or("");
        let thread = m["data"]["conversation_id"].as_str().unwrap_or("").to_string();
        if tag != collapse || m["notification"]["title"].as_str().is_none() {
            return (400, r#"{"error":{"status":"INVALID_ARGUMENT"}}"#.into());
        }
        seen.sends.push((token, tag, thread, req.body.len()));
        (200, r#"{"name":"projects/souk-test/messages/1"}"#.into())
    }))
    .await;
    *base.lock().unwrap() = url.clone();
    url
}

#[tokio::test]
async fn a_thousand_notifications_go_through_fcm_with_their_collapse_keys_and_dead_tokens_go() {
    let backend = souk_tests::backends()
        .into_iter()
        .last()
        .expect("a backend");
    let keys = tempfile::tempdir().unwrap();
    let (private_pem, public_pem) = keypair(keys.path());
    let seen = Arc::new(Mutex::new(Seen::default()));
    let fcm = fake_fcm(public_pem, seen.clone()).await;
    let account = json!({
        "type": "service_account",
        "project_id": "souk-test",
        "private_key_id": "k1",
        "private_key": private_pem,
        "client_email": "souk-push@souk-test.iam.gserviceaccount.com",
        "token_uri": format!("{fcm}/token"),
    });
    let account_file = keys.path().join("service-account.json");
    std::fs::write(&account_file, account.to_string()).unwrap();
    let fcm_config = souk_worker::push::FcmConfig::from_file(&account_file, Some(fcm.clone()))
        .expect("service account");
    let app = TestApp::spawn_with(backend, move |c| {
        c.push.fcm = Some(fcm_config);
        c.limits.contact_per_hour = 100_000;
    })
    .await;

    let seller = app.user("seller-fcm@example.dz").await;
    ok(
        register(
            &app,
            &seller,
            "inst-seller-live",
            "live-token-seller-000000",
            "fr",
        )
        .await,
        201,
    )
    .await;
    ok(
        register(
            &app,
            &seller,
            "inst-seller-gone",
            "dead-token-seller-000000",
            "fr",
        )
        .await,
        201,
    )
    .await;
    // Ten buyers, one thread each; the buyers turned message pushes off.
    let mut threads = Vec::new();
    let off = json!({"read_receipts": true, "push": {"messages": false, "price_drops": true, "saved_searches": true, "expiry": true, "payments": true}, "quiet_hours": null});
    for i in 0..10 {
        let buyer = app.user(&format!("buyer-fcm-{i}@example.dz")).await;
        ok(
            register(
                &app,
                &buyer,
                &format!("inst-buyer-{i:04}"),
                &format!("live-token-buyer-{i:06}"),
                "ar",
            )
            .await,
            201,
        )
        .await;
        ok(
            app.call(
                Method::PUT,
                "/v1/me/notification-settings",
                Some(&buyer),
                Some(off.clone()),
            )
            .await,
            200,
        )
        .await;
        let ad = app
            .create_listing(
                &seller,
                car_ad(json!({"title": format!("Golf 7 numéro {i}")})),
            )
            .await["id"]
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
        threads.push((buyer, c["id"].as_i64().unwrap()));
    }
    // 990 more messages from the buyers (1,000 notifications for the seller), and one answer
    // per thread from the seller (no push: the buyers turned them off).
    for n in 0..990 {
        let (buyer, thread) = &threads[n % 10];
        ok(
            app.call(
                Method::POST,
                &format!("/v1/conversations/{thread}/messages"),
                Some(buyer),
                Some(json!({"message": format!("Message numéro {n}")})),
            )
            .await,
            201,
        )
        .await;
    }
    for (_, thread) in &threads {
        ok(
            app.call(
                Method::POST,
                &format!("/v1/conversations/{thread}/messages"),
                Some(&seller),
                Some(json!({"message": "Oui, toujours disponible."})),
            )
            .await,
            201,
        )
        .await;
    }
    for _ in 0..600 {
        if seen.lock().unwrap().sends.len() >= 1000 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    app.run_worker_once().await;
    let seller_id = app.user_id(&seller).await;
    let seen = seen.lock().unwrap();
    assert_eq!(
        seen.sends.len(),
        1000,
        "one push per message to the live device"
    );
    assert!(
        seen.sends
            .iter()
            .all(|(t, _, _, _)| t == "live-token-seller-000000"),
        "nothing to the buyers, who turned pushes off"
    );
    for (_, tag, thread, bytes) in &seen.sends {
        assert_eq!(
            tag,
            &format!("thread-{thread}"),
            "one notification per thread on the phone"
        );
        assert!(*bytes < 4096);
    }
    let distinct: std::collections::BTreeSet<&String> = seen.sends.iter().map(|s| &s.1).collect();
    assert_eq!(distinct.len(), 10);
    assert_eq!(
        seen.refused.len(),
        1,
        "a dead token is tried once, then dropped"
    );
    assert_eq!(
        seen.token_requests, 1,
        "the access token is minted once and cached"
    );
    use diesel::prelude::*;
    let left: Vec<String> = souk_store::schema::devices::table
        .filter(souk_store::schema::devices::user_id.eq(seller_id))
        .select(souk_store::schema::devices::token)
        .load(&mut app.store())
        .unwrap();
    assert_eq!(left, vec!["live-token-seller-000000".to_string()]);
}
