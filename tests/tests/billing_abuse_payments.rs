//! Issue 23, item 6: unlimited payment orders. One unconfirmed account made 200 orders in
//! 0.6 s: 200 `register` calls at the provider, then 1,401 `acknowledge` calls within 16
//! minutes, polling for 24 hours. Now: a confirmed address, at most 3 pending orders, an
//! hourly limit, registration only when the buyer opens the checkout link, and a bounded
//! number of checks per order. Against a fake SATIM on loopback that counts its calls.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{json, Value};
use souk_tests::loopback::{serve, Request};
use souk_tests::{assert_problem, Backend, TestApp};
use souk_worker::payments::{PaymentConfig, ProviderKind};

#[derive(Default)]
struct Calls {
    registers: AtomicUsize,
    acknowledges: AtomicUsize,
}

/// A SATIM that registers every order and never sees one paid.
async fn unpaid_satim() -> (PaymentConfig, Arc<Calls>) {
    let calls = Arc::new(Calls::default());
    let seen = calls.clone();
    let url = serve(Arc::new(move |req: &Request| {
        if req.path.ends_with("/register.do") {
            let n = seen.registers.fetch_add(1, Ordering::SeqCst) + 1;
            let md = format!("MD{n:018}");
            let page = format!("https://pay.example/pay.html?mdOrder={md}");
            return (
                200,
                json!({"errorCode": 0, "orderId": md, "formUrl": page}).to_string(),
            );
        }
        seen.acknowledges.fetch_add(1, Ordering::SeqCst);
        (
            200,
            json!({"ErrorCode": "0", "OrderStatus": 0, "actionCode": -100}).to_string(),
        )
    }))
    .await;
    let cfg = PaymentConfig {
        provider: ProviderKind::Satim,
        satim_url: url,
        satim_username: "merchant".into(),
        satim_password: "s3cret".into(),
        satim_terminal_id: "E010900000".into(),
    };
    (cfg, calls)
}

async fn buy(app: &TestApp, token: &str, key: &str) -> reqwest::Response {
    app.call(
        Method::POST,
        "/v1/me/credits/purchases",
        Some(token),
        Some(json!({"amount": 1000, "idempotency_key": key})),
    )
    .await
}

#[tokio::test]
async fn payment_orders_are_limited_and_registered_only_at_checkout() {
    let (satim, calls) = unpaid_satim().await;
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.payments = satim;
        c.worker.backoff_ms = 1;
    })
    .await;

    // A throwaway account with an unconfirmed address makes no order.
    app.register("throwaway@example.dz", None).await;
    let throwaway = app.login("throwaway@example.dz").await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_problem(
        buy(&app, &throwaway, "order-key-0001").await,
        403,
        "email_not_confirmed",
    )
    .await;

    // A confirmed one makes three, and a fourth waits until one is settled.
    let buyer = app.user("buyer@example.dz").await;
    let mut orders = Vec::new();
    for n in 1..=3 {
        let res = buy(&app, &buyer, &format!("order-key-000{n}")).await;
        assert_eq!(res.status(), 201);
        orders.push(res.json::<Value>().await.unwrap());
    }
    assert_problem(
        buy(&app, &buyer, "order-key-0004").await,
        409,
        "too_many_open_orders",
    )
    .await;
    // A retry of a key already used is still its order, not a refusal.
    assert_eq!(buy(&app, &buyer, "order-key-0002").await.status(), 200);
    assert_eq!(
        calls.registers.load(Ordering::SeqCst),
        0,
        "orders are registered with the provider when their buyer opens the checkout"
    );

    // Opening the checkout registers the order once and sends the buyer to SATIM's page.
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    // The link names the site's public address; the test app listens elsewhere.
    let link = orders[0]["payment_url"].as_str().unwrap();
    let link = app.url(link.strip_prefix("http://souk.test").unwrap());
    for _ in 0..2 {
        let res = browser.get(&link).send().await.unwrap();
        assert_eq!(res.status(), 303);
        assert!(res.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("https://pay.example/"));
    }
    assert_eq!(calls.registers.load(Ordering::SeqCst), 1);
    // Another order's link, a forged one, or one pointed at another order opens nothing.
    let id = orders[0]["id"].as_i64().unwrap();
    let other = orders[1]["id"].as_i64().unwrap();
    let token = link.split("t=").nth(1).unwrap();
    for forged in [
        format!("/v1/payments/checkout/{other}?t={token}"),
        format!("/v1/payments/checkout/{id}?t=e30.e30.AAAA"),
    ] {
        assert_problem(app.get(&forged).await, 404, "not_found").await;
    }

    // The buyer never pays: SATIM is asked a bounded number of times, then the order has
    // failed, and nothing asks again however often the periodic recheck runs.
    let start = Instant::now();
    let mut status = String::new();
    while status != "failed" {
        app.sql(&format!(
            "UPDATE payment_orders SET checked_at = {} WHERE id = {id}",
            app.sql_minutes_ago(60)
        ));
        app.run_worker_once().await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        let order: Value = app
            .call(
                Method::GET,
                &format!("/v1/me/credits/purchases/{id}"),
                Some(&buyer),
                None,
            )
            .await
            .json()
            .await
            .unwrap();
        status = order["status"].as_str().unwrap().to_string();
        let asked = calls.acknowledges.load(Ordering::SeqCst);
        assert!(asked <= 12, "asked {asked} times about one unpaid order");
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "still {status} after {asked} checks"
        );
    }
    let asked = calls.acknowledges.load(Ordering::SeqCst);
    for _ in 0..3 {
        app.sql(&format!(
            "UPDATE payment_orders SET checked_at = {} WHERE id = {id}",
            app.sql_minutes_ago(60)
        ));
        app.run_worker_once().await;
    }
    assert_eq!(calls.acknowledges.load(Ordering::SeqCst), asked);
    // The failed order frees its place.
    assert_eq!(buy(&app, &buyer, "order-key-0005").await.status(), 201);
}

#[tokio::test]
async fn orders_whose_checkout_was_never_opened_lapse() {
    let (satim, calls) = unpaid_satim().await;
    let app = TestApp::spawn_with(*souk_tests::backends().last().unwrap(), |c| {
        c.payments = satim
    })
    .await;
    let buyer = app.user("lapsing@example.dz").await;
    let order: Value = buy(&app, &buyer, "lapse-key-0001")
        .await
        .json()
        .await
        .unwrap();
    let id = order["id"].as_i64().unwrap();
    app.sql(&format!(
        "UPDATE payment_orders SET created_at = {} WHERE id = {id}",
        app.sql_minutes_ago(61)
    ));
    app.run_worker_once().await;
    let res = app
        .call(
            Method::GET,
            &format!("/v1/me/credits/purchases/{id}"),
            Some(&buyer),
            None,
        )
        .await;
    let seen: Value = res.json().await.unwrap();
    assert_eq!(seen["status"], "failed", "{seen}");
    assert!(seen["payment_url"].is_null());
    assert_eq!(calls.registers.load(Ordering::SeqCst), 0);
    assert_eq!(calls.acknowledges.load(Ordering::SeqCst), 0);
}
