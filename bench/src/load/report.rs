//! Turning runs into the results table: per point and endpoint group req/s, p50/p99 and
//! errors, the API's CPU and memory, and the time from a post to its ad showing in browse.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use crate::setup::Usage;
use crate::traffic::{is_password, is_write, RunResult};
use crate::Args;

pub struct Point {
    pub clients: usize,
    pub run: RunResult,
    pub cpu_cores: f64,
    pub rss_mb: f64,
    pub seconds: f64,
    /// CPU the load generator itself took (it shares the machine with the API).
    pub generator_cores: f64,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn pct(v: &[Duration], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let mut s: Vec<f64> = v.iter().copied().map(ms).collect();
    s.sort_by(f64::total_cmp);
    s[((s.len() as f64 - 1.0) * p).round() as usize]
}

impl Point {
    pub fn new(
        clients: usize,
        run: RunResult,
        before: Usage,
        after: Usage,
        length: Duration,
    ) -> Point {
        let seconds = length.as_secs_f64();
        Point {
            clients,
            run,
            cpu_cores: (after.cpu_secs - before.cpu_secs) / seconds,
            rss_mb: after.rss_mb,
            seconds,
            generator_cores: 0.0,
        }
    }

    fn answered(&self) -> usize {
        self.run.groups.values().map(|g| g.latencies.len()).sum()
    }

    fn server_errors(&self) -> u64 {
        self.run
            .groups
            .values()
            .map(|g| g.server_errors + g.failed)
            .sum()
    }

    /// Read latencies across groups (everything but writes, logins and registrations).
    fn reads(&self) -> Vec<Duration> {
        self.latencies_of(|g| !is_write(g) && !is_password(g))
    }

    /// Write latencies across groups (posts, edits, messages, uploads, reports, bumps).
    fn writes(&self) -> Vec<Duration> {
        self.latencies_of(is_write)
    }

    fn latencies_of(&self, wanted: impl Fn(&str) -> bool) -> Vec<Duration> {
        self.run
            .groups
            .iter()
            .filter(|(g, _)| wanted(g))
            .flat_map(|(_, s)| s.latencies.iter().copied())
            .collect()
    }

    /// This point's figures, in the order of `COLUMNS`.
    fn cells(&self) -> Vec<String> {
        let reads = self.reads();
        let writes = self.writes();
        let unseen = match self.run.never_seen {
            0 => String::new(),
            n => format!(" ({n} unseen)"),
        };
        vec![
            self.clients.to_string(),
            format!("{:.0}", self.answered() as f64 / self.seconds),
            format!("{:.2}", pct(&reads, 0.5)),
            format!("{:.2}", pct(&reads, 0.99)),
            format!("{:.2} / {:.2}", pct(&writes, 0.5), pct(&writes, 0.99)),
            self.server_errors().to_string(),
            format!("{:.2}", self.cpu_cores),
            format!("{:.0}", self.rss_mb),
            format!("{:.2}", self.generator_cores),
            format!(
                "{:.0} / {:.0}{unseen}",
                pct(&self.run.visible_after, 0.5),
                pct(&self.run.visible_after, 0.99)
            ),
        ]
    }

