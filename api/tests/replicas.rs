//! A deployment of several replicas: two `souk-api` processes (each with its own index) and one
//! `souk-worker` over one PostgreSQL, as real processes. A write through one replica is
//! searchable through the other; a replica killed with SIGKILL while the feed moves catches up
//! on restart without missing or duplicating a change.

use std::net::TcpListener;
use std::path::Path;
use std::time::{Duration, Instant};

use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use souk_tests::{car_ad, Backend, TestDb, PASSWORD};
use tokio::process::{Child, Command};

const SECRET: &str = "replica-test-secret-replica-test-secret";

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

fn spawn_api(db: &TestDb, data: &Path, photos: &Path, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_souk-api"))
        .arg("serve")
        .env_clear()
        .env("DATABASE_URL", &db.url)
        .env("SOUK_BIND", format!("127.0.0.1:{port}"))
        .env("SOUK_DATA_DIR", data)
        .env("SOUK_PHOTOS_DIR", photos)
        .env("SOUK_JWT_SECRET", SECRET)
        .env("SOUK_EMBEDDED_WORKER", "false")
        .env("SOUK_INDEX_POLL_MS", "100")
        .env("RUST_LOG", "warn")
        .kill_on_drop(true)
        .spawn()
        .expect("start souk-api")
}

fn spawn_worker(db: &TestDb, data: &Path) -> Child {
    // `cargo test --workspace` builds every binary of the workspace into the same folder.
    let bin = Path::new(env!("CARGO_BIN_EXE_souk-api")).with_file_name("souk-worker");
    assert!(
        bin.exists(),
        "{} missing: run the tests with --workspace",
        bin.display()
    );
    Command::new(bin)
        .env_clear()
        .env("DATABASE_URL", &db.url)
        .env("SOUK_DATA_DIR", data)
        .env("SOUK_WORKER_POLL_MS", "50")
        .env("RUST_LOG", "warn")
        .kill_on_drop(true)
        .spawn()
        .expect("start souk-worker")
}

struct Replica {
    base: String,
    client: Client,
}

impl Replica {
    fn new(port: u16) -> Replica {
        Replica {
            base: format!("http://127.0.0.1:{port}"),
            client: Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .expect("client"),
        }
    }

