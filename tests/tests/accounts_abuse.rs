//! The abuse suite: attacks a hostile user would run against a classifieds site, each
//! against the real app over real HTTP (and a real nginx where a proxy matters). Each test
//! failed on the code before its fix.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use souk_tests::hostile::{client_from, nginx_binary, Nginx};
use souk_tests::{assert_problem, car_ad, each_backend, TestApp, PASSWORD};

fn register_body(email: &str) -> Value {
    json!({"email": email, "password": PASSWORD, "display_name": "Test User"})
}

async fn register_via(
    client: &reqwest::Client,
    base: &str,
    email: &str,
    xff: Option<&str>,
) -> StatusCode {
    let mut req = client
        .post(format!("{base}/v1/auth/register"))
        .json(&register_body(email));
    if let Some(x) = xff {
        req = req.header("X-Forwarded-For", x);
    }
    req.send().await.expect("register sent").status()
}

/// Behind a proxy every client shares the proxy's address: per-client limits must key on the
/// client nginx saw, and a client must not choose its own key by sending the header itself.
#[tokio::test]
async fn per_client_limits_hold_per_client_behind_a_real_proxy() {
    let Some(nginx_bin) = nginx_binary() else {
        return;
    };
    let app = TestApp::spawn_with(souk_tests::Backend::Sqlite, |c| {
        c.limits.register_per_hour = 3;
        c.proxies.nets = souk_api::client_ip::TrustedProxies::parse_list("127.0.0.1/32").unwrap();
    })
    .await;
    let proxy = Nginx::start(&nginx_bin, &app.base).await;
    let attacker = client_from("127.0.0.2");
    for i in 0..3 {
        let s = register_via(&attacker, &proxy.base, &format!("bot{i}@example.dz"), None).await;
        assert_eq!(s, StatusCode::CREATED, "registration {i} through the proxy");
    }
    assert_eq!(
        register_via(&attacker, &proxy.base, "bot3@example.dz", None).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Forged forwarding headers change nothing: nginx appends the real address.
    for fake in ["10.9.9.9", "127.0.0.3", "1.2.3.4, 5.6.7.8"] {
        assert_eq!(
            register_via(&attacker, &proxy.base, "bot4@example.dz", Some(fake)).await,
            StatusCode::TOO_MANY_REQUESTS,
            "forged X-Forwarded-For {fake}"
        );
    }
    // Another client behind the same proxy is not affected (before: 429, the proxy's
    // address was everyone's).
    let neighbour = client_from("127.0.0.3");
    assert_eq!(
        register_via(&neighbour, &proxy.base, "amina@example.dz", None).await,
        StatusCode::CREATED
    );
    // Straight to the app, not through a trusted proxy: the header is ignored.
    let direct = client_from("127.0.0.4");
    for i in 0..3 {
        let s = register_via(
            &direct,
            &app.base,
            &format!("d{i}@example.dz"),
            Some(&format!("10.0.0.{i}")),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED);
    }
    assert_eq!(
        register_via(&direct, &app.base, "d9@example.dz", Some("10.0.0.99")).await,
        StatusCode::TOO_MANY_REQUESTS
    );
}

async fn login_from(
    app: &TestApp,
    from: &str,
    email: &str,
    password: &str,
    device: Option<&str>,
) -> reqwest::Response {
    let mut body = json!({"email": email, "password": password});
    if let Some(d) = device {
        body["device_token"] = json!(d);
    }
    client_from(from)
        .post(app.url("/v1/auth/login"))
        .json(&body)
        .send()
        .await
        .expect("login sent")
}

/// A botnet, one guess per address, against one account: the address slows down for
/// everyone, but not for the owner's known device, and a reset ends it.
#[tokio::test]
async fn a_botnet_guessing_one_password_is_slowed_and_the_owner_still_gets_in() {
    each_backend(|app| async move {
        let email = "victim@example.dz";
        app.register(email, None).await;
        // The owner signed in from their phone once; the app kept what login returned.
        let first = app.login(email).await;
        let mut refused = 0;
        for i in 0..12 {
            let res = login_from(
                &app,
                &format!("127.0.1.{}", i + 10),
                email,
                "guess-guess-guess",
                None,
            )
            .await;
            match res.status() {
                StatusCode::UNAUTHORIZED => {}
                StatusCode::TOO_MANY_REQUESTS => {
                    assert!(res.headers().contains_key("retry-after"));
                    refused += 1;
                }
                other => panic!("guess {i}: {other}"),
            }
        }
        // Before: 12 × 401, every guess checked.
        assert!(refused >= 6, "only {refused} of 12 guesses were held back");
        let device = first["device_token"]
            .as_str()
            .expect("device token")
            .to_string();
        // The owner, from a new place without the device token, must wait too...
        let res = login_from(&app, "127.0.2.1", email, PASSWORD, None).await;
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        // ...but from the device that signed in before, gets in at once.
        let res = login_from(&app, "127.0.2.2", email, PASSWORD, Some(&device)).await;
        assert_eq!(res.status(), StatusCode::OK);
        // A device token of another address does not help.
        let other = app.register("other@example.dz", None).await;
        assert!(other["id"].is_number());
        let other_device = app.login("other@example.dz").await["device_token"]
            .as_str()
            .unwrap()
            .to_string();
        for i in 0..8 {
            login_from(
                &app,
                &format!("127.0.3.{i}"),
                email,
                "guess-guess-guess",
                None,
            )
            .await;
        }
        let res = login_from(&app, "127.0.2.3", email, PASSWORD, Some(&other_device)).await;
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        // A password reset ends the wait.
        let res = app
            .call(
                Method::POST,
                "/v1/auth/password-reset",
                None,
                Some(json!({"email": email})),
            )
            .await;
        assert_eq!(res.status(), StatusCode::ACCEPTED);
        let mail = app.wait_for_email(email, "valable 1 heure").await;
        let token = reset_code(&mail.text);
        let res = app
            .call(
                Method::POST,
                "/v1/auth/password-reset/confirm",
                None,
                Some(json!({"token": token, "new_password": "a brand new passphrase"})),
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        let after_reset = res.json::<Value>().await.unwrap()["device_token"]
            .as_str()
            .unwrap()
            .to_string();
        let res = login_from(&app, "127.0.2.4", email, "a brand new passphrase", None).await;
        assert_eq!(res.status(), StatusCode::OK);
        // The attacker starts again at once; the owner, with the token the reset gave, is
        // not made to wait, while the device token of the old password no longer helps.
        for i in 0..8 {
            login_from(
                &app,
                &format!("127.0.4.{i}"),
                email,
                "guess-guess-guess",
                None,
            )
            .await;
        }
        let res = login_from(
            &app,
            "127.0.2.5",
            email,
            "a brand new passphrase",
            Some(&device),
        )
        .await;
        assert_eq!(
            res.status(),
            StatusCode::TOO_MANY_REQUESTS,
            "old password's device token"
        );
        let res = login_from(
            &app,
            "127.0.2.6",
            email,
            "a brand new passphrase",
            Some(&after_reset),
        )
        .await;
        assert_eq!(res.status(), StatusCode::OK);
    })
    .await;
}

/// When an address's wait ends, a botnet firing together gets one guess, not one per bot.
#[tokio::test]
async fn guesses_fired_together_after_a_wait_get_one_through() {
    each_backend(|app| async move {
        let email = "target@example.dz";
        app.register(email, None).await;
        for i in 0..5 {
            let res = login_from(
                &app,
                &format!("127.0.5.{i}"),
                email,
                "guess-guess-guess",
                None,
            )
            .await;
            assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        }
        // The fifth failure asks for one second; after it, twelve bots at once.
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        let bots: Vec<_> = (0..12)
            .map(|i| {
                let url = app.url("/v1/auth/login");
                tokio::spawn(async move {
                    client_from(&format!("127.0.6.{i}"))
                        .post(url)
                        .json(
                            &json!({"email": "target@example.dz", "password": "guess-guess-guess"}),
                        )
                        .send()
                        .await
                        .unwrap()
                        .status()
                })
            })
            .collect();
        let mut checked = 0;
        for b in bots {
            match b.await.unwrap() {
                StatusCode::UNAUTHORIZED => checked += 1,
                StatusCode::TOO_MANY_REQUESTS => {}
                other => panic!("{other}"),
            }
        }
        assert_eq!(checked, 1, "guesses checked out of 12 fired together");
    })
    .await;
}

/// Someone registers an alias of a victim's Gmail address and leaves it unconfirmed: the
/// victim cannot register, but the account is theirs to take, since their mailbox gets its
/// reset mail, and any spelling signs in.
#[tokio::test]
async fn a_squatted_alias_is_reclaimed_by_the_mailbox_owner() {
    each_backend(|app| async move {
        app.register("v.ictim+squat@gmail.com", None).await;
        let res = app
            .call(Method::POST, "/v1/auth/register", None, Some(register_body("victim@gmail.com")))
            .await;
        assert_problem(res, 409, "email_taken").await;
        let res = app
            .call(Method::POST, "/v1/auth/password-reset", None, Some(json!({"email": "victim@gmail.com"})))
            .await;
        assert_eq!(res.status(), StatusCode::ACCEPTED);
        // Delivered to the stored spelling, which is the victim's inbox.
        let mail = app.wait_for_email("v.ictim+squat@gmail.com", "valable 1 heure").await;
        let res = app
            .call(
                Method::POST,
                "/v1/auth/password-reset/confirm",
                None,
                Some(json!({"token": reset_code(&mail.text), "new_password": "mine again, thank you"})),
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        let res = login_from(&app, "127.0.7.1", "victim@gmail.com", "mine again, thank you", None).await;
        assert_eq!(res.status(), StatusCode::OK);
        let res = login_from(&app, "127.0.7.1", "victim@gmail.com", PASSWORD, None).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "the squatter's password is gone");
    })
    .await;
}

/// The code in a password-reset email: the line of its own, 43 characters.
fn reset_code(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .find(|l| l.len() == 43)
        .unwrap_or_else(|| panic!("no reset code in {text}"))
        .to_string()
}

/// Password-reset confirm with made-up tokens: refused before any argon2id run, and limited.
#[tokio::test]
async fn reset_confirm_checks_the_token_before_hashing_and_is_limited() {
    each_backend(|app| async move {
        let hashes_before = app.running.state.passwords.runs();
        let mut limited = false;
        for i in 0..25 {
            let res = app
                .call(
                    Method::POST,
                    "/v1/auth/password-reset/confirm",
                    None,
                    Some(json!({"token": format!("made-up-{i}"), "new_password": "a long new passphrase"})),
                )
                .await;
            match res.status() {
                StatusCode::BAD_REQUEST => {}
                StatusCode::TOO_MANY_REQUESTS => {
                    limited = true;
                    break;
                }
                other => panic!("confirm {i}: {other}"),
            }
        }
        assert!(limited, "25 made-up tokens from one client were all checked");
        // Before: one 19 MiB argon2id run per made-up token.
        assert_eq!(app.running.state.passwords.runs(), hashes_before);
        // The positive control: a password that is hashed is counted here.
        app.user("real@example.dz").await;
        assert!(app.running.state.passwords.runs() > hashes_before);
    })
    .await;
}

/// Three aliases of one Gmail inbox used to be three confirmed accounts, enough to hide any
/// rival's ad. Now they are one account, and reports are weighed by their reporter.
#[tokio::test]
async fn address_aliases_cannot_brigade_an_ad_down() {
    each_backend(|app| async move {
        let seller = app.seasoned_user("rival@example.dz").await;
        let ad = app.create_listing(&seller, car_ad(json!({}))).await;
        let id = ad["id"].as_i64().unwrap();
        app.seasoned_user("brigader@gmail.com").await;
        for alias in [
            "brigader+1@gmail.com",
            "bri.gader@gmail.com",
            "Brigader+x@googlemail.com",
        ] {
            let res = app
                .call(
                    Method::POST,
                    "/v1/auth/register",
                    None,
                    Some(register_body(alias)),
                )
                .await;
            assert_problem(res, 409, "email_taken").await;
        }
        // Fresh confirmed accounts (an afternoon's work) weigh little: three do not hide it.
        for i in 0..3 {
            let t = app.user(&format!("fresh{i}@example.dz")).await;
            assert_eq!(report_scam(&app, &t, id).await, StatusCode::CREATED);
        }
        assert_eq!(
            app.get(&format!("/v1/listings/{id}")).await.status(),
            200,
            "still up"
        );
        // Established accounts do (three of them, with the fresh ones' small weight).
        for i in 0..2 {
            let t = app.seasoned_user(&format!("old{i}@example.dz")).await;
            assert_eq!(report_scam(&app, &t, id).await, StatusCode::CREATED);
        }
        assert_eq!(
            app.get(&format!("/v1/listings/{id}")).await.status(),
            200,
            "2.75 < 3"
        );
        let t = app.seasoned_user("old2@example.dz").await;
        assert_eq!(report_scam(&app, &t, id).await, StatusCode::CREATED);
        assert_eq!(
            app.get(&format!("/v1/listings/{id}")).await.status(),
            404,
            "hidden"
        );
    })
    .await;
}

async fn report_scam(app: &TestApp, token: &str, id: i64) -> StatusCode {
    app.call(
        Method::POST,
        &format!("/v1/listings/{id}/report"),
        Some(token),
        Some(json!({"reason": "scam"})),
    )
    .await
    .status()
}

/// A reporter whose reports keep being dismissed stops counting.
#[tokio::test]
async fn a_reporter_often_dismissed_stops_counting() {
    each_backend(|app| async move {
        let seller = app.seasoned_user("seller@example.dz").await;
        let crier = app.seasoned_user("crier@example.dz").await;
        let moderator = app.seasoned_user("mod@example.dz").await;
        app.make_moderator("mod@example.dz");
        for i in 0..3 {
            let ad = app
                .create_listing(
                    &seller,
                    car_ad(json!({"title": format!("Golf {i} très propre")})),
                )
                .await;
            let id = ad["id"].as_i64().unwrap();
            assert_eq!(report_scam(&app, &crier, id).await, StatusCode::CREATED);
            let res = app
                .call(
                    Method::POST,
                    &format!("/v1/mod/listings/{id}/dismiss"),
                    Some(&moderator),
                    Some(json!({"reason": "rien à signaler"})),
                )
                .await;
            assert!(res.status().is_success(), "dismiss: {}", res.status());
        }
        let ad = app.create_listing(&seller, car_ad(json!({}))).await;
        let id = ad["id"].as_i64().unwrap();
        assert_eq!(report_scam(&app, &crier, id).await, StatusCode::CREATED);
        for i in 0..2 {
            let t = app.seasoned_user(&format!("honest{i}@example.dz")).await;
            assert_eq!(report_scam(&app, &t, id).await, StatusCode::CREATED);
        }
        assert_eq!(
            app.get(&format!("/v1/listings/{id}")).await.status(),
            200,
            "the crier does not count"
        );
        let t = app.seasoned_user("honest2@example.dz").await;
        assert_eq!(report_scam(&app, &t, id).await, StatusCode::CREATED);
        assert_eq!(app.get(&format!("/v1/listings/{id}")).await.status(), 404);
    })
    .await;
}

/// The ninth photo of an ad is refused before its bytes are decoded.
#[tokio::test]
async fn the_photo_cap_is_checked_before_decoding() {
    each_backend(|app| async move {
        let seller = app.user("photos@example.dz").await;
        let ad = app.create_listing(&seller, car_ad(json!({}))).await;
        let id = ad["id"].as_i64().unwrap();
        let small = souk_tests::images::jpeg(64, 48);
        let before_any = app.running.state.decodes.runs();
        for _ in 0..8 {
            assert_eq!(
                upload(&app, &seller, id, small.clone()).await,
                StatusCode::CREATED
            );
        }
        let decodes = app.running.state.decodes.runs();
        // The positive control: each photo taken was decoded through this counter.
        assert!(decodes >= before_any + 8, "{before_any} -> {decodes}");
        let res = app
            .client
            .post(app.url(&format!("/v1/listings/{id}/photos")))
            .bearer_auth(&seller)
            .multipart(photo_form(small.clone()))
            .send()
            .await
            .unwrap();
        assert_problem(res, 409, "too_many_photos").await;
        // Before: decoded (and re-encoded) first, refused after.
        assert_eq!(app.running.state.decodes.runs(), decodes);
    })
    .await;
}

fn photo_form(bytes: Vec<u8>) -> reqwest::multipart::Form {
    reqwest::multipart::Form::new().part(
        "photo",
        reqwest::multipart::Part::bytes(bytes).file_name("p.jpg"),
    )
}

async fn upload(app: &TestApp, token: &str, id: i64, bytes: Vec<u8>) -> StatusCode {
    app.client
        .post(app.url(&format!("/v1/listings/{id}/photos")))
        .bearer_auth(token)
        .multipart(photo_form(bytes))
        .send()
        .await
        .unwrap()
        .status()
}
