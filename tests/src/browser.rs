//! A real browser for the console tests: Debian's Chromium, headless, driven over the W3C
//! WebDriver protocol by its ChromeDriver (`apt-get install chromium chromium-driver`). CI
//! installs both and sets `SOUK_TEST_REQUIRE_BROWSER=1`, so these tests cannot pass there by
//! skipping. Plain JSON over HTTP: no client library between the test and the driver.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// (chromium, chromedriver) when both are installed.
pub fn browser_binaries() -> Option<(PathBuf, PathBuf)> {
    let find = |names: &[&str]| names.iter().map(PathBuf::from).find(|p| p.exists());
    let found = find(&["/usr/bin/chromium", "/usr/bin/chromium-browser"]).zip(find(&[
        "/usr/bin/chromedriver",
        "/usr/lib/chromium/chromedriver",
    ]));
    if found.is_none() {
        let required = std::env::var("SOUK_TEST_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
        assert!(
            !required,
            "SOUK_TEST_REQUIRE_BROWSER=1 but chromium or chromedriver is missing"
        );
        eprintln!("no browser: console test skipped (apt-get install chromium chromium-driver)");
    }
    found
}

/// One headless Chromium session. The driver is stopped on drop.
pub struct Browser {
    driver: Child,
    base: String,
    session: String,
    http: reqwest::Client,
}

impl Browser {
    pub async fn start() -> Option<Browser> {
        let (chromium, chromedriver) = browser_binaries()?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let driver = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        for _ in 0..100 {
            if let Ok(r) = http.get(format!("{base}/status")).send().await {
                if r.status().is_success() {
                    break;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = std::env::temp_dir().join(format!("souk-chromium-{port}"));
        // A dialog (a ban's confirmation) waits for the test to read and answer it.
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "unhandledPromptBehavior": "ignore",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--window-size=1280,1000", format!("--user-data-dir={}", profile.display())]
            }
        }}});
        let created: Value = http
            .post(format!("{base}/session"))
            .json(&caps)
            .send()
            .await
            .expect("new session")
            .json()
            .await
            .expect("session json");
        let session = created["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {created}"))
            .to_string();
        Some(Browser {
            driver,
            base,
            session,
            http,
        })
    }

    /// The driver's whole answer to a command of this session, an error included.
    async fn answer(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let mut req = self.http.request(method, url);
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send()
            .await
            .expect("webdriver call")
            .json()
            .await
            .expect("webdriver json")
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let v = self.answer(method, path, body).await;
        if let Some(e) = v["value"]["error"].as_str() {
            panic!("webdriver {path}: {e}: {}", v["value"]["message"]);
        }
        v["value"].clone()
    }

    pub async fn goto(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", Some(json!({ "url": url })))
            .await;
    }

    pub async fn url(&self) -> String {
        self.call(reqwest::Method::GET, "/url", None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    pub async fn source(&self) -> String {
        self.call(reqwest::Method::GET, "/source", None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    async fn element(&self, css: &str) -> String {
        let found = self
            .call(
                reqwest::Method::POST,
                "/element",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        found[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}: {found}"))
            .to_string()
    }

    /// Types `text` into the element `css` selects.
    pub async fn type_into(&self, css: &str, text: &str) {
        let id = self.element(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{id}/value"),
            Some(json!({ "text": text })),
        )
        .await;
    }

    pub async fn click(&self, css: &str) {
        let id = self.element(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{id}/click"),
            Some(json!({})),
        )
        .await;
    }

    /// Presses one key as a person would (`\u{E007}` is Enter), on whatever has the focus.
    pub async fn press(&self, key: &str) {
        self.call(
            reqwest::Method::POST,
            "/actions",
            Some(
                json!({"actions": [{"type": "key", "id": "keyboard", "actions": [
                {"type": "keyDown", "value": key}, {"type": "keyUp", "value": key}]}]}),
            ),
        )
        .await;
    }

    /// The text of the dialog the page opened (`window.confirm`), waiting for it a little.
    pub async fn dialog_text(&self) -> String {
        for _ in 0..50 {
            // Before the dialog opens the driver answers "no such alert": ask again.
            let v = self.answer(reqwest::Method::GET, "/alert/text", None).await;
            if let Some(text) = v["value"].as_str() {
                return text.to_string();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no dialog opened");
    }

    /// Answers the open dialog: OK (`accept`) or Cancel.
    pub async fn answer_dialog(&self, accept: bool) {
        let path = if accept {
            "/alert/accept"
        } else {
            "/alert/dismiss"
        };
        self.call(reqwest::Method::POST, path, Some(json!({})))
            .await;
    }

    /// Waits until the page's address ends with `end` (after a navigation a key began).
    pub async fn wait_for_url(&self, end: &str) -> String {
        for _ in 0..100 {
            let url = self.url().await;
            if url.ends_with(end) {
                return url;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the browser never reached {end}: at {}", self.url().await);
    }

    /// A screenshot of the page, written as PNG to `path`.
    pub async fn screenshot(&self, path: &std::path::Path) {
        use base64::Engine;
        let png = self.call(reqwest::Method::GET, "/screenshot", None).await;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap_or_default())
            .expect("base64 screenshot");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("screenshot folder");
        }
        std::fs::write(path, bytes).expect("screenshot written");
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// Where tests leave what CI keeps (screenshots): `target/test-artifacts`.
pub fn artifacts_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"))
        .join("test-artifacts")
}
