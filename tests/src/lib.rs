//! Test harness: starts the real service on a free port over a fresh database (a SQLite file
//! in a temp folder, or a new PostgreSQL database from `TEST_DATABASE_URL`) and talks to it
//! over real HTTP. Every test runs on each backend that is available.

pub mod browser;
pub mod bulk;
pub mod console;
pub mod email;
pub mod hostile;
pub mod images;
pub mod live;
pub mod loopback;
pub mod plans;
pub mod replica;
pub mod s3;
pub mod smtp;

use std::future::Future;
use std::net::TcpListener;
use std::path::PathBuf;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use rand::Rng;
use reqwest::{Client, Method, Response, StatusCode};
use serde_json::{json, Value};
use souk_api::config::{Config, RateLimits, WorkerSettings};
use souk_store::DbUrl;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A field of this process's `/proc/self/status` in kB (`VmRSS:`, `VmHWM:`), 0 without it:
/// the memory ceilings of the tests that run alone in their binary.
pub fn proc_status_kb(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Whether a test that needs PostgreSQL or Redis fails instead of skipping without it
/// (`SOUK_TEST_REQUIRE_SERVICES=1`, as CI sets): a CI run that silently skipped half its
/// suite would pass.
pub fn services_required() -> bool {
    std::env::var("SOUK_TEST_REQUIRE_SERVICES").is_ok_and(|v| v == "1")
}

/// The Redis of the Redis tests (`TEST_REDIS_URL`); `None` skips them, unless
/// `SOUK_TEST_REQUIRE_SERVICES=1` makes a missing one a failure.
pub fn redis_url() -> Option<String> {
    let url = std::env::var("TEST_REDIS_URL")
        .ok()
        .filter(|u| !u.is_empty());
    if url.is_none() {
        assert!(
            !services_required(),
            "SOUK_TEST_REQUIRE_SERVICES=1 but TEST_REDIS_URL is not set"
        );
        eprintln!("TEST_REDIS_URL not set: skipped");
    }
    url
}

/// SQLite always; PostgreSQL when `TEST_DATABASE_URL` is set (CI always sets it).
pub fn backends() -> Vec<Backend> {
    let mut v = vec![Backend::Sqlite];
    if std::env::var("TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty()) {
        v.push(Backend::Postgres);
    } else if services_required() {
        panic!("SOUK_TEST_REQUIRE_SERVICES=1 but TEST_DATABASE_URL is not set");
    } else {
        eprintln!("TEST_DATABASE_URL not set: PostgreSQL half of this test skipped");
    }
    v
}

/// Runs `scenario` once per backend, each time on a fresh app and database.
pub async fn each_backend<F, Fut>(scenario: F)
where
    F: Fn(TestApp) -> Fut,
    Fut: Future<Output = ()>,
{
    for backend in backends() {
        eprintln!("--- backend {backend:?}");
        let app = TestApp::spawn(backend).await;
        scenario(app).await;
    }
}

/// A fresh, empty database of the given backend; dropped with the value.
pub struct TestDb {
    pub url: String,
    pg_admin: Option<(String, String)>,
    _dir: tempfile::TempDir,
}

impl TestDb {
    /// A database made elsewhere (a cluster of the test's own), dropped with its cluster.
    pub fn existing(url: String) -> TestDb {
        TestDb {
            url,
            pg_admin: None,
            _dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn create(backend: Backend) -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        match backend {
            Backend::Sqlite => {
                let url = format!("sqlite://{}", dir.path().join("souk.db").display());
                TestDb {
                    url,
                    pg_admin: None,
                    _dir: dir,
                }
            }
            Backend::Postgres => {
                let admin =
                    without_tls(&std::env::var("TEST_DATABASE_URL").expect("TEST_DATABASE_URL"));
                let name = format!("souk_test_{:016x}", rand::thread_rng().gen::<u64>());
                let mut conn = souk_store::db::establish(&DbUrl::parse(&admin))
                    .expect("connect to TEST_DATABASE_URL");
                conn.batch_execute(&format!("CREATE DATABASE {name}"))
                    .expect("create test database");
                let url = replace_db_name(&admin, &name);
                TestDb {
                    url,
                    pg_admin: Some((admin, name)),
                    _dir: dir,
                }
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.pg_admin.take() {
            if let Ok(mut conn) = souk_store::db::establish(&DbUrl::parse(&admin)) {
                let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        }
    }
}

/// The test server is on loopback and needs no TLS. With libpq's default (`sslmode=prefer`)
/// every connection initialises OpenSSL, whose at-exit cleanup then races the app threads
/// still connected when a test process ends: a test binary was seen to die with SIGSEGV in
/// libcrypto after its tests passed. An explicit `sslmode` in the URL is kept.
fn without_tls(url: &str) -> String {
    if url.contains("sslmode=") {
        url.to_string()
    } else if url.contains('?') {
        format!("{url}&sslmode=disable")
    } else {
        format!("{url}?sslmode=disable")
    }
}

fn replace_db_name(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let root = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{root}/{name}?{q}"),
        None => format!("{root}/{name}"),
    }
}

pub struct TestApp {
    pub backend: Backend,
    pub base: String,
    pub client: Client,
    pub data_dir: PathBuf,
    pub running: souk_api::Running,
    pub db: TestDb,
    _data: tempfile::TempDir,
}

pub fn test_config(db_url: &str, data_dir: &std::path::Path) -> Config {
    Config {
        bind: "127.0.0.1:0".parse().expect("addr"),
        database_url: db_url.to_string(),
        redis_url: None,
        redis_prefix: format!("souk-test-{:016x}", rand::thread_rng().gen::<u64>()),
        data_dir: data_dir.to_path_buf(),
        photos_dir: data_dir.join("photos"),
        files: souk_store::files::FilesConfig::Local(
            souk_store::files::config::LocalFolders::under(data_dir, data_dir.join("photos")),
        ),
        photos_public_url: None,
        index_dir: data_dir.join("index"),
        index_snapshots: None,
        index_snapshot_every_secs: 0,
        index_poll_ms: 50,
        public_url: "http://souk.test".into(),
        jwt_secret: Some("test-secret-test-secret-test-secret".into()),
        access_ttl_secs: 900,
        refresh_ttl_days: 30,
        listing_ttl_days: 60,
        smtp_url: None,
        mail_from: "souk <no-reply@souk.test>".into(),
        embedded_worker: true,
        db_pool_size: 4,
        db_readers: 4,
        ready_max_lag_secs: 5,
        shutdown_drain_secs: 0,
        database_replica_url: None,
        replica_max_lag_secs: 2,
        shutdown_timeout_secs: 5,
        http_workers: 2,
        browse_cache: true,
        ratings_refresh_secs: 3600,
        events_heartbeat_secs: 1,
        // Emails of unread messages go out at the next worker pass; tests of the delay set it.
        message_email_delay_secs: 0,
        push: souk_worker::push::PushConfig {
            outbox_dir: data_dir.join("push"),
            fcm: None,
        },
        limits: RateLimits {
            login_per_minute: 10,
            register_per_hour: 50,
            post_per_hour: 30,
            reset_per_hour: 5,
            contact_per_hour: 20,
            report_per_hour: 20,
            upload_per_hour: 200,
            threads_per_day: 100,
            reveals_per_day: 100,
            changes_per_ad_per_hour: 1000,
            hints_per_minute: 120,
            purchases_per_hour: 10,
            sms_per_number_per_day: 6,
            sms_per_account_per_day: 10,
            sms_budget_per_hour: 300,
            sms_budget_per_day: 2000,
        },
        proxies: Default::default(),
        decode_slots: 2,
        // Own threads as in production, at the normal priority: the suites' processes share
        // the machine, and the priority's effect is the load benchmark's to show.
        password_nice: 0,
        upload_buffer_bytes: 64 * 1024 * 1024,
        uploads_per_account: 2,
        upload_wait_secs: 3,
        metrics_token: None,
        // The tests read /metrics; private by default (tests/tests/operations_abuse_content.rs).
        metrics_public: true,
        require_phone_to_post: false,
        require_phone_to_contact: false,
        reveal_requires_phone: false,
        reveal_min_account_hours: 0,
        sms: souk_worker::sms::SmsConfig {
            body_template: souk_worker::sms::DEFAULT_BODY.into(),
            content_type: souk_worker::sms::DEFAULT_CONTENT_TYPE.into(),
            outbox_dir: data_dir.join("sms"),
            ..Default::default()
        },
        // The local test provider (a site without one sells no credits).
        payments: souk_worker::payments::PaymentConfig {
            provider: souk_worker::payments::ProviderKind::Local,
            ..Default::default()
        },
        reports_to_hide: 3,
        flag_score_to_hide: souk_domain::signals::DEFAULT_SCORE_TO_HIDE,
        worker: WorkerSettings {
            poll_ms: 50,
            // Periodic tasks run once at start; tests run them again with `run_worker_once`.
            tick_secs: 3600,
            backoff_ms: 200,
            expiry_warn_days: 3,
            retention_deleted_days: 30,
            retention_expired_days: 90,
            views_flush_ms: 100,
        },
    }
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, |_| {}).await
    }

    pub async fn spawn_with(backend: Backend, tweak: impl FnOnce(&mut Config)) -> TestApp {
        let db = tokio::task::spawn_blocking(move || TestDb::create(backend))
            .await
            .expect("create db");
        Self::start_on(backend, db, tweak).await
    }

    /// An app over a database already holding `count` demo listings, seeded before start (as
    /// an import would), so the app's index is built from the database by a rebuild.
    pub async fn spawn_seeded(backend: Backend, count: usize) -> TestApp {
        let app = Self::start_seeded(backend, count).await;
        app.wait_for_search_ready().await;
        app
    }

    /// Like `spawn_seeded`, returning as soon as the app listens (its index still building).
    pub async fn start_seeded(backend: Backend, count: usize) -> TestApp {
        let db = tokio::task::spawn_blocking(move || {
            let db = TestDb::create(backend);
            let pool = souk_store::open_pool(&db.url, 2).expect("pool");
            souk_api::seed::seed(&pool, count, 20, 11, false).expect("seed");
            db
        })
        .await
        .expect("seeded db");
        Self::start_on(backend, db, |_| {}).await
    }

    /// An app over `db` as it is.
    pub async fn spawn_on(
        backend: Backend,
        db: TestDb,
        tweak: impl FnOnce(&mut Config),
    ) -> TestApp {
        Self::start_on(backend, db, tweak).await
    }

    async fn start_on(backend: Backend, db: TestDb, tweak: impl FnOnce(&mut Config)) -> TestApp {
        let data = tempfile::tempdir().expect("temp dir");
        Self::start_in(backend, db, data, tweak).await
    }

    /// An app over `db` and the data folder `data` as they are (a restored site, say): its
    /// configuration is `test_config(&db.url, data.path())` with `tweak`.
    pub async fn start_in(
        backend: Backend,
        db: TestDb,
        data: tempfile::TempDir,
        tweak: impl FnOnce(&mut Config),
    ) -> TestApp {
        let mut config = test_config(&db.url, data.path());
        tweak(&mut config);
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let (running, server) = souk_api::start(config, listener).await.expect("app starts");
        tokio::spawn(server);
        TestApp {
            backend,
            base: format!("http://{}", running.addr),
            client: Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("client"),
            data_dir: data.path().to_path_buf(),
            running,
            db,
            _data: data,
        }
    }

    /// A second API process on this app's database, as a deployment runs several: the same
    /// database, JWT secret and (when `tweak` sets `redis_url`) Redis prefix; its own index,
    /// photos folder and port. Drop it before this app (it does not own the database).
    pub async fn beside(&self, tweak: impl FnOnce(&mut Config)) -> TestApp {
        let db = TestDb {
            url: self.db.url.clone(),
            pg_admin: None,
            _dir: tempfile::tempdir().expect("temp dir"),
        };
        let prefix = self.running.state.config.redis_prefix.clone();
        Self::start_on(self.backend, db, move |c| {
            c.redis_prefix = prefix;
            tweak(c);
        })
        .await
    }

    /// Waits until /v1/search answers (the index is built).
    pub async fn wait_for_search_ready(&self) {
        for _ in 0..300 {
            if self.get("/v1/search?limit=1&facets=false").await.status() == StatusCode::OK {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("search index never became ready");
    }

    /// Waits until this app's search index holds every change committed so far (public lists
    /// are served by the index, which follows the database within about a second).
    pub async fn settle(&self) {
        let last = {
            let mut conn = self.store();
            souk_store::feed::last_change(&mut conn).expect("last change")
        };
        for _ in 0..400 {
            if self.running.state.search.has_applied(last) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("the search index did not apply change {last} within 10 s");
    }

    /// `GET /v1/listings?{query}` once the index has caught up with every write so far.
    pub async fn browse(&self, query: &str) -> Value {
        self.settle().await;
        let res = self.get(&format!("/v1/listings?{query}")).await;
        assert_eq!(res.status(), StatusCode::OK, "browse {query}");
        res.json().await.expect("json")
    }

    /// The ids a search finds (`/v1/search?{query}`, first 50, no facets), sorted.
    pub async fn search_ids(&self, query: &str) -> Vec<i64> {
        let res = self
            .get(&format!("/v1/search?{query}&facets=false&limit=50"))
            .await;
        assert_eq!(res.status(), StatusCode::OK, "search {query}");
        let page: Value = res.json().await.expect("json");
        let mut ids: Vec<i64> = page["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|i| i["id"].as_i64().expect("id"))
            .collect();
        ids.sort();
        ids
    }

    /// Polls a search until `pred` holds on its JSON, or fails after `within`.
    pub async fn search_until(
        &self,
        query: &str,
        within: Duration,
        pred: impl Fn(&Value) -> bool,
    ) -> (Value, Duration) {
        let start = std::time::Instant::now();
        loop {
            let res = self.get(&format!("/v1/search?{query}")).await;
            let status = res.status();
            let body: Value = res.json().await.unwrap_or(Value::Null);
            if status == StatusCode::OK && pred(&body) {
                return (body, start.elapsed());
            }
            if start.elapsed() > within {
                panic!("search {query:?} did not reach the expected state within {within:?}; last: {status} {body}");
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Sends a JSON request, with a bearer token when given.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Response {
        let mut req = self.client.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send().await.expect("request sent")
    }

    pub async fn get(&self, path: &str) -> Response {
        self.call(Method::GET, path, None, None).await
    }

    /// Registers `email` with a standard password and returns the account JSON.
    pub async fn register(&self, email: &str, phone: Option<&str>) -> Value {
        let res = self
            .call(
                Method::POST,
                "/v1/auth/register",
                None,
                Some(json!({"email": email, "password": PASSWORD, "display_name": "Test User", "phone": phone})),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED, "register {email}");
        res.json().await.expect("json")
    }

    /// Logs in and returns the token pair.
    pub async fn login(&self, email: &str) -> Value {
        let res = self.try_login(email).await;
        assert_eq!(res.status(), StatusCode::OK, "login {email}");
        res.json().await.expect("json")
    }

    /// Tries to log in with the test password, whatever the answer (a banned account's 403).
    pub async fn try_login(&self, email: &str) -> Response {
        self.call(
            Method::POST,
            "/v1/auth/login",
            None,
            Some(json!({"email": email, "password": PASSWORD})),
        )
        .await
    }

    /// Marks an address confirmed, as clicking the emailed link would.
    pub fn verify(&self, email: &str) {
        let mut conn = self.store();
        let u = souk_store::users::find_user_by_email(&mut conn, email)
            .expect("lookup")
            .expect("user exists");
        souk_store::users::mark_email_verified(&mut conn, u.id).expect("verify");
    }

    /// Asks for a phone confirmation code (SMS) to `phone` as the holder of `token`.
    pub async fn ask_phone_code(&self, token: &str, phone: &str) -> Response {
        self.call(
            Method::POST,
            "/v1/me/phone",
            Some(token),
            Some(json!({"phone": phone})),
        )
        .await
    }

    /// Registers (with a confirmed address) and logs in; returns the access token.
    pub async fn user(&self, email: &str) -> String {
        self.register(email, Some("0551 23 45 67")).await;
        self.verify(email);
        self.login(email).await["access_token"]
            .as_str()
            .expect("token")
            .to_string()
    }

    /// `POST /v1/listings/{listing}/contact`: a buyer writes to the seller of an ad.
    pub async fn contact(&self, token: &str, listing: i64, body: Value) -> reqwest::Response {
        self.call(
            Method::POST,
            &format!("/v1/listings/{listing}/contact"),
            Some(token),
            Some(body),
        )
        .await
    }

    pub async fn create_listing(&self, token: &str, body: Value) -> Value {
        let res = self
            .call(Method::POST, "/v1/listings", Some(token), Some(body))
            .await;
        let status = res.status();
        let json: Value = res.json().await.expect("json");
        assert_eq!(status, StatusCode::CREATED, "create listing: {json}");
        json
    }

    /// Registers an Android phone for `token`'s account (`PUT /v1/me/devices/{installation}`).
    pub async fn register_device(&self, token: &str, installation: &str, push_token: &str) {
        let res = self
            .call(
                Method::PUT,
                &format!("/v1/me/devices/{installation}"),
                Some(token),
                Some(json!({"platform": "android", "token": push_token, "language": "fr"})),
            )
            .await;
        assert!(
            res.status().is_success(),
            "register device: {}",
            res.status()
        );
    }

    /// The push notifications written to the file outbox so far (`$SOUK_DATA_DIR/push/`), oldest
    /// first, as FCM messages (`{"message": {...}}`).
    pub fn push_outbox(&self) -> Vec<Value> {
        let dir = self.data_dir.join("push");
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
            .unwrap_or_default();
        files.retain(|p| p.extension().is_some_and(|e| e == "json"));
        files.sort();
        files
            .iter()
            .map(|p| {
                serde_json::from_str(&std::fs::read_to_string(p).expect("push file")).expect("json")
            })
            .collect()
    }

    /// The .eml files the app has written so far, decoded to text.
    pub fn outbox(&self) -> Vec<email::Eml> {
        email::read_outbox(&self.data_dir.join("outbox"))
    }

    /// Waits until an email to `to` whose text contains `needle` shows up in the outbox.
    pub async fn wait_for_email(&self, to: &str, needle: &str) -> email::Eml {
        for _ in 0..100 {
            if let Some(m) = self
                .outbox()
                .into_iter()
                .find(|m| m.to.contains(to) && m.text.contains(needle))
            {
                return m;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "no email to {to} containing {needle:?}; outbox: {:?}",
            self.outbox().iter().map(|m| &m.subject).collect::<Vec<_>>()
        );
    }

    /// A worker over the app's database and outbox, as `souk-worker` would be started.
    pub fn worker(&self) -> souk_worker::Worker {
        let config = &self.running.state.config;
        let mailer = souk_worker::Mailer::from_config(&config.mail_config()).expect("mailer");
        let mut cfg = config.runner_config();
        // Tests post an ad and look for its alert at once; nothing commits concurrently here.
        cfg.alert_settle = chrono::Duration::zero();
        souk_worker::Worker::new(
            self.running.state.pool.clone(),
            mailer,
            cfg,
            self.running.state.redis.clone(),
            self.running.state.files.clone(),
        )
    }

    /// `souk-worker --once`: every periodic task (expiry, alerts, purge, view counts), then
    /// every due job.
    pub async fn run_worker_once(&self) -> usize {
        self.worker().run_once().await.expect("worker pass")
    }

    /// Moves a listing's expiry date to `from_now` (negative: in the past), as time passing would.
    pub fn set_expiry(&self, listing_id: i64, from_now: chrono::Duration) {
        use diesel::prelude::*;
        use souk_store::schema::listings;
        let mut conn = self.store();
        diesel::update(listings::table.find(listing_id))
            .set(listings::expires_at.eq(souk_store::now() + from_now))
            .execute(&mut conn)
            .expect("set expiry");
        // Into the change feed like every write, so the search index learns the new date.
        souk_store::changes::record_change(&mut conn, listing_id).expect("feed");
    }

    /// Dates a deleted listing's deletion a month back, past the purge's retention, as time
    /// passing would.
    pub fn backdate_deletion(&self, listing_id: i64) {
        use diesel::prelude::*;
        use souk_store::schema::listings;
        diesel::update(listings::table.find(listing_id))
            .set(listings::deleted_at.eq(souk_store::now() - chrono::Duration::days(31)))
            .execute(&mut self.store())
            .expect("backdate deletion");
    }

    /// Registers with a given email language and logs in; returns the access token.
    pub async fn user_speaking(&self, email: &str, language: &str) -> String {
        let res = self
            .call(
                Method::POST,
                "/v1/auth/register",
                None,
                Some(json!({"email": email, "password": PASSWORD, "display_name": "Test User", "language": language})),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED, "register {email}");
        self.verify(email);
        self.login(email).await["access_token"]
            .as_str()
            .expect("token")
            .to_string()
    }

    /// Uploads `bytes` as a photo of `listing`.
    /// `POST /v1/conversations/{thread}/photos`: a photo sent in a thread.
    pub async fn send_photo(&self, token: &str, thread: i64, bytes: Vec<u8>) -> Response {
        let part = reqwest::multipart::Part::bytes(bytes).file_name("p.jpg");
        self.client
            .post(self.url(&format!("/v1/conversations/{thread}/photos")))
            .bearer_auth(token)
            .multipart(reqwest::multipart::Form::new().part("photo", part))
            .send()
            .await
            .expect("upload")
    }

    pub async fn upload_photo(&self, token: &str, listing: i64, bytes: Vec<u8>) -> Response {
        let part = reqwest::multipart::Part::bytes(bytes).file_name("p.jpg");
        self.client
            .post(self.url(&format!("/v1/listings/{listing}/photos")))
            .bearer_auth(token)
            .multipart(reqwest::multipart::Form::new().part("photo", part))
            .send()
            .await
            .expect("upload sent")
    }

    /// A raw store connection to the app's database, for assertions the API cannot make.
    pub fn store(&self) -> souk_store::DbConn {
        souk_store::db::establish(&DbUrl::parse(&self.db.url)).expect("store connection")
    }

    /// Runs a statement on the app's database (moving a period's end into the past, ...).
    pub fn sql(&self, statement: &str) {
        use diesel::RunQueryDsl;
        let mut conn = self.store();
        diesel::sql_query(statement)
            .execute(&mut conn)
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
    }

    /// SQL for the time `minutes` ago on this app's backend (negative: ahead).
    pub fn sql_minutes_ago(&self, minutes: i64) -> String {
        match self.backend {
            Backend::Postgres => {
                format!("(now() AT TIME ZONE 'UTC') - interval '{minutes} minutes'")
            }
            Backend::Sqlite => format!(
                "strftime('%Y-%m-%d %H:%M:%f', 'now', '{} minutes')",
                -minutes
            ),
        }
    }

    /// Makes the account of `email` an administrator.
    pub fn make_admin(&self, email: &str) {
        let mut conn = self.store();
        let role = souk_domain::trust::Role::Admin;
        souk_api::usecases::roles::set_role_by_email(&mut conn, email, role).expect("set role");
    }

    /// `POST /v1/admin/credits` by `admin`.
    pub async fn grant(&self, admin: &str, user_id: i64, amount: i64, key: &str) -> Response {
        self.call(
            Method::POST,
            "/v1/admin/credits",
            Some(admin),
            Some(json!({"user_id": user_id, "amount": amount, "reason": "launch offer", "idempotency_key": key})),
        )
        .await
    }

    /// The credit balance of the account behind `token`.
    pub async fn balance(&self, token: &str) -> i64 {
        let res = self
            .call(Method::GET, "/v1/me/credits", Some(token), None)
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        res.json::<Value>().await.expect("json")["balance"]
            .as_i64()
            .expect("balance")
    }

    /// The id of the account behind `token`.
    pub async fn user_id(&self, token: &str) -> i64 {
        let res = self.call(Method::GET, "/v1/me", Some(token), None).await;
        res.json::<Value>().await.expect("json")["id"]
            .as_i64()
            .expect("id")
    }
}

pub const PASSWORD: &str = "correct horse battery";

/// A valid car ad in Algiers; override fields with `patch`.
/// The ids of a search page's `items`, in order (none when the body has no items).
pub fn item_ids(v: &Value) -> Vec<i64> {
    v["items"]
        .as_array()
        .map(|a| a.iter().filter_map(|i| i["id"].as_i64()).collect())
        .unwrap_or_default()
}

pub fn car_ad(patch: Value) -> Value {
    let mut base = json!({
        "title": "Peugeot 208 2019 diesel très propre",
        "description": "Première main, carnet d'entretien, jamais accidentée. سيارة نظيفة جدا",
        "category": "cars",
        "attributes": {"brand": "peugeot", "model": "208", "year": 2019, "mileage_km": 85000, "fuel": "diesel", "gearbox": "manual"},
        "price": 2450000,
        "negotiable": true,
        "wilaya": 16,
        "commune": 1601,
        "show_phone": false
    });
    if let (Some(b), Some(p)) = (base.as_object_mut(), patch.as_object()) {
        for (k, v) in p {
            b.insert(k.clone(), v.clone());
        }
    }
    base
}

/// Asserts an error response: its status, the problem+json content type, and its `type`.
pub async fn assert_problem(res: Response, status: u16, kind: &str) -> Value {
    let got = res.status().as_u16();
    let ctype = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    assert_eq!(got, status, "status; body {body}");
    assert!(
        ctype.starts_with("application/problem+json"),
        "content type {ctype:?}; body {body}"
    );
    assert_eq!(
        body["type"],
        format!("/problems/{kind}"),
        "problem type; body {body}"
    );
    assert_eq!(body["status"], status);
    assert!(
        body["title"].is_string() && body["detail"].is_string(),
        "{body}"
    );
    body
}

/// The `field` names in a problem's `errors`.
pub fn problem_fields(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|e| e["field"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// Files under `dir`, at any depth (0 when it does not exist): what a photo folder holds.
pub fn files_under(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| {
                    if e.path().is_dir() {
                        files_under(&e.path())
                    } else {
                        1
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}
