//! The pages behind emailed links put their token into a form's target (issue 23): a crafted
//! "token" that decodes to a path (`..%2F..%2Fv1%2Fadmin%2Fcredits`) made a page on our own
//! site whose button posts to another endpoint. A token not shaped like ours gets no page.

use souk_tests::{Backend, TestApp};

async fn page(app: &TestApp, path: &str) -> (u16, String) {
    let res = app
        .client
        .get(app.url(path))
        .header("accept", "text/html")
        .send()
        .await
        .expect("sent");
    let status = res.status().as_u16();
    (status, res.text().await.unwrap_or_default())
}

#[tokio::test]
async fn link_pages_never_echo_a_token_not_shaped_like_ours() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    for crafted in [
        "/v1/renewals/..%2F..%2Fv1%2Fadmin%2Fcredits",
        "/v1/unsubscribe/..%2F..%2Fv1%2Fme",
        "/v1/renewals/12.abc%22%3E%3Cscript%3E",
    ] {
        let (status, body) = page(&app, crafted).await;
        assert!(
            !body.contains("<form"),
            "{crafted}: a form was served: {body}"
        );
        assert_eq!(status, 404, "{crafted}");
    }
    // The positive controls: tokens shaped like the emailed ones get their page (whether the
    // token is still good is checked when the button is pressed).
    let token = "s12.AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbC";
    let (status, body) = page(&app, &format!("/v1/unsubscribe/{token}")).await;
    assert_eq!(status, 200);
    assert!(
        body.contains(&format!("action=\"/v1/unsubscribe/{token}\"")),
        "{body}"
    );
    let (status, _) = page(
        &app,
        "/v1/renewals/42.AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbC",
    )
    .await;
    assert_eq!(status, 200);
}

/// Ad coordinates were public at full precision (a seller's front door): the public view
/// shows them rounded to about 100 m (three decimals).
#[tokio::test]
async fn an_ads_public_location_is_rounded_to_about_a_hundred_metres() {
    use serde_json::json;
    let app = TestApp::spawn(Backend::Sqlite).await;
    let seller = app.user("seller@example.dz").await;
    let ad = app
        .create_listing(
            &seller,
            souk_tests::car_ad(json!({"location": {"lat": 36.721234, "lon": 3.181234}})),
        )
        .await;
    let read: serde_json::Value = app
        .get(&format!("/v1/listings/{}", ad["id"]))
        .await
        .json()
        .await
        .unwrap();
    for (field, exact) in [("lat", 36.721234), ("lon", 3.181234)] {
        let shown = read["location"][field].as_f64().expect("coordinate");
        assert_eq!(
            shown,
            (shown * 1000.0).round() / 1000.0,
            "{field} {shown} has more than 3 decimals"
        );
        assert!(
            (shown - exact).abs() < 0.001,
            "{field} {shown} moved too far from {exact}"
        );
    }
}

/// Edits and renewals of one ad were unlimited, each queuing a trust check and a feed row and
/// emptying the browse cache: a limit per ad per hour (`SOUK_RATE_CHANGES_PER_AD_PER_HOUR`).
#[tokio::test]
async fn changes_to_one_ad_are_limited_per_hour() {
    use reqwest::Method;
    use serde_json::json;
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.limits.changes_per_ad_per_hour = 5).await;
    let seller = app.user("seller@example.dz").await;
    let ad = app
        .create_listing(&seller, souk_tests::car_ad(json!({})))
        .await["id"]
        .as_i64()
        .unwrap();
    let other = app
        .create_listing(
            &seller,
            souk_tests::car_ad(json!({"title": "Renault Clio 4 essence 2017"})),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let mut statuses = Vec::new();
    for i in 0..6 {
        let res = if i % 2 == 0 {
            app.call(
                Method::PATCH,
                &format!("/v1/listings/{ad}"),
                Some(&seller),
                Some(json!({"price": 2_400_000 + i})),
            )
            .await
        } else {
            app.call(
                Method::POST,
                &format!("/v1/listings/{ad}/renew"),
                Some(&seller),
                None,
            )
            .await
        };
        statuses.push(res.status().as_u16());
    }
    assert_eq!(
        statuses,
        vec![200, 200, 200, 200, 200, 429],
        "edits and renewals of one ad"
    );
    // The positive control: another ad of the same seller is not held back.
    let res = app
        .call(
            Method::PATCH,
            &format!("/v1/listings/{other}"),
            Some(&seller),
            Some(json!({"price": 900_000})),
        )
        .await;
    assert_eq!(res.status(), 200);
}
