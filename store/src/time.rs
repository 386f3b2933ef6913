use chrono::{DateTime, NaiveDateTime, Timelike, Utc};

/// The current UTC time at microsecond precision: PostgreSQL keeps microseconds and SQLite
/// would keep nanoseconds, so values written by one and compared in the other must agree.
pub fn now() -> NaiveDateTime {
    let t = Utc::now().naive_utc();
    t.with_nanosecond(t.nanosecond() / 1_000 * 1_000)
        .unwrap_or(t)
}

pub fn to_utc(t: NaiveDateTime) -> DateTime<Utc> {
    DateTime::from_naive_utc_and_offset(t, Utc)
}
