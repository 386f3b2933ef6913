//! `souk-load --quick`: the regression check for a change to a write path. Both backends, each
//! on a small database of its own (seeded on first use, reused after), 1 and 16 clients for
//! 8 s each: about a minute once the databases exist. Each table is printed beside the same
//! configuration's section in the last committed `bench/RESULTS.md` (`git show HEAD:…`), so a
//! change is read against the code before it on the same machine. A benchmark, not a test: it
//! fails nothing, the reader compares (the machine is noisy; rerun a point that moved).

use std::process::Command;

use crate::{label_of, run_configuration, Args};

type Error = Box<dyn std::error::Error>;

/// Ads in each quick database: enough that a scan shows, small enough to seed in seconds.
const QUICK_ADS: usize = 20_000;

pub fn run(args: &Args) -> Result<(), Error> {
    ensure_database(&args.quick_postgres)?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let sqlite_dir = args.work_dir.join("quick-sqlite");
    let configurations = [
        (
            format!("sqlite://{}", sqlite_dir.join("souk.db").display()),
            sqlite_dir,
            "quick, SQLite",
        ),
        (
            args.quick_postgres.clone(),
            args.work_dir.join("quick-postgres"),
            "quick, PostgreSQL",
        ),
    ];
    let mut out = String::new();
    for (url, work_dir, name) in configurations {
        let run = Args {
            database_url: url,
            count: QUICK_ADS,
            clients: vec![1, 16],
            seconds: 8,
            work_dir,
            label: Some(format!("{name}, {QUICK_ADS} ads, {cores} cores")),
            quick: false,
            ..args.clone()
        };
        let label = label_of(&run, cores);
        let table = run_configuration(&run)?;
        out.push_str(&format!("## This run\n\n{table}\n"));
        match committed_section(&run, &label) {
            Some(before) => out.push_str(&format!("## Last committed\n\n{before}\n")),
            None => {
                out.push_str("## Last committed\n\n(no committed section of this name yet)\n\n")
            }
        }
    }
    println!("{out}");
    Ok(())
}

/// The section of `label` in the results file as committed at HEAD.
fn committed_section(args: &Args, label: &str) -> Option<String> {
    let path = args.out.to_string_lossy().to_string();
    let shown = Command::new("git")
        .args(["show", &format!("HEAD:{path}")])
        .output()
        .ok()?;
    let text = String::from_utf8(shown.stdout).ok()?;
    let begin = format!("<!-- load: {label} -->");
    let end = format!("<!-- /load: {label} -->");
    let a = text.find(&begin)? + begin.len();
    let b = text[a..].find(&end)? + a;
    Some(text[a..b].trim().to_string())
}

/// Creates the quick PostgreSQL database when it is missing (through the server's `postgres`
/// database).
fn ensure_database(url: &str) -> Result<(), Error> {
    use diesel::connection::SimpleConnection;
    let (server, name) = url.rsplit_once('/').ok_or("no database name in the URL")?;
    let name = name.split('?').next().unwrap_or(name);
    let mut admin =
        souk_store::db::establish(&souk_store::DbUrl::parse(&format!("{server}/postgres")))?;
    if let Err(e) = admin.batch_execute(&format!("CREATE DATABASE {name}")) {
        if !e.to_string().contains("already exists") {
            return Err(e.into());
        }
    }
    Ok(())
}