    async fn ready(&self) {
        let start = Instant::now();
        loop {
            if let Ok(r) = self
                .client
                .get(format!("{}/readyz", self.base))
                .send()
                .await
            {
                if r.status() == StatusCode::OK {
                    return;
                }
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "{} never ready",
                self.base
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Value {
        let mut req = self.client.post(format!("{}{path}", self.base)).json(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.expect("request");
        assert!(res.status().is_success(), "POST {path}: {}", res.status());
        res.json().await.expect("json")
    }

    /// Ids and total of the newest 100 active ads, as this replica's index serves them.
    async fn browse(&self) -> (Vec<i64>, i64) {
        let page: Value = self
            .client
            .get(format!("{}/v1/listings?per_page=100", self.base))
            .send()
            .await
            .expect("browse")
            .json()
            .await
            .expect("json");
        let ids = page["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|i| i["id"].as_i64().expect("id"))
            .collect();
        (ids, page["total"].as_i64().expect("total"))
    }

    async fn search_ids(&self, q: &str) -> Vec<i64> {
        let page: Value = self
            .client
            .get(format!("{}/v1/search", self.base))
            .query(&[("q", q), ("facets", "false")])
            .send()
            .await
            .expect("search")
            .json()
            .await
            .expect("json");
        page["items"]
            .as_array()
            .map(|a| a.iter().filter_map(|i| i["id"].as_i64()).collect())
            .unwrap_or_default()
    }
}

#[tokio::test]
async fn replicas_share_writes_and_a_killed_one_catches_up() {
    if std::env::var("TEST_DATABASE_URL").map_or(true, |u| u.is_empty()) {
        eprintln!("TEST_DATABASE_URL not set: the replica test needs PostgreSQL; skipped");
        return;
    }
    let db = tokio::task::spawn_blocking(|| {
        let db = TestDb::create(Backend::Postgres);
        souk_store::open_pool(&db.url, 1).expect("migrate");
        db
    })
    .await
    .unwrap();
    let dirs = tempfile::tempdir().unwrap();
    let (a_dir, b_dir, w_dir, photos) = (
        dirs.path().join("a"),
        dirs.path().join("b"),
        dirs.path().join("worker"),
        dirs.path().join("photos"),
    );
    let _worker = spawn_worker(&db, &w_dir);
    let (a_port, b_port) = (free_port(), free_port());
    let _a_proc = spawn_api(&db, &a_dir, &photos, a_port);
    let mut b_proc = spawn_api(&db, &b_dir, &photos, b_port);
    let (a, b) = (Replica::new(a_port), Replica::new(b_port));
    a.ready().await;
    b.ready().await;

    // Register through A; the one worker sends the confirmation mail; sign in through B (the
    // replicas share the JWT secret, so either accepts the token).
    let email = "replica@example.dz";
    a.post(
        "/v1/auth/register",
        None,
        json!({"email": email, "password": PASSWORD, "display_name": "Replica"}),
    )
    .await;
    let outbox = w_dir.join("outbox");
    let start = Instant::now();
    while std::fs::read_dir(&outbox).map_or(0, |d| d.count()) == 0 {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the worker sent no mail"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let token = b
        .post(
            "/v1/auth/login",
            None,
            json!({"email": email, "password": PASSWORD}),
        )
        .await["access_token"]
        .as_str()
        .expect("token")
        .to_string();

    // A write through A is searchable through B.
    let ad = a
        .post(
            "/v1/listings",
            Some(&token),
            car_ad(json!({"title": "Peugeot 301 replica"})),
        )
        .await;
    let id = ad["id"].as_i64().unwrap();
    let start = Instant::now();
    while !b.search_ids("301").await.contains(&id) {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "B never saw the ad posted on A"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let seen_after = start.elapsed();
    eprintln!("posted on A, searchable on B after {seen_after:?}");
    assert!(
        seen_after < Duration::from_secs(2),
        "searchable on B after {seen_after:?}"
    );

    // Writes keep coming through A while B is killed mid-feed; B restarts on its own index.
    let mut posted = vec![id];
    for i in 0..8 {
        if i == 4 {
            b_proc.start_kill().expect("SIGKILL B");
            b_proc.wait().await.expect("B gone");
        }
        let ad = a
            .post(
                "/v1/listings",
                Some(&token),
                car_ad(json!({"title": format!("Renault Clio {i} replica")})),
            )
            .await;
        posted.push(ad["id"].as_i64().unwrap());
    }
    let edited = posted[1];
    let res = a
        .client
        .patch(format!("{}/v1/listings/{edited}", a.base))
        .bearer_auth(&token)
        .json(&json!({"title": "Volkswagen Golf 7 replica"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let deleted = posted[2];
    let res = a
        .client
        .delete(format!("{}/v1/listings/{deleted}", a.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);

    let _b_again = spawn_api(&db, &b_dir, &photos, b_port);
    b.ready().await;
    let mut expected: Vec<i64> = posted.iter().copied().filter(|i| *i != deleted).collect();
    expected.reverse();
    let start = Instant::now();
    loop {
        let (on_a, on_b) = (a.browse().await, b.browse().await);
        if on_a == on_b && on_b.0 == expected {
            assert_eq!(on_b.1, expected.len() as i64, "no change applied twice");
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "B after restart {on_b:?}, A {on_a:?}, expected {expected:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        b.search_ids("golf").await,
        vec![edited],
        "the edit made while B was down"
    );
    assert!(b
        .search_ids("clio")
        .await
        .iter()
        .all(|i| *i != deleted && *i != edited));
}
