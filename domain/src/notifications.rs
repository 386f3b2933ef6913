//! Which notifications a user gets on their phone, and when: one switch per kind, and quiet
//! hours in Algiers time during which only what must not wait (security, payments) is pushed.

use chrono::{DateTime, FixedOffset, Timelike, Utc};
use serde::{Deserialize, Serialize};

/// Kinds of push notification; each but the last two has a switch in the preferences.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PushKind {
    Message,
    PriceDrop,
    SavedSearch,
    Expiry,
    Payment,
    Security,
}

impl PushKind {
    /// Payment and security notices pass quiet hours.
    pub fn passes_quiet_hours(self) -> bool {
        matches!(self, PushKind::Payment | PushKind::Security)
    }
}

/// Algeria keeps UTC+1 all year (no daylight saving since 1981).
pub fn algiers_time(at: DateTime<Utc>) -> DateTime<FixedOffset> {
    at.with_timezone(&FixedOffset::east_opt(3600).expect("UTC+1"))
}

/// Whether `at` falls within quiet hours `from..until` (minutes after midnight, Algiers time;
/// a range that wraps midnight, 22:00–07:00, is the usual one). Equal bounds mean none.
pub fn in_quiet_hours(from: i32, until: i32, at: DateTime<Utc>) -> bool {
    let local = algiers_time(at);
    let minute = (local.hour() * 60 + local.minute()) as i32;
    match from.cmp(&until) {
        std::cmp::Ordering::Equal => false,
        std::cmp::Ordering::Less => (from..until).contains(&minute),
        std::cmp::Ordering::Greater => minute >= from || minute < until,
    }
}

/// `HH:MM` → minutes after midnight.
pub fn parse_clock(s: &str) -> Option<i32> {
    let (h, m) = s.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    ((0..24).contains(&h) && (0..60).contains(&m)).then_some(h * 60 + m)
}

pub fn format_clock(minutes: i32) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn quiet_hours_are_read_in_algiers_time_and_may_wrap_midnight() {
        let (from, until) = (parse_clock("22:00").unwrap(), parse_clock("07:00").unwrap());
        // 21:30 UTC is 22:30 in Algiers: quiet; 06:30 UTC is 07:30: not.
        let at = |h, m| Utc.with_ymd_and_hms(2026, 12, 6, h, m, 0).unwrap();
        assert!(in_quiet_hours(from, until, at(21, 30)));
        assert!(in_quiet_hours(from, until, at(5, 59)));
        assert!(!in_quiet_hours(from, until, at(6, 0)));
        assert!(!in_quiet_hours(from, until, at(12, 0)));
        assert!(in_quiet_hours(60, 120, at(0, 30)));
        assert!(!in_quiet_hours(60, 60, at(0, 30)));
        assert!(PushKind::Payment.passes_quiet_hours() && !PushKind::Message.passes_quiet_hours());
    }

    #[test]
    fn clocks_parse_strictly() {
        assert_eq!(parse_clock("07:05"), Some(425));
        assert_eq!(format_clock(425), "07:05");
        for bad in ["7:05", "24:00", "12:60", "ab:cd", "", "12:5"] {
            assert_eq!(parse_clock(bad), None, "{bad}");
        }
    }
}
