//! A PostgreSQL primary and its streaming replica of our own, on loopback ports: `initdb`, then
//! `pg_basebackup -R` and a second server in standby. Run as the `postgres` user when the tests
//! run as root (PostgreSQL refuses root). Stopped on drop.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use souk_store::DbUrl;

pub struct StreamingPair {
    pub primary_url: String,
    pub replica_url: String,
    /// PostgreSQL's server programs.
    bin: PathBuf,
    dir: tempfile::TempDir,
    as_postgres: bool,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

/// PostgreSQL's server programs, if this machine has them.
fn server_bin() -> Option<PathBuf> {
    let out = Command::new("pg_config").arg("--bindir").output().ok()?;
    let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    if dir.join("initdb").exists() {
        return Some(dir);
    }
    // Debian puts the server programs beside, not in pg_config's bindir.
    std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path().join("bin"))
        .find(|b| b.join("initdb").exists())
}

impl StreamingPair {
    /// `None` (the test skips) when PostgreSQL's server programs are missing, unless
    /// `SOUK_TEST_REQUIRE_SERVICES=1`.
    pub fn start() -> Option<StreamingPair> {
        let Some(bin) = server_bin() else {
            let required = std::env::var("SOUK_TEST_REQUIRE_SERVICES").is_ok_and(|v| v == "1");
            assert!(
                !required,
                "SOUK_TEST_REQUIRE_SERVICES=1 but initdb is not installed"
            );
            eprintln!("PostgreSQL server programs not installed: replica test skipped");
            return None;
        };
        let as_postgres = running_as_root();
        let dir = tempfile::tempdir().expect("temp dir");
        if as_postgres {
            run(Command::new("chown").arg("postgres:").arg(dir.path()));
        }
        let pair = StreamingPair {
            primary_url: String::new(),
            replica_url: String::new(),
            bin,
            dir,
            as_postgres,
        };
        let (primary_port, replica_port) = (free_port(), free_port());
        let primary = pair.dir.path().join("primary");
        let replica = pair.dir.path().join("replica");
        pair.pg(
            "initdb",
            &[
                "-D",
                &primary.display().to_string(),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        );
        std::fs::write(
            primary.join("postgresql.auto.conf"),
            format!(
                "listen_addresses = '127.0.0.1'\nport = {primary_port}\nunix_socket_directories = '{}'\nwal_level = replica\nmax_wal_senders = 4\nfsync = off\nsynchronous_commit = off\n",
                pair.dir.path().display()
            ),
        )
        .expect("primary conf");
        pair.start_server(&primary);
        pair.pg(
            "pg_basebackup",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &primary_port.to_string(),
                "-U",
                "postgres",
                "-D",
                &replica.display().to_string(),
                "-R",
                "-X",
                "stream",
            ],
        );
        // The replica's own port (the copied configuration names the primary's).
        let conf = replica.join("postgresql.auto.conf");
        let mut text = std::fs::read_to_string(&conf).expect("replica conf");
        text.push_str(&format!(
            "port = {replica_port}\nhot_standby_feedback = on\n"
        ));
        std::fs::write(&conf, text).expect("replica conf");
        pair.start_server(&replica);
        let mut pair = pair;
        pair.primary_url = format!("postgres://postgres@127.0.0.1:{primary_port}/postgres");
        pair.replica_url = format!("postgres://postgres@127.0.0.1:{replica_port}/postgres");
        Some(pair)
    }

    /// A PostgreSQL program, as the `postgres` user when the tests run as root.
    fn command(&self, program: &str) -> Command {
        let exe = self.bin.join(program);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        }
    }

    fn pg(&self, program: &str, args: &[&str]) {
        run(self.command(program).args(args));
    }

    fn start_server(&self, data: &Path) {
        let log = data.join("server.log").display().to_string();
        self.pg(
            "pg_ctl",
            &[
                "-D",
                &data.display().to_string(),
                "-l",
                &log,
                "-w",
                "-t",
                "60",
                "start",
            ],
        );
    }

    /// Creates database `name` on the primary and waits until the replica has it; returns
    /// (primary URL, replica URL) of that database.
    pub fn database(&self, name: &str) -> (String, String) {
        let mut admin =
            souk_store::db::establish(&DbUrl::parse(&self.primary_url)).expect("primary");
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create database");
        let with = |url: &str| {
            let (server, _) = url.rsplit_once('/').expect("a database URL");
            format!("{server}/{name}")
        };
        let (primary, replica) = (with(&self.primary_url), with(&self.replica_url));
        let start = Instant::now();
        while let Err(e) = souk_store::db::establish(&DbUrl::parse(&replica)) {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "replica never got {name}: {e}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        (primary, replica)
    }

    fn on_replica(&self, sql: &str) {
        let mut c = souk_store::db::establish(&DbUrl::parse(&self.replica_url)).expect("replica");
        c.batch_execute(sql).expect(sql);
    }

    /// Stops applying the primary's changes on the replica (it keeps receiving them).
    pub fn pause_replay(&self) {
        self.on_replica("SELECT pg_wal_replay_pause()");
    }

    pub fn resume_replay(&self) {
        self.on_replica("SELECT pg_wal_replay_resume()");
    }
}

impl Drop for StreamingPair {
    fn drop(&mut self) {
        for data in ["replica", "primary"] {
            let d = self.dir.path().join(data);
            if d.exists() {
                let _ = self
                    .command("pg_ctl")
                    .args(["-D", &d.display().to_string(), "-m", "immediate", "stop"])
                    .output();
            }
        }
    }
}

fn run(cmd: &mut Command) {
    let out = cmd.output().expect("run");
    assert!(
        out.status.success(),
        "{cmd:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Whether this process runs as root (PostgreSQL's programs then run as `postgres`).
fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(1).map(|u| u == "0"))
        })
        .unwrap_or(false)
}