    /// One line for the terminal while the run goes on.
    pub fn summary(&self) -> String {
        COLUMNS
            .iter()
            .zip(self.cells())
            .map(|(name, value)| format!("{name}: {value}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

const COLUMNS: [&str; 10] = [
    "clients",
    "req/s",
    "read p50 ms",
    "read p99 ms",
    "write p50 / p99 ms",
    "5xx + failed",
    "API CPU (cores)",
    "API RSS MB",
    "generator CPU (cores)",
    "post → in browse p50 / p99 ms",
];

pub fn markdown(label: &str, args: &Args, points: &[Point], locked: usize, active: i64) -> String {
    let mut t = String::new();
    let _ = writeln!(t, "### {label}\n");
    let _ = writeln!(
        t,
        "`target/release/souk-load --database-url {} --count {} --clients {} --seconds {}{}` \
         ({} s per point, closed-loop clients; the load generator, the API and the database share the machine; {active} active ads at the start).\n",
        args.database_url,
        args.count,
        args.clients.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(","),
        args.seconds,
        args.only.as_deref().map(|o| format!(" --only {o}")).unwrap_or_default()
            + &match args.api_processes {
                1 => String::new(),
                n => format!(" --api-processes {n}"),
            },
        args.seconds,
    );
    let _ = writeln!(t, "| {} |", COLUMNS.join(" | "));
    let _ = writeln!(t, "|{}---|", "---:|".repeat(COLUMNS.len() - 1));
    for p in points {
        let _ = writeln!(t, "| {} |", p.cells().join(" | "));
    }
    let _ = writeln!(
        t,
        "\nPer endpoint group (req/s, p50 / p99 ms, 4xx, 5xx + failed):\n"
    );
    let _ = writeln!(
        t,
        "| group | {} |",
        points
            .iter()
            .map(|p| format!("{} clients", p.clients))
            .collect::<Vec<_>>()
            .join(" | ")
    );
    let _ = writeln!(t, "|---|{}", "---|".repeat(points.len()));
    for (group, _) in crate::traffic::GROUPS {
        if points.iter().all(|p| !p.run.groups.contains_key(group)) {
            continue;
        }
        let cells: Vec<String> = points
            .iter()
            .map(|p| match p.run.groups.get(group) {
                None => "–".into(),
                Some(s) => format!(
                    "{:.0} · {:.2} / {:.2} · {}{} · {}",
                    s.latencies.len() as f64 / p.seconds,
                    pct(&s.latencies, 0.5),
                    pct(&s.latencies, 0.99),
                    s.client_errors,
                    if s.client_statuses.is_empty() {
                        String::new()
                    } else {
                        format!(
                            " ({})",
                            s.client_statuses
                                .iter()
                                .map(|(status, n)| format!("{status}×{n}"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    },
                    s.server_errors + s.failed
                ),
            })
            .collect();
        let _ = writeln!(t, "| {group} | {} |", cells.join(" | "));
    }
    let _ = writeln!(t, "\n`database is locked` in the API's log: {locked}.");
    t
}

/// Replaces this label's section of the results file (or appends it), keeping the rest.
pub fn write_section(path: &Path, label: &str, table: &str) -> std::io::Result<()> {
    let begin = format!("<!-- load: {label} -->");
    let end = format!("<!-- /load: {label} -->");
    let current = std::fs::read_to_string(path).unwrap_or_default();
    let section = format!("{begin}\n{table}{end}\n");
    let next = match (current.find(&begin), current.find(&end)) {
        (Some(a), Some(b)) if b > a => {
            format!(
                "{}{}{}",
                &current[..a],
                section,
                current[b + end.len()..].trim_start_matches('\n')
            )
        }
        _ => format!("{}\n{}", current.trim_end(), "\n".to_string() + &section),
    };
    std::fs::write(path, next)
}

/// The database writer's wait and hold histograms (`souk_db_writer_*` on `/metrics`) over the
/// API's whole life in this run, as a table: calls, mean, share within 10 and 50 ms, and the
/// bucket bound under which 99 % fall.
pub fn writer_table(metrics: &str) -> String {
    use std::collections::BTreeMap;
    // (metric, by) → (buckets (le, cumulative count), sum, count)
    type Series = (Vec<(f64, f64)>, f64, f64);
    let mut series: BTreeMap<(String, String), Series> = BTreeMap::new();
    for line in metrics.lines().filter(|l| l.starts_with("souk_db_writer_")) {
        let Some((name_labels, value)) = line.rsplit_once(' ') else {
            continue;
        };
        let Ok(value) = value.parse::<f64>() else {
            continue;
        };
        let (name, labels) = name_labels.split_once('{').unwrap_or((name_labels, ""));
        let label = |key: &str| {
            labels
                .split(',')
                .find_map(|kv| kv.strip_prefix(&format!("{key}=\"")))
                .map(|v| v.trim_end_matches(['"', '}']).to_string())
        };
        let by = label("by").unwrap_or_default();
        let (base, part) = match name.rsplit_once('_') {
            Some((b, p)) if ["bucket", "sum", "count"].contains(&p) => (b.to_string(), p),
            _ => continue,
        };
        let entry = series.entry((base, by)).or_default();
        match part {
            "bucket" => {
                let le = label("le")
                    .and_then(|l| l.parse::<f64>().ok())
                    .unwrap_or(f64::INFINITY);
                entry.0.push((le, value));
            }
            "sum" => entry.1 = value,
            _ => entry.2 = value,
        }
    }
    let mut t = String::from(
        "\nThe database writer over the API's life in this run (`souk_db_writer_*` on `/metrics`):\n\n\
         | histogram | by | calls | mean ms | ≤ 10 ms | ≤ 50 ms | 99 % under |\n|---|---|---:|---:|---:|---:|---:|\n",
    );
    for ((name, by), (mut buckets, sum, count)) in series {
        if count == 0.0 {
            continue;
        }
        buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
        let share = |bound: f64| {
            buckets
                .iter()
                .filter(|(le, _)| *le <= bound + 1e-9)
                .map(|(_, c)| *c)
                .fold(0.0, f64::max)
                / count
        };
        let p99 = buckets
            .iter()
            .find(|(_, c)| *c >= 0.99 * count)
            .map(|(le, _)| {
                if le.is_finite() {
                    format!("{:.1} ms", le * 1000.0)
                } else {
                    "> 10 s".into()
                }
            })
            .unwrap_or_default();
        let _ = writeln!(
            t,
            "| {} | {by} | {count:.0} | {:.2} | {:.1} % | {:.1} % | {p99} |",
            name.trim_start_matches("souk_db_writer_"),
            sum / count * 1000.0,
            share(0.01) * 100.0,
            share(0.05) * 100.0,
        );
    }
    t
}
