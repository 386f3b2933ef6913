//! Issue 23, item 8: SMS pumping and bombing. A fresh unconfirmed account had codes sent to
//! any Algerian number, landlines included; one number took codes from five accounts in
//! minutes, and nothing capped the site's spend. Now: a confirmed address before any SMS,
//! mobile numbers only, a daily cap per number and per account, a site-wide budget that
//! refuses (503, counted in a metric), and on PostgreSQL parallel guesses share the five
//! attempts of a code.

use serde_json::json;
use souk_tests::{assert_problem, backends, Backend, TestApp};

/// Guesses sent at once: enough that several are in flight between one's read and its count.
const GUESSES: i32 = 200;

async fn refused_for_budget(app: &TestApp) -> u64 {
    let text = app.get("/metrics").await.text().await.unwrap();
    text.lines()
        .find(|l| l.starts_with("souk_sms_refused_total") && l.contains("budget"))
        .and_then(|l| l.split_whitespace().last())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn codes_go_to_confirmed_accounts_and_mobiles_within_caps_and_a_budget() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.limits.sms_per_number_per_day = 3;
        c.limits.sms_budget_per_hour = 6;
    })
    .await;

    // An unconfirmed address sends nothing.
    app.register("fresh@example.dz", None).await;
    let fresh = app.login("fresh@example.dz").await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_problem(
        app.ask_phone_code(&fresh, "0551 12 34 56").await,
        403,
        "email_not_confirmed",
    )
    .await;

    // A landline is no number to send codes to.
    let owner = app.user("owner@example.dz").await;
    assert_problem(
        app.ask_phone_code(&owner, "021 23 45 67").await,
        422,
        "validation",
    )
    .await;

    // One number, many accounts: three codes a day, then refused whoever asks.
    for n in 0..3 {
        let token = app.user(&format!("pump{n}@example.dz")).await;
        assert_eq!(
            app.ask_phone_code(&token, "0770 11 22 33").await.status(),
            202
        );
    }
    let fourth = app.user("pump3@example.dz").await;
    assert_problem(
        app.ask_phone_code(&fourth, "0770 11 22 33").await,
        429,
        "rate_limited",
    )
    .await;

    // The site's budget (six an hour here): three more go out, then codes are refused with
    // 503 and counted, whoever asks for whichever number.
    let before = refused_for_budget(&app).await;
    for n in 0..3 {
        let token = app.user(&format!("budget{n}@example.dz")).await;
        let number = format!("0661 00 00 0{n}");
        assert_eq!(app.ask_phone_code(&token, &number).await.status(), 202);
    }
    let late = app.user("late@example.dz").await;
    let res = app.ask_phone_code(&late, "0661 99 99 99").await;
    assert!(res.headers().contains_key("retry-after"));
    assert_problem(res, 503, "unavailable").await;
    assert_eq!(refused_for_budget(&app).await, before + 1);
    // The six accepted go out (the worker writes them to the file outbox), the refused one
    // never does: wait for the six, then check that nothing more came.
    let sent = || {
        std::fs::read_dir(app.data_dir.join("sms"))
            .map(|d| d.count())
            .unwrap_or(0)
    };
    for _ in 0..100 {
        if sent() >= 6 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(sent(), 6, "messages in the outbox");
}

#[tokio::test]
async fn parallel_guesses_share_the_five_attempts_of_a_code() {
    for backend in backends() {
        let app = TestApp::spawn_with(backend, |c| c.db_pool_size = 8).await;
        let user = app.user("guesser@example.dz").await;
        assert_eq!(
            app.ask_phone_code(&user, "0551 00 11 22").await.status(),
            202
        );
        let mut guesses = Vec::new();
        for n in 0..GUESSES {
            let client = reqwest::Client::new();
            let url = app.url("/v1/me/phone/confirm");
            let token = user.clone();
            guesses.push(tokio::spawn(async move {
                client
                    .post(url)
                    .bearer_auth(token)
                    .json(&json!({"code": format!("{:06}", 900_000 + n)}))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            }));
        }
        for g in guesses {
            let status = g.await.unwrap();
            assert!(status == 400 || status == 200, "{status}");
        }
        let id = app.user_id(&user).await;
        let code = souk_store::phones::pending_code(&mut app.store(), id)
            .unwrap()
            .expect("the code");
        // Exactly five: every wrong guess counts until the code's attempts are spent (at most
        // five were compared), and no more.
        assert!(
            code.attempts == 5,
            "{backend:?}: {} guesses compared against one code",
            code.attempts
        );
    }
}
