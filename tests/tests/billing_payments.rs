//! Buying credits on both backends, against a fake SATIM gateway on loopback: credits come only
//! from SATIM's own server-to-server confirmation (a forged return credits nothing), once,
//! and only for the amount registered; the local test provider works end to end.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{json, Value};
use souk_tests::loopback::{form_value, serve, Request};
use souk_tests::{assert_problem, each_backend, TestApp};
use souk_worker::payments::{PaymentConfig, ProviderKind};

/// What the fake gateway knows: each order's amount (centimes) and state, and the calls made.
#[derive(Default)]
struct Gateway {
    orders: HashMap<String, (i64, &'static str)>,
    acknowledged: usize,
}

fn answer(g: &Mutex<Gateway>, base: &str, req: &Request) -> (u16, String) {
    let mut g = g.lock().unwrap();
    let field = |k: &str| form_value(&req.body, k).unwrap_or_default();
    if field("userName") != "merchant" || field("password") != "s3cret" {
        return (
            200,
            json!({"errorCode": "5", "errorMessage": "Access denied"}).to_string(),
        );
    }
    if req.path.ends_with("/payment/rest/register.do") {
        let params: Value = serde_json::from_str(&field("jsonParams")).unwrap_or_default();
        if field("currency") != "012" || params["force_terminal_id"] != "E010900000" {
            return (
                200,
                json!({"errorCode": "4", "errorMessage": "bad fields"}).to_string(),
            );
        }
        let md = format!("MD{:018}", g.orders.len() + 1);
        let amount: i64 = field("amount").parse().unwrap_or(0);
        g.orders.insert(md.clone(), (amount, "unpaid"));
        let url = format!("{base}/payment/merchants/pay.html?mdOrder={md}");
        return (
            200,
            json!({"errorCode": 0, "orderId": md, "formUrl": url}).to_string(),
        );
    }
    if req
        .path
        .ends_with("/payment/rest/public/acknowledgeTransaction.do")
    {
        g.acknowledged += 1;
        let Some((amount, state)) = g.orders.get(&field("mdOrder")).copied() else {
            return (401, "\"Transaction is not found\"".into());
        };
        let body = match state {
            "paid" => {
                json!({"ErrorCode": "0", "OrderStatus": 2, "Amount": amount, "params": {"respCode": "00"}})
            }
            "short" => {
                json!({"ErrorCode": "0", "OrderStatus": 2, "Amount": amount - 100, "params": {"respCode": "00"}})
            }
            "declined" => {
                json!({"ErrorCode": "3", "OrderStatus": 6, "Amount": amount, "params": {"respCode": "51"}})
            }
            _ => json!({"ErrorCode": "0", "OrderStatus": 0, "Amount": amount, "actionCode": -100}),
        };
        return (200, body.to_string());
    }
    (404, "{}".into())
}

async fn fake_satim() -> (String, Arc<Mutex<Gateway>>) {
    let gateway = Arc::new(Mutex::new(Gateway::default()));
    let base = Arc::new(Mutex::new(String::new()));
    let (g, b) = (gateway.clone(), base.clone());
    let url = serve(Arc::new(move |req: &Request| {
        answer(&g, &b.lock().unwrap(), req)
    }))
    .await;
    *base.lock().unwrap() = url.clone();
    (url, gateway)
}

async fn buy(app: &TestApp, token: &str, amount: i64, key: &str) -> reqwest::Response {
    app.call(
        Method::POST,
        "/v1/me/credits/purchases",
        Some(token),
        Some(json!({"amount": amount, "idempotency_key": key})),
    )
    .await
}

/// Opens an order's checkout link as the buyer's browser would; answers where it redirects
/// (the provider's page). The order is registered with the provider then.
async fn open_checkout(app: &TestApp, order: &Value) -> String {
    let link = order["payment_url"].as_str().expect("a checkout link");
    // The link names the site's public address; the test app listens elsewhere.
    let link = app.url(
        link.strip_prefix("http://souk.test")
            .expect("a link of this site"),
    );
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = browser.get(&link).send().await.unwrap();
    assert_eq!(res.status(), 303, "{link}");
    res.headers()["location"].to_str().unwrap().to_string()
}

async fn order_status(app: &TestApp, token: &str, id: i64) -> String {
    let res = app
        .call(
            Method::GET,
            &format!("/v1/me/credits/purchases/{id}"),
            Some(token),
            None,
        )
        .await;
    res.json::<Value>().await.unwrap()["status"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Runs the worker until the order leaves `pending` (or fails after 5 s).
async fn settled(app: &TestApp, token: &str, id: i64) -> String {
    let start = Instant::now();
    loop {
        app.run_worker_once().await;
        let s = order_status(app, token, id).await;
        if s != "pending" {
            return s;
        }
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "order {id} still pending"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn satim_payments_are_credited_only_when_satim_confirms_them() {
    let (url, gateway) = fake_satim().await;
    for backend in souk_tests::backends() {
        eprintln!("--- backend {backend:?}");
        let satim = PaymentConfig {
            provider: ProviderKind::Satim,
            satim_url: url.clone(),
            satim_username: "merchant".into(),
            satim_password: "s3cret".into(),
            satim_terminal_id: "E010900000".into(),
        };
        let app = TestApp::spawn_with(backend, |c| c.payments = satim).await;
        let buyer = app.user("buyer@example.dz").await;
        let registered_before = gateway.lock().unwrap().orders.len();

        // An order registered with SATIM: amount in centimes, the buyer sent to its page.
        assert_problem(
            buy(&app, &buyer, 10, "buy-key-001").await,
            422,
            "validation",
        )
        .await;
        let res = buy(&app, &buyer, 1500, "buy-key-002").await;
        assert_eq!(res.status(), 201);
        let order: Value = res.json().await.unwrap();
        let id = order["id"].as_i64().unwrap();
        // Nothing is registered with SATIM until the buyer opens the checkout.
        assert_eq!(gateway.lock().unwrap().orders.len(), registered_before);
        let page = open_checkout(&app, &order).await;
        assert!(
            page.starts_with(&url) && page.contains("mdOrder="),
            "{page}"
        );
        let md = page.split("mdOrder=").nth(1).unwrap().to_string();
        assert_eq!(gateway.lock().unwrap().orders[&md].0, 150_000);
        // A retry with the key is the same order.
        let again = buy(&app, &buyer, 1500, "buy-key-002").await;
        assert_eq!(again.status(), 200);
        assert_eq!(again.json::<Value>().await.unwrap()["id"], id);

        // The buyer comes back without paying (or forges the return, many times): SATIM is
        // asked once, and nothing is credited.
        let asked = gateway.lock().unwrap().acknowledged;
        for _ in 0..3 {
            let ret = app
                .get(&format!("/v1/payments/satim/return?orderId={md}"))
                .await;
            assert_eq!(ret.status(), 200);
        }
        let queued =
            souk_store::jobs::pending_of_kind(&mut app.store(), "confirm_payment").unwrap();
        assert!(
            queued.len() <= 1,
            "{} confirmations queued for one order",
            queued.len()
        );
        let start = Instant::now();
        while gateway.lock().unwrap().acknowledged == asked {
            app.run_worker_once().await;
            assert!(
                start.elapsed() < Duration::from_secs(5),
                "SATIM was never asked"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(app.balance(&buyer).await, 0);
        assert_eq!(order_status(&app, &buyer, id).await, "pending");
        assert_problem(
            app.get("/v1/payments/satim/return?orderId=MD-made-up")
                .await,
            404,
            "not_found",
        )
        .await;

        // Paid at SATIM: the return leads to SATIM's confirmation, credited once.
        gateway.lock().unwrap().orders.get_mut(&md).unwrap().1 = "paid";
        app.get(&format!("/v1/payments/satim/return?orderId={md}"))
            .await;
        assert_eq!(settled(&app, &buyer, id).await, "paid");
        assert_eq!(app.balance(&buyer).await, 1500);
        app.get(&format!("/v1/payments/satim/return?orderId={md}"))
            .await;
        app.run_worker_once().await;
        assert_eq!(app.balance(&buyer).await, 1500, "credited once");

        // Paid for another amount, or declined: never credited.
        for (n, state) in [(3, "short"), (4, "declined")] {
            let order: Value = buy(&app, &buyer, 2000, &format!("buy-key-00{n}"))
                .await
                .json()
                .await
                .unwrap();
            let oid = order["id"].as_i64().unwrap();
            let md = open_checkout(&app, &order)
                .await
                .split("mdOrder=")
                .nth(1)
                .unwrap()
                .to_string();
            gateway.lock().unwrap().orders.get_mut(&md).unwrap().1 = state;
            app.get(&format!("/v1/payments/satim/return?orderId={md}"))
                .await;
            assert_eq!(settled(&app, &buyer, oid).await, "failed", "{state}");
        }
        assert_eq!(app.balance(&buyer).await, 1500);
        // Someone else's order is not theirs to see; the local checkout is closed.
        let other = app.user("other-buyer@example.dz").await;
        assert_problem(
            app.call(
                Method::GET,
                &format!("/v1/me/credits/purchases/{id}"),
                Some(&other),
                None,
            )
            .await,
            404,
            "not_found",
        )
        .await;
        assert_problem(
            app.call(
                Method::POST,
                &format!("/v1/payments/local/checkout/{id}"),
                Some(&buyer),
                None,
            )
            .await,
            404,
            "not_found",
        )
        .await;
    }
}

#[tokio::test]
async fn the_local_test_provider_credits_after_its_checkout() {
    each_backend(|app| async move {
        let buyer = app.user("local-buyer@example.dz").await;
        app.register_device(&buyer, "inst-buyer-0001", "fcm-token-buyer-aaaaaaaa")
            .await;
        let order: Value = buy(&app, &buyer, 5000, "local-key-1")
            .await
            .json()
            .await
            .unwrap();
        let id = order["id"].as_i64().unwrap();
        assert!(open_checkout(&app, &order)
            .await
            .ends_with(&format!("/v1/payments/local/checkout/{id}")));
        app.run_worker_once().await;
        assert_eq!(app.balance(&buyer).await, 0);
        // Orders that do not exist are 404, not a server error.
        for (method, path) in [
            (Method::GET, "/v1/me/credits/purchases/987654321"),
            (Method::POST, "/v1/payments/local/checkout/987654321"),
        ] {
            assert_problem(
                app.call(method, path, Some(&buyer), None).await,
                404,
                "not_found",
            )
            .await;
        }
        let other = app.user("local-other@example.dz").await;
        let path = format!("/v1/payments/local/checkout/{id}");
        assert_problem(
            app.call(Method::POST, &path, Some(&other), None).await,
            404,
            "not_found",
        )
        .await;
        assert_eq!(
            app.call(Method::POST, &path, Some(&buyer), None)
                .await
                .status(),
            200
        );
        assert_eq!(settled(&app, &buyer, id).await, "paid");
        assert_eq!(app.balance(&buyer).await, 5000);
        let credits: Value = app
            .call(Method::GET, "/v1/me/credits", Some(&buyer), None)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(credits["movements"][0]["reason"], "payment");
        // The phone hears it, once, whatever the hour (payments pass quiet hours).
        app.run_worker_once().await;
        let pushed = app.push_outbox();
        assert_eq!(pushed.len(), 1, "{pushed:?}");
        assert_eq!(pushed[0]["message"]["data"]["type"], "payment_paid");
        assert_eq!(pushed[0]["message"]["data"]["order_id"], id.to_string());
        assert_eq!(
            pushed[0]["message"]["notification"]["title"],
            "Paiement reçu : +5000 crédits"
        );
    })
    .await;
}

#[tokio::test]
async fn a_site_without_a_payment_provider_refuses_purchases_as_a_client_error() {
    for backend in souk_tests::backends() {
        let app = TestApp::spawn_with(backend, |c| {
            c.payments = PaymentConfig {
                provider: ProviderKind::None,
                ..Default::default()
            }
        })
        .await;
        let buyer = app.user("no-provider@example.dz").await;
        // Not a 5xx: nothing is down, and a client must not retry it for ever.
        assert_problem(
            buy(&app, &buyer, 1000, "no-provider-1").await,
            409,
            "payments_disabled",
        )
        .await;
        assert_eq!(app.balance(&buyer).await, 0);
    }
}
