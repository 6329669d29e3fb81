//! The clinic's local time for reports and exports: the zone (the config's `[room] timezone`,
//! else the system's), wall-clock times from the log (RFC 3339, UTC) shown in it with the zone
//! named, and durations as people write them (`6 min 57 s`).
//!
//! The zone data comes from the system's `/usr/share/zoneinfo` when it is there and from the
//! copy built into the binary when it is not (a minimal container), so a named zone works on
//! every machine the product runs on.

use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::time::Millis;

/// Why a zone name was refused.
#[derive(Debug, thiserror::Error)]
#[error(
    "`{name}` is not a time zone this machine knows; expected an IANA name such as \"Europe/Berlin\" ({reason})"
)]
pub struct ZoneError {
    pub name: String,
    pub reason: String,
}

/// A time zone with the name people read it by.
#[derive(Clone, Debug)]
pub struct ClinicZone {
    zone: TimeZone,
    name: String,
}

impl ClinicZone {
    /// A zone by its IANA name (`Europe/Berlin`, `UTC`).
    pub fn named(name: &str) -> Result<ClinicZone, ZoneError> {
        let trimmed = name.trim();
        let refused = |reason: String| ZoneError {
            name: name.to_string(),
            reason,
        };
        if trimmed.is_empty() {
            return Err(refused("the name is empty".into()));
        }
        let zone = TimeZone::get(trimmed).map_err(|e| refused(e.to_string()))?;
        let name = zone.iana_name().unwrap_or(trimmed).to_string();
        Ok(ClinicZone { zone, name })
    }

    /// The system's zone (`TZ`, `/etc/localtime`); UTC when it cannot be told.
    pub fn system() -> ClinicZone {
        match TimeZone::try_system() {
            Ok(zone) => {
                let name = zone.iana_name().unwrap_or("system time").to_string();
                ClinicZone { zone, name }
            }
            Err(_) => ClinicZone::utc(),
        }
    }

    pub fn utc() -> ClinicZone {
        ClinicZone {
            zone: TimeZone::UTC,
            name: "UTC".into(),
        }
    }

    /// The config's zone when it names one (already checked when the config was read), the
    /// system's otherwise.
    pub fn for_config(timezone: Option<&str>) -> ClinicZone {
        timezone
            .and_then(|name| ClinicZone::named(name).ok())
            .unwrap_or_else(ClinicZone::system)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// `2026-11-26 11:00:00 CET`: a logged wall-clock time in this zone, to the second, for
    /// people. `None` when the text is not an RFC 3339 time.
    pub fn local(&self, wall: &str) -> Option<String> {
        let at: Timestamp = wall.trim().parse().ok()?;
        Some(
            at.to_zoned_datetime(self.zone.clone())
                .strftime("%Y-%m-%d %H:%M:%S %Z")
                .to_string(),
        )
    }

    /// `2026-11-26T11:00:00+01:00`: the same in a form spreadsheets and scripts read.
    pub fn local_rfc3339(&self, wall: &str) -> Option<String> {
        let at: Timestamp = wall.trim().parse().ok()?;
        Some(
            at.to_zoned_datetime(self.zone.clone())
                .strftime("%Y-%m-%dT%H:%M:%S%:z")
                .to_string(),
        )
    }
}

/// A duration as people write it: `6 min 57 s`, `1 h 5 min`, `45 s`, to the nearest second
/// (`0 s` for nothing, milliseconds only under a second).
pub fn human_duration(d: Millis) -> String {
    if d.0 == 0 {
        return "0 s".into();
    }
    if d.0 < 1000 {
        return format!("{} ms", d.0);
    }
    let secs = (d.0 + 500) / 1000;
    let (h, m, s) = (secs / 3600, (secs / 60) % 60, secs % 60);
    let parts: Vec<String> = [(h, "h"), (m, "min"), (s, "s")]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, unit)| format!("{n} {unit}"))
        .collect();
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_write_them() {
        assert_eq!(human_duration(Millis(417_180)), "6 min 57 s");
        assert_eq!(human_duration(Millis(417_500)), "6 min 58 s", "rounded, not cut");
        assert_eq!(human_duration(Millis::from_secs(45)), "45 s");
        assert_eq!(human_duration(Millis::from_mins(65)), "1 h 5 min");
        assert_eq!(human_duration(Millis::from_secs(3 * 3600 + 7)), "3 h 7 s");
        assert_eq!(human_duration(Millis::ZERO), "0 s");
        assert_eq!(human_duration(Millis(180)), "180 ms");
        assert_eq!(human_duration(Millis(999)), "999 ms");
        assert_eq!(human_duration(Millis(1000)), "1 s");
    }

    #[test]
    fn logged_times_show_in_the_clinics_zone_with_the_zone_named() {
        let berlin = ClinicZone::named("Europe/Berlin").unwrap();
        assert_eq!(berlin.name(), "Europe/Berlin");
        // Winter and summer time: the abbreviation and the offset follow the date.
        assert_eq!(
            berlin.local("2026-11-26T10:00:00.250Z").as_deref(),
            Some("2026-11-26 11:00:00 CET")
        );
        assert_eq!(
            berlin.local("2026-07-01T10:00:00Z").as_deref(),
            Some("2026-07-01 12:00:00 CEST")
        );
        assert_eq!(
            berlin.local_rfc3339("2026-11-26T10:00:00.000Z").as_deref(),
            Some("2026-11-26T11:00:00+01:00")
        );
        let utc = ClinicZone::named("UTC").unwrap();
        assert_eq!(
            utc.local_rfc3339("2026-11-26T10:00:00Z").as_deref(),
            Some("2026-11-26T10:00:00+00:00")
        );
        assert_eq!(berlin.local("yesterday"), None);
    }

    #[test]
    fn an_unknown_zone_is_refused_by_name() {
        let error = ClinicZone::named("Europe/Berlni").unwrap_err().to_string();
        assert!(error.starts_with("`Europe/Berlni` is not a time zone"), "{error}");
        assert!(error.contains("Europe/Berlin"), "{error}");
        assert!(ClinicZone::named("  ").is_err());
        // A config without a zone, or with one refused earlier, falls back rather than failing.
        assert_eq!(ClinicZone::for_config(Some("Asia/Tokyo")).name(), "Asia/Tokyo");
        assert!(!ClinicZone::for_config(None).name().is_empty());
    }
}
