//! A real S3 server on loopback for the object-storage tests: moto's server (`moto_server`,
//! `pip install 'moto[server]'`), a separate process speaking the S3 protocol over HTTP,
//! started per test on a free port. CI installs it and sets `SOUK_TEST_REQUIRE_S3=1`, so
//! these tests cannot pass there by skipping.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use souk_store::files::{BucketConfig, FilesConfig};

/// The access keys the tests sign with (moto accepts any; they are checked for shape).
pub const ACCESS_KEY: &str = "souk-test-key";
pub const SECRET_KEY: &str = "souk-test-secret";

/// The S3 server's program, if this machine has one.
pub fn s3_server_binary() -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("moto_server"))
            .find(|p| p.exists())
    });
    if found.is_none() {
        let required = std::env::var("SOUK_TEST_REQUIRE_S3").is_ok_and(|v| v == "1");
        assert!(
            !required,
            "SOUK_TEST_REQUIRE_S3=1 but moto_server is not installed"
        );
        eprintln!("no S3 server: object-storage test skipped (pip install 'moto[server]')");
    }
    found
}

/// The bucket policy of docs/deploy.md: public reads of the `photos/` prefix alone.
pub fn public_photos_policy(bucket: &str) -> String {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": format!("arn:aws:s3:::{bucket}/photos/*"),
        }],
    })
    .to_string()
}

/// An S3 server with one bucket, readable by anyone under `photos/` only. Stopped on drop.
pub struct S3Server {
    pub endpoint: String,
    pub bucket: String,
    port: u16,
    binary: PathBuf,
    child: Option<Child>,
    http: reqwest::Client,
}

impl S3Server {
    /// Starts a server with the bucket `bucket`; `None` when no server is installed.
    pub async fn start(bucket: &str) -> Option<S3Server> {
        let binary = s3_server_binary()?;
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let mut server = S3Server {
            endpoint: format!("http://127.0.0.1:{port}"),
            bucket: bucket.to_string(),
            port,
            binary,
            child: None,
            http: reqwest::Client::new(),
        };
        server.run().await;
        Some(server)
    }

    async fn run(&mut self) {
        let child = Command::new(&self.binary)
            .args(["-H", "127.0.0.1", "-p", &self.port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server starts");
        self.child = Some(child);
        for _ in 0..300 {
            if self.http.get(&self.endpoint).send().await.is_ok() {
                let made = self
                    .http
                    .put(format!("{}/{}", self.endpoint, self.bucket))
                    .send()
                    .await
                    .expect("create bucket");
                assert!(made.status().is_success(), "bucket not created: {made:?}");
                // As docs/deploy.md tells operators: anyone may read `photos/`, nothing else.
                let policy = self
                    .http
                    .put(format!("{}/{}?policy", self.endpoint, self.bucket))
                    .body(public_photos_policy(&self.bucket))
                    .send()
                    .await
                    .expect("bucket policy");
                assert!(policy.status().is_success(), "policy refused: {policy:?}");
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the S3 server did not answer within 30 s");
    }

    /// Kills the server: every request to it is refused from now on (an outage).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port, with the bucket (empty: moto keeps its
    /// objects in memory).
    pub async fn restart(&mut self) {
        self.stop();
        self.run().await;
    }

    /// The configuration that puts souk's files into this server's bucket.
    pub fn files_config(&self) -> FilesConfig {
        self.files_config_for(&self.bucket)
    }

    /// The same server, another bucket's name (one that may not exist).
    pub fn files_config_for(&self, bucket: &str) -> FilesConfig {
        FilesConfig::Bucket(BucketConfig {
            bucket: bucket.to_string(),
            endpoint: Some(self.endpoint.clone()),
            region: "us-east-1".into(),
            access_key_id: Some(ACCESS_KEY.into()),
            secret_access_key: Some(SECRET_KEY.into()),
            timeout: Duration::from_secs(3),
        })
    }

    /// The object at `key` (`photos/ab/…_large.jpg`), read straight from the server without
    /// signing, as a browser would, not through souk: `None` when it does not exist or may
    /// not be read by just anyone.
    pub async fn object(&self, key: &str) -> Option<Vec<u8>> {
        let res = self
            .http
            .get(format!("{}/{}/{key}", self.endpoint, self.bucket))
            .send()
            .await
            .expect("S3 GET");
        match res.status().as_u16() {
            200 => Some(res.bytes().await.expect("object body").to_vec()),
            403 | 404 => None,
            other => panic!("S3 GET {key}: {other}"),
        }
    }

    /// Every key in the bucket under `prefix`.
    pub async fn keys(&self, prefix: &str) -> Vec<String> {
        let body = self
            .http
            .get(format!(
                "{}/{}?list-type=2&prefix={prefix}",
                self.endpoint, self.bucket
            ))
            .send()
            .await
            .expect("S3 list")
            .text()
            .await
            .expect("list body");
        body.split("<Key>")
            .skip(1)
            .filter_map(|rest| rest.split("</Key>").next())
            .map(str::to_string)
            .collect()
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        self.stop();
    }
}
