//! Restarts nobody sees: two `souk-api` processes behind a real nginx, each serving a listening
//! socket its supervisor holds (here the test, as a systemd socket unit would), restarted in
//! turn with SIGTERM under steady reads and writes. Every request is answered; none fails.
//! While a process drains, its `/readyz` says 503.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use souk_tests::hostile::{nginx_binary, Nginx};
use souk_tests::{car_ad, PASSWORD};
use tokio::process::{Child, Command};

const SECRET: &str = "restart-test-secret-restart-test-secret";

/// One API process's place: its socket (kept open across its restarts) and its data folder.
struct Slot {
    listener: TcpListener,
    data: PathBuf,
    db_url: String,
    photos: PathBuf,
}

impl Slot {
    fn port(&self) -> u16 {
        self.listener.local_addr().expect("addr").port()
    }

    /// Starts `souk-api serve` on this slot's socket, passed as descriptor 3 with `LISTEN_FDS`
    /// and `LISTEN_PID` as systemd passes it (the shell execs the API under its own pid).
    fn spawn(&self) -> Child {
        let socket = std::os::fd::OwnedFd::from(self.listener.try_clone().expect("dup socket"));
        Command::new("sh")
            .arg("-c")
            .arg("exec 3<&0 0</dev/null; LISTEN_FDS=1 LISTEN_PID=$$ exec \"$0\" serve")
            .arg(env!("CARGO_BIN_EXE_souk-api"))
            .stdin(Stdio::from(socket))
            .env_clear()
            .env("DATABASE_URL", &self.db_url)
            .env("SOUK_DATA_DIR", &self.data)
            .env("SOUK_PHOTOS_DIR", &self.photos)
            .env("SOUK_JWT_SECRET", SECRET)
            .env("SOUK_EMBEDDED_WORKER", "false")
            .env("SOUK_SHUTDOWN_DRAIN_SECS", "1")
            .env("SOUK_RATE_POST_PER_HOUR", "1000000")
            .env("SOUK_RATE_LOGIN_PER_MIN", "1000000")
            .env("SOUK_HTTP_WORKERS", "2")
            .env("RUST_LOG", "warn")
            .kill_on_drop(true)
            .spawn()
            .expect("start souk-api")
    }

