//! Bad input of every kind: a clear 4xx problem document, never a 5xx, and stored data
//! unchanged afterwards.

use reqwest::Method;
use serde_json::{json, Value};
use souk_tests::{assert_problem, car_ad, each_backend, problem_fields};

#[tokio::test]
async fn bad_requests_are_4xx_problems_and_change_nothing() {
    each_backend(|app| async move {
        let seller = app.user("robust@example.dz").await;
        let ad = app.create_listing(&seller, car_ad(json!({}))).await;
        let id = ad["id"].as_i64().unwrap();
        let path = format!("/v1/listings/{id}");
        let snapshot = |v: Value| {
            let mut v = v;
            v.as_object_mut().unwrap().remove("views");
            v
        };
        let before = snapshot(app.get(&path).await.json().await.unwrap());

        let raw = |method: Method, body: Vec<u8>, ctype: &'static str| {
            let req = app
                .client
                .request(method, app.url(&path))
                .bearer_auth(&seller)
                .header("content-type", ctype)
                .body(body);
            async move { req.send().await.unwrap() }
        };
        // Malformed JSON, bad UTF-8, trailing garbage.
        assert_problem(
            raw(Method::PATCH, b"{\"title\": ".to_vec(), "application/json").await,
            400,
            "malformed_json",
        )
        .await;
        assert_problem(
            raw(
                Method::PATCH,
                b"{\"title\": \"\xff\xfe\xfd\"}".to_vec(),
                "application/json",
            )
            .await,
            400,
            "malformed_json",
        )
        .await;
        assert_problem(
            raw(Method::PATCH, b"{} {}".to_vec(), "application/json").await,
            400,
            "malformed_json",
        )
        .await;
        // Wrong content type.
        assert_problem(
            raw(
                Method::PATCH,
                b"title=x".to_vec(),
                "application/x-www-form-urlencoded",
            )
            .await,
            415,
            "unsupported_media_type",
        )
        .await;
        // Wrong types and unknown fields name the field.
        let res = app
            .call(
                Method::PATCH,
                &path,
                Some(&seller),
                Some(json!({"price": "cheap"})),
            )
            .await;
        assert_eq!(
            problem_fields(&assert_problem(res, 400, "invalid_body").await),
            vec!["price"]
        );
        let res = app
            .call(
                Method::PATCH,
                &path,
                Some(&seller),
                Some(json!({"location": {"lat": "north", "lon": 3.0}})),
            )
            .await;
        assert_eq!(
            problem_fields(&assert_problem(res, 400, "invalid_body").await),
            vec!["location.lat"]
        );
        let res = app
            .call(
                Method::PATCH,
                &path,
                Some(&seller),
                Some(json!({"titel": "typo"})),
            )
            .await;
        assert_eq!(
            problem_fields(&assert_problem(res, 400, "invalid_body").await),
            vec!["titel"]
        );
        let res = app
            .call(
                Method::PATCH,
                &path,
                Some(&seller),
                Some(json!({"price": 1e300})),
            )
            .await;
        assert_problem(res, 400, "invalid_body").await;
        let res = app
            .call(Method::PATCH, &path, Some(&seller), Some(json!([1, 2, 3])))
            .await;
        assert_problem(res, 400, "invalid_body").await;
        // Missing fields on create.
        let res = app
            .call(
                Method::POST,
                "/v1/listings",
                Some(&seller),
                Some(json!({"title": "only a title"})),
            )
            .await;
        assert_eq!(
            problem_fields(&assert_problem(res, 400, "invalid_body").await),
            vec!["description"]
        );
        // Huge strings: over the field limit (422) and over the body limit (413).
        let res = app
            .call(
                Method::PATCH,
                &path,
                Some(&seller),
                Some(json!({"title": "x".repeat(5000)})),
            )
            .await;
        assert_eq!(
            problem_fields(&assert_problem(res, 422, "validation").await),
            vec!["title"]
        );
        let res = app
            .call(
                Method::PATCH,
                &path,
                Some(&seller),
                Some(json!({"description": "ب".repeat(200_000)})),
            )
            .await;
        assert_problem(res, 413, "payload_too_large").await;
        let res = app
            .call(
                Method::PATCH,
                &path,
                Some(&seller),
                Some(json!({"title": "Control\u{0007}char"})),
            )
            .await;
        assert_eq!(
            problem_fields(&assert_problem(res, 422, "validation").await),
            vec!["title"]
        );
        // Numbers at the edges.
        let res = app
            .call(
                Method::PATCH,
                &path,
                Some(&seller),
                Some(json!({"price": i64::MAX})),
            )
            .await;
        assert_eq!(
            problem_fields(&assert_problem(res, 422, "validation").await),
            vec!["price"]
        );
        let res = app
            .call(
                Method::PATCH,
                &path,
                Some(&seller),
                Some(json!({"wilaya": 99999999999u64})),
            )
            .await;
        assert_problem(res, 400, "invalid_body").await;
        // Unknown routes, ids that do not parse, wrong methods.
        assert_problem(app.get("/v1/nothing-here").await, 404, "not_found").await;
        assert_problem(app.get("/v1/listings/abc").await, 404, "not_found").await;
        assert_problem(
            app.get("/v1/listings/99999999999999999999999").await,
            404,
            "not_found",
        )
        .await;
        assert_problem(app.get("/v1/wilayas/0/communes").await, 404, "not_found").await;
        let res = app
            .call(Method::PUT, &path, Some(&seller), Some(json!({})))
            .await;
        assert!(res.status().is_client_error(), "{}", res.status());
        assert!(res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/problem+json"));

        let after = snapshot(app.get(&path).await.json().await.unwrap());
        assert_eq!(before, after, "stored listing changed by rejected requests");
    })
    .await;
}
