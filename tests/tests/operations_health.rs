//! Operations and documentation endpoints, and reference data.

use serde_json::Value;
use souk_tests::{each_backend, Backend, TestApp};

#[tokio::test]
async fn health_readiness_metrics_and_docs() {
    each_backend(|app| async move {
        assert_eq!(app.get("/healthz").await.status(), 200);
        // Ready once the index is built and has read the change feed (at once on an empty one).
        let mut ready = Value::Null;
        for _ in 0..200 {
            ready = app.get("/readyz").await.json().await.unwrap();
            if ready["status"] == "ready" {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        assert_eq!(ready["status"], "ready", "{ready}");
        app.get("/v1/listings/123").await;
        let metrics = app.get("/metrics").await.text().await.unwrap();
        assert!(
            metrics.contains(
                "http_requests_total{method=\"GET\",route=\"/v1/listings/{id}\",status=\"404\"}"
            ),
            "{metrics}"
        );
        assert!(
            metrics
                .contains("http_request_duration_seconds_bucket{method=\"GET\",route=\"/readyz\""),
            "{metrics}"
        );

        let spec: Value = app.get("/openapi.json").await.json().await.unwrap();
        assert!(spec["openapi"].as_str().unwrap().starts_with("3.1"));
        assert!(spec["paths"]["/v1/listings/{id}"]["patch"].is_object());
        let docs = app.get("/docs/").await;
        assert_eq!(docs.status(), 200);
        let html = docs.text().await.unwrap();
        assert!(html.contains("swagger"), "docs page served");
        assert!(
            !html.contains("https://"),
            "docs page must not load assets from the internet"
        );
    })
    .await;
}

#[tokio::test]
async fn reference_data_in_three_languages() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let cats: Value = app.get("/v1/categories").await.json().await.unwrap();
    let vehicles = cats
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["slug"] == "vehicles")
        .unwrap();
    let cars = vehicles["children"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["slug"] == "cars")
        .unwrap();
    assert_eq!(cars["leaf"], true);
    assert!(cars["name"]["ar"]
        .as_str()
        .unwrap()
        .chars()
        .any(|c| ('\u{0600}'..='\u{06FF}').contains(&c)));
    let year = cars["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["key"] == "year")
        .unwrap();
    assert_eq!(year["type"], "integer");
    assert!(year["min"].is_i64() && year["max"].is_i64());
    let fuel = cars["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["key"] == "fuel")
        .unwrap();
    assert!(fuel["options"]
        .as_array()
        .unwrap()
        .iter()
        .any(|o| o["value"] == "lpg"));

    let wilayas: Value = app.get("/v1/wilayas").await.json().await.unwrap();
    assert_eq!(wilayas.as_array().unwrap().len(), 69);
    let communes: Value = app
        .get("/v1/wilayas/59/communes")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(communes.as_array().unwrap().len(), 12);
    assert!(communes
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["name_latin"] == "Aflou" && c["id"] == 319));
}