    async fn ready(&self, client: &Client) {
        let url = format!("http://127.0.0.1:{}/readyz", self.port());
        let start = Instant::now();
        loop {
            if let Ok(r) = client.get(&url).send().await {
                if r.status() == StatusCode::OK {
                    return;
                }
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "{url} never ready"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGTERM, then: `/readyz` answers 503 while it drains, and the process exits by itself,
    /// successfully.
    async fn stop(&self, mut child: Child, client: &Client) {
        let pid = child.id().expect("running").to_string();
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill");
        assert!(sent.success());
        let url = format!("http://127.0.0.1:{}/readyz", self.port());
        let start = Instant::now();
        let mut said_draining = false;
        while !said_draining && start.elapsed() < Duration::from_millis(900) {
            if let Ok(r) = client.get(&url).send().await {
                said_draining = r.status() == StatusCode::SERVICE_UNAVAILABLE;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(
            said_draining,
            "/readyz answers 503 while the process drains"
        );
        let status = tokio::time::timeout(Duration::from_secs(15), child.wait())
            .await
            .expect("the process exits within drain + in-flight bound")
            .expect("wait");
        assert!(status.success(), "exit after SIGTERM: {status}");
    }
}

/// Registers an account, confirms its address in the database, and signs it in.
async fn account(base: &str, client: &Client, db_url: &str) -> String {
    let email = "restart@example.dz";
    let res = client
        .post(format!("{base}/v1/auth/register"))
        .json(&json!({"email": email, "password": PASSWORD, "display_name": "Restart"}))
        .send()
        .await
        .expect("register");
    assert_eq!(res.status(), StatusCode::CREATED);
    let url = souk_store::DbUrl::parse(db_url);
    let mut conn = souk_store::db::establish(&url).expect("db");
    let user = souk_store::users::find_user_by_email(&mut conn, email)
        .expect("lookup")
        .expect("registered");
    souk_store::users::mark_email_verified(&mut conn, user.id).expect("verify");
    let res: Value = client
        .post(format!("{base}/v1/auth/login"))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("json");
    res["access_token"].as_str().expect("token").to_string()
}

#[derive(Default)]
struct Tally {
    answered: usize,
    failed: Vec<String>,
}

/// One client of the steady load: search, an ad page, and a post every fourth request.
async fn client_loop(
    base: String,
    token: String,
    ad: i64,
    stop: Arc<AtomicBool>,
    tally: Arc<Mutex<Tally>>,
    n: Arc<AtomicUsize>,
) {
    let client = Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    while !stop.load(Ordering::Relaxed) {
        let i = n.fetch_add(1, Ordering::Relaxed);
        let (what, req) = match i % 4 {
            0 => (
                "post",
                client
                    .post(format!("{base}/v1/listings"))
                    .bearer_auth(&token)
                    .json(&car_ad(
                        json!({"title": format!("Peugeot 208 restart {i}")}),
                    )),
            ),
            1 => (
                "search",
                client.get(format!("{base}/v1/search?q=peugeot&facets=false")),
            ),
            _ => ("page", client.get(format!("{base}/v1/listings/{ad}"))),
        };
        let outcome = match req.send().await {
            Ok(r) if r.status().is_success() => {
                r.bytes().await.map(|_| ()).map_err(|e| e.to_string())
            }
            Ok(r) => Err(format!("{}", r.status())),
            Err(e) => Err(e.to_string()),
        };
        let mut t = tally.lock().expect("tally");
        match outcome {
            Ok(()) => t.answered += 1,
            Err(e) => t.failed.push(format!("{what} #{i}: {e}")),
        }
    }
}

fn slot(root: &Path, name: &str, db_url: &str) -> Slot {
    Slot {
        listener: TcpListener::bind("127.0.0.1:0").expect("bind"),
        data: root.join(name),
        db_url: db_url.to_string(),
        photos: root.join("photos"),
    }
}

#[tokio::test]
async fn two_processes_behind_nginx_restart_in_turn_and_no_request_fails() {
    let Some(nginx) = nginx_binary() else {
        return;
    };
    let root = tempfile::tempdir().expect("temp dir");
    let db_url = format!("sqlite://{}", root.path().join("souk.db").display());
    let slots = [
        slot(root.path(), "a", &db_url),
        slot(root.path(), "b", &db_url),
    ];
    let probe = Client::new();
    // The first creates the database; the second starts on it.
    let mut children = Vec::new();
    for s in &slots {
        children.push(Some(s.spawn()));
        s.ready(&probe).await;
    }
    let servers: Vec<String> = slots
        .iter()
        .map(|s| format!("127.0.0.1:{}", s.port()))
        .collect();
    let proxy = Nginx::balancing(&nginx, &servers).await;
    let token = account(&proxy.base, &probe, &db_url).await;
    let ad: Value = probe
        .post(format!("{}/v1/listings", proxy.base))
        .bearer_auth(&token)
        .json(&car_ad(json!({})))
        .send()
        .await
        .expect("post")
        .json()
        .await
        .expect("json");
    let ad = ad["id"].as_i64().expect("id");

    let stop = Arc::new(AtomicBool::new(false));
    let tally = Arc::new(Mutex::new(Tally::default()));
    let n = Arc::new(AtomicUsize::new(0));
    let load: Vec<_> = (0..6)
        .map(|_| {
            tokio::spawn(client_loop(
                proxy.base.clone(),
                token.clone(),
                ad,
                stop.clone(),
                tally.clone(),
                n.clone(),
            ))
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut during_restarts = 0;
    for (i, s) in slots.iter().enumerate() {
        let before = tally.lock().expect("tally").answered;
        let child = children[i].take().expect("running");
        s.stop(child, &probe).await;
        children[i] = Some(s.spawn());
        s.ready(&probe).await;
        during_restarts += tally.lock().expect("tally").answered - before;
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    stop.store(true, Ordering::Relaxed);
    for l in load {
        l.await.expect("client");
    }
    let t = tally.lock().expect("tally");
    eprintln!(
        "{} requests answered ({during_restarts} while a process restarted), {} failed",
        t.answered,
        t.failed.len()
    );
    assert!(
        t.failed.is_empty(),
        "requests failed across the restarts: {:?}\nnginx said:\n{}",
        &t.failed[..t.failed.len().min(10)],
        proxy.error_log()
    );
    assert!(
        during_restarts >= 20,
        "the load went on through the restarts: {during_restarts}"
    );
    drop(proxy);
}
