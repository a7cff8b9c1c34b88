//! Partition values: `dt=YYYY-MM-DD`, always from a record's creation time in
//! UTC (never the host's time zone), zero-padded so that they sort as dates.
//!
//! Creation time, because it never changes: an updated record lands in the
//! same partition file as its first version and replaces it there.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone as _, Utc};

/// The partition column's name, the same in every table.
pub const COLUMN: &str = "dt";

/// Partition of records whose date cannot be read (quarantine only; valid
/// records always have one).
pub const UNKNOWN: &str = "dt=unknown";

/// `dt=YYYY-MM-DD` of a UTC date.
pub fn of_date(d: NaiveDate) -> String {
    format!("{COLUMN}={}", d.format("%Y-%m-%d"))
}

/// `dt=…` of a Unix timestamp in seconds (Stripe's `created`).
pub fn of_unix(secs: i64) -> Option<String> {
    Some(of_date(Utc.timestamp_opt(secs, 0).single()?.date_naive()))
}

/// `dt=…` of a timestamp text (Ticketsauce).
pub fn of_text(text: &str) -> Option<String> {
    parse_timestamp(text).map(|t| of_date(t.date_naive()))
}

/// Reads RFC 3339 (any offset, converted to UTC), `YYYY-MM-DD HH:MM:SS`
/// and `YYYY-MM-DDTHH:MM:SS` without an offset (taken as UTC, which is what
/// the APIs return), or a bare date.
pub fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    let t = text.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Some(dt.with_timezone(&Utc));
    }
    for fmt in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S%.f",
    ] {
        if let Ok(n) = NaiveDateTime::parse_from_str(t, fmt) {
            return Some(n.and_utc());
        }
    }
    NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|n| n.and_utc())
}

/// Best-effort partition of a raw record for quarantine: its `created` as
/// Unix seconds or text, else [`UNKNOWN`].
pub fn of_raw(raw: &serde_json::Value) -> String {
    let created = raw.get("created");
    created
        .and_then(serde_json::Value::as_i64)
        .and_then(of_unix)
        .or_else(|| {
            created
                .and_then(serde_json::Value::as_str)
                .and_then(of_text)
        })
        .unwrap_or_else(|| UNKNOWN.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_seconds_are_read_in_utc() {
        // 2024-01-31T23:59:59Z and one second later.
        assert_eq!(of_unix(1_706_745_599).as_deref(), Some("dt=2024-01-31"));
        assert_eq!(of_unix(1_706_745_600).as_deref(), Some("dt=2024-02-01"));
        assert_eq!(of_unix(0).as_deref(), Some("dt=1970-01-01"));
    }

    #[test]
    fn offsets_are_converted_to_utc_not_kept() {
        // Local 00:30 on Feb 1st at +02:00 is still Jan 31st in UTC.
        assert_eq!(
            of_text("2024-02-01T00:30:00+02:00").as_deref(),
            Some("dt=2024-01-31")
        );
        assert_eq!(
            of_text("2024-01-31T22:30:00-05:00").as_deref(),
            Some("dt=2024-02-01")
        );
        assert_eq!(
            of_text("2024-03-05 07:08:09").as_deref(),
            Some("dt=2024-03-05")
        );
        assert_eq!(of_text("2024-03-05").as_deref(), Some("dt=2024-03-05"));
        assert_eq!(of_text("yesterday"), None);
    }

    #[test]
    fn host_time_zone_is_ignored() {
        // The same instant written with two offsets lands in one partition:
        // the value decides, never a local clock or zone.
        let a = of_text("2024-06-30T23:00:00-01:00");
        let b = of_text("2024-07-01T00:00:00Z");
        assert_eq!(a, b);
    }

    #[test]
    fn values_sort_as_dates() {
        let mut v = vec![
            of_unix(1_000_000_000).unwrap_or_default(),
            of_unix(100_000_000).unwrap_or_default(),
            of_unix(1_700_000_000).unwrap_or_default(),
        ];
        v.sort();
        assert_eq!(v, ["dt=1973-03-03", "dt=2001-09-09", "dt=2023-11-14"]);
    }

    #[test]
    fn raw_records_fall_back_to_unknown() {
        assert_eq!(
            of_raw(&serde_json::json!({"created": 1_706_745_600})),
            "dt=2024-02-01"
        );
        assert_eq!(
            of_raw(&serde_json::json!({"created": "2024-02-01 01:00:00"})),
            "dt=2024-02-01"
        );
        assert_eq!(of_raw(&serde_json::json!({"created": "x"})), UNKNOWN);
        assert_eq!(of_raw(&serde_json::json!({})), UNKNOWN);
    }
}
