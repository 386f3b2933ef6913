//! What /proc says of a process: its resident memory and the CPU time it has used. Both
//! benchmarks read the API's figures from here (`souk-load` its own too).

/// Resident memory in MB.
#[allow(dead_code)] // souk-index-start reads several fields at once (`status_mb`)
pub fn rss_mb(pid: u32) -> Option<f64> {
    status_mb(pid, &["VmRSS:"])[0]
}

/// The memory fields named (`VmRSS:`, `VmHWM:`, `RssAnon:`…) of /proc/<pid>/status, in MB,
/// from one read of the file.
pub fn status_mb<const N: usize>(pid: u32, fields: &[&str; N]) -> [Option<f64>; N] {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    fields.map(|name| {
        s.lines()
            .find(|l| l.starts_with(name))?
            .split_whitespace()
            .nth(1)?
            .parse::<f64>()
            .ok()
            .map(|kb| kb / 1024.0)
    })
}

/// User plus system CPU seconds so far (clock ticks of 1/100 s, Linux's USER_HZ).
#[allow(dead_code)] // souk-bench reads memory only
pub fn cpu_secs(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces): utime and stime are 14 and 15.
    let (_, after) = stat.rsplit_once(") ")?;
    let mut fields = after.split_whitespace().skip(11);
    let utime: f64 = fields.next()?.parse().ok()?;
    let stime: f64 = fields.next()?.parse().ok()?;
    Some((utime + stime) / 100.0)
}
