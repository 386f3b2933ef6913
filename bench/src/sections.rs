//! Results sections of bench/RESULTS.md: a benchmark rewrites its own section (from its `## `
//! heading to the next one) and leaves the others as they are.

/// Drops the section headed exactly `heading` from `path`, then appends `md` (which starts with
/// that heading).
pub fn write_section(path: &std::path::Path, heading: &str, md: &str) -> std::io::Result<()> {
    let old = std::fs::read_to_string(path).unwrap_or_default();
    let mut out = String::new();
    let mut skipping = false;
    for line in old.lines() {
        if line == heading {
            skipping = true;
            continue;
        }
        // The next section: a heading, or the marker that opens a load run's section (whose
        // own heading is a level lower; a 3 M-ad table was once eaten by a console run).
        if skipping && (line.starts_with("## ") || line.starts_with("<!-- load:")) {
            skipping = false;
        }
        if !skipping {
            out.push_str(line);
            out.push('\n');
        }
    }
    out.push('\n');
    out.push_str(md);
    std::fs::write(path, out)
}
