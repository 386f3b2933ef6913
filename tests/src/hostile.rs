//! What the abuse tests need: clients that come from other loopback addresses (a botnet in
//! 127.0.0.0/8), a real nginx in front of the app, and accounts that look old.

use std::net::{IpAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use reqwest::Client;

use crate::TestApp;

/// A client whose connections leave from `ip` (any address of 127.0.0.0/8 is this machine).
pub fn client_from(ip: &str) -> Client {
    let ip: IpAddr = ip.parse().expect("address");
    Client::builder()
        .local_address(ip)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

impl TestApp {
    /// Makes an account look `days` old (trust grows with account age).
    pub fn age_account(&self, email: &str, days: i64) {
        use diesel::prelude::*;
        use souk_store::schema::users;
        let mut conn = self.store();
        let then = souk_store::now() - chrono::Duration::days(days);
        diesel::update(users::table.filter(users::email.eq(email)))
            .set(users::created_at.eq(then))
            .execute(&mut conn)
            .expect("age account");
    }

    /// Marks the phone of `email` confirmed, as entering the texted code would.
    pub fn confirm_phone(&self, email: &str) {
        use diesel::prelude::*;
        use souk_store::schema::users;
        diesel::update(users::table.filter(users::email.eq(email)))
            .set(users::phone_verified_at.eq(Some(souk_store::now())))
            .execute(&mut self.store())
            .expect("confirm phone");
    }

    /// Makes `email` a moderator, as `souk-api set-role` does.
    pub fn make_moderator(&self, email: &str) {
        let mut conn = self.store();
        let role = souk_domain::trust::Role::Moderator;
        souk_api::usecases::roles::set_role_by_email(&mut conn, email, role).expect("set role");
    }

    /// A confirmed account a month old, logged in; returns the access token.
    pub async fn seasoned_user(&self, email: &str) -> String {
        let token = self.user(email).await;
        self.age_account(email, 30);
        token
    }
}

/// nginx on a free loopback port, proxying to `upstream` and appending the client to
/// `X-Forwarded-For` as deployments do. Stopped on drop.
pub struct Nginx {
    pub base: String,
    child: Child,
    _dir: tempfile::TempDir,
}

/// The nginx binary, if this machine has one. CI sets `SOUK_TEST_REQUIRE_PROXY=1`, so the
/// proxy tests cannot pass there by skipping.
pub fn nginx_binary() -> Option<PathBuf> {
    let found = ["/usr/sbin/nginx", "/usr/bin/nginx", "/usr/local/sbin/nginx"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists());
    if found.is_none() {
        let required = std::env::var("SOUK_TEST_REQUIRE_PROXY").is_ok_and(|v| v == "1");
        assert!(
            !required,
            "SOUK_TEST_REQUIRE_PROXY=1 but nginx is not installed"
        );
        eprintln!("nginx not installed: reverse-proxy test skipped (apt-get install nginx-light)");
    }
    found
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

impl Nginx {
    pub async fn start(binary: &std::path::Path, upstream: &str) -> Nginx {
        Self::launch(binary, "", upstream).await
    }

    /// nginx spreading requests over `servers` (`host:port`), as in front of several API
    /// processes: nginx's defaults otherwise (a refused connection is tried on the next server).
    pub async fn balancing(binary: &std::path::Path, servers: &[String]) -> Nginx {
        let list: String = servers.iter().map(|s| format!("server {s}; ")).collect();
        Self::launch(
            binary,
            &format!("upstream souk {{ {list}}}\n"),
            "http://souk",
        )
        .await
    }

    async fn launch(binary: &std::path::Path, http_extra: &str, upstream: &str) -> Nginx {
        let dir = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        let d = dir.path().display();
        let conf = format!(
            "worker_processes 1;\n\
             error_log {d}/error.log;\n\
             pid {d}/nginx.pid;\n\
             events {{ worker_connections 256; }}\n\
             http {{\n\
               access_log off;\n\
               client_body_temp_path {d}/body;\n\
               proxy_temp_path {d}/proxy;\n\
               fastcgi_temp_path {d}/fastcgi;\n\
               uwsgi_temp_path {d}/uwsgi;\n\
               scgi_temp_path {d}/scgi;\n\
               {http_extra}\
               server {{\n\
                 listen 127.0.0.1:{port};\n\
                 location / {{\n\
                   proxy_pass {upstream};\n\
                   proxy_set_header Host $host;\n\
                   proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n\
                 }}\n\
               }}\n\
             }}\n"
        );
        let path = dir.path().join("nginx.conf");
        std::fs::write(&path, conf).expect("nginx.conf");
        let mut child = Command::new(binary)
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(&path)
            .arg("-e")
            .arg(dir.path().join("error.log"))
            .arg("-g")
            .arg("daemon off;")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start nginx");
        let base = format!("http://127.0.0.1:{port}");
        let probe = Client::new();
        for _ in 0..200 {
            if probe.get(format!("{base}/healthz")).send().await.is_ok() {
                return Nginx {
                    base,
                    child,
                    _dir: dir,
                };
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        let log = std::fs::read_to_string(dir.path().join("error.log")).unwrap_or_default();
        panic!("nginx did not start: {log}");
    }
}

impl Nginx {
    /// What nginx logged (upstream errors, among others).
    pub fn error_log(&self) -> String {
        std::fs::read_to_string(self._dir.path().join("error.log")).unwrap_or_default()
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
