//! Redis where it serves: rate-limit windows shared by API processes, view counts flushed by
//! the worker, and an API that keeps serving (limits included) when Redis goes away.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::json;
use souk_tests::{assert_problem, backends, car_ad, TestApp, PASSWORD};

async fn bad_login(app: &TestApp, email: &str) -> reqwest::Response {
    app.call(
        Method::POST,
        "/v1/auth/login",
        None,
        Some(json!({"email": email, "password": "wrong password!"})),
    )
    .await
}

#[tokio::test]
async fn two_api_processes_share_login_limits_through_redis() {
    let Some(url) = souk_tests::redis_url() else {
        return;
    };
    let prefix = format!("souk-shared-{}", rand_suffix());
    let tweak = |url: String, prefix: String| {
        move |c: &mut souk_api::Config| {
            c.redis_url = Some(url);
            c.redis_prefix = prefix;
            c.limits.login_per_minute = 3;
        }
    };
    let a = TestApp::spawn_with(
        souk_tests::Backend::Sqlite,
        tweak(url.clone(), prefix.clone()),
    )
    .await;
    let b = TestApp::spawn_with(souk_tests::Backend::Sqlite, tweak(url, prefix)).await;
    // Each process connects to Redis on its first limit (300 ms to connect, else it counts in
    // process for two seconds): connected before the attempts that must be shared, so a slow
    // first connection on a loaded machine is not what this test measures.
    for app in [&a, &b] {
        assert_eq!(bad_login(app, "warm-up@example.dz").await.status(), 401);
    }
    let email = "target@example.dz";
    assert_eq!(bad_login(&a, email).await.status(), 401);
    assert_eq!(bad_login(&b, email).await.status(), 401);
    assert_eq!(bad_login(&a, email).await.status(), 401);
    // The fourth attempt, on either process, is over the shared limit of three.
    let res = bad_login(&b, email).await;
    assert!(res.headers().contains_key("retry-after"));
    assert_problem(res, 429, "rate_limited").await;
}

#[tokio::test]
async fn views_are_counted_in_redis_and_written_by_the_worker() {
    let Some(url) = souk_tests::redis_url() else {
        return;
    };
    for backend in backends() {
        let u = url.clone();
        let app = TestApp::spawn_with(backend, move |c| c.redis_url = Some(u)).await;
        let seller = app.user("seller@example.dz").await;
        let ad = app.create_listing(&seller, car_ad(json!({}))).await;
        let id = ad["id"].as_i64().unwrap();
        // Three viewers; the first one's second read the same day does not count.
        for ip in ["127.0.8.1", "127.0.8.2", "127.0.8.3", "127.0.8.1"] {
            let res = souk_tests::hostile::client_from(ip)
                .get(app.url(&format!("/v1/listings/{id}")))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200);
        }
        // The seller's own reads do not count.
        app.call(
            Method::GET,
            &format!("/v1/listings/{id}"),
            Some(&seller),
            None,
        )
        .await;
        let stored = |app: &TestApp| {
            use diesel::prelude::*;
            use souk_store::schema::listings;
            listings::table
                .find(id)
                .select(listings::views)
                .first::<i64>(&mut app.store())
                .unwrap()
        };
        assert_eq!(stored(&app), 0, "no database write per read");
        app.run_worker_once().await;
        assert_eq!(stored(&app), 3);
        app.run_worker_once().await;
        assert_eq!(stored(&app), 3, "a flushed batch is not counted again");
    }
}

fn rand_suffix() -> String {
    format!(
        "{:x}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    )
}

/// A Redis server of this test's own, so stopping it disturbs no other test.
struct OwnRedis {
    child: Child,
    port: u16,
}

impl OwnRedis {
    fn start() -> Option<OwnRedis> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .ok()?
            .local_addr()
            .ok()?
            .port();
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if start.elapsed() > Duration::from_secs(10) {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(OwnRedis { child, port })
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.kill();
    }
}

#[tokio::test]
async fn when_redis_stops_the_api_keeps_serving_and_limits_hold_in_process() {
    if souk_tests::redis_url().is_none() {
        return;
    }
    let mut redis =
        OwnRedis::start().expect("redis-server is installed where TEST_REDIS_URL is set");
    let url = format!("redis://127.0.0.1:{}", redis.port);
    let app = TestApp::spawn_with(souk_tests::Backend::Sqlite, move |c| {
        c.redis_url = Some(url);
        c.limits.login_per_minute = 3;
    })
    .await;
    let seller = app.user("seller@example.dz").await;
    let ad = app.create_listing(&seller, car_ad(json!({}))).await;
    let id = ad["id"].as_i64().unwrap();
    assert_eq!(bad_login(&app, "victim@example.dz").await.status(), 401);

    redis.kill();

    // Reads, writes, logins and counted views go on.
    let start = Instant::now();
    assert_eq!(app.get(&format!("/v1/listings/{id}")).await.status(), 200);
    assert_eq!(app.get("/v1/listings").await.status(), 200);
    app.create_listing(
        &seller,
        car_ad(json!({"title": "Posted while Redis is down"})),
    )
    .await;
    let ok = app
        .call(
            Method::POST,
            "/v1/auth/login",
            None,
            Some(json!({"email": "seller@example.dz", "password": PASSWORD})),
        )
        .await;
    assert_eq!(ok.status(), 200);
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "no long stalls: {:?}",
        start.elapsed()
    );

    // The limit still holds, now counted in this process: at most three more tries.
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(bad_login(&app, "victim@example.dz").await.status().as_u16());
    }
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
    assert!(
        statuses.iter().filter(|s| **s == 401).count() <= 3,
        "{statuses:?}"
    );

    // Views counted meanwhile reach the database through the in-process flusher.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let views: i64 = {
        use diesel::prelude::*;
        use souk_store::schema::listings;
        listings::table
            .find(id)
            .select(listings::views)
            .first(&mut app.store())
            .unwrap()
    };
    assert_eq!(views, 1);
}
