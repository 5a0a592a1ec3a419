//! Dates and times as the services write them (layer 0: imports nothing of the crate):
//! RFC 3339 timestamps (IAM, ECS metadata, pod identity), `X-Sdk-Date`, civil-calendar arithmetic.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Parses `2026-11-29T15:04:05.000000Z` and its relatives: `T` or a space, any number of
/// fractional digits or none, `Z`, `+hh:mm`, `+hhmm` or no zone (UTC).
pub fn parse_timestamp(text: &str) -> Option<SystemTime> {
    let s = text.trim();
    let b = s.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !(b[10] == b'T' || b[10] == b't' || b[10] == b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let local = civil_seconds(s, [0, 5, 8, 11, 14, 17])?;
    let mut rest = &s[19..];
    let mut nanos = 0u32;
    if let Some(frac) = rest.strip_prefix('.').or_else(|| rest.strip_prefix(',')) {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let kept = &frac[..digits.min(9)];
        nanos = kept.parse::<u32>().ok()? * 10u32.pow(9 - kept.len() as u32);
        rest = &frac[digits..];
    }
    let offset = match rest {
        "" | "Z" | "z" => 0,
        zone => {
            let sign = match zone.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let digits: String = zone[1..].chars().filter(|c| *c != ':').collect();
            if digits.len() != 4 || !digits.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            let (oh, om): (i64, i64) = (digits[..2].parse().ok()?, digits[2..].parse().ok()?);
            sign * (oh * 3600 + om * 60)
        }
    };
    // Before 1970 too (a certificate listing may hold a zero time, 0001-01-01T00:00:00Z).
    let secs = local - offset;
    match u64::try_from(secs) {
        Ok(secs) => Some(UNIX_EPOCH + Duration::new(secs, nanos)),
        Err(_) => UNIX_EPOCH
            .checked_sub(Duration::from_secs(secs.unsigned_abs()))?
            .checked_add(Duration::from_nanos(nanos.into())),
    }
}

/// `2026-11-29T15:04:05.000000Z` (what IAM and the metadata service write).
pub fn format_timestamp(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs() as i64;
    let (y, m, day) = civil_from_days(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!("{y:04}-{m:02}-{day:02}T{:02}:{:02}:{:02}.{:06}Z", s / 3600, s % 3600 / 60, s % 60, d.subsec_micros())
}

/// Whole seconds since the Unix epoch (negative before it).
pub fn unix_seconds(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    }
}

/// `2026-11-29T15:04:05Z` for a Unix time (whole seconds, UTC).
#[cfg_attr(not(feature = "python"), allow(dead_code))] // Python's repr of a certificate
pub fn format_seconds(unix_seconds: i64) -> String {
    let (y, m, day) = civil_from_days(unix_seconds.div_euclid(86_400));
    let s = unix_seconds.rem_euclid(86_400);
    format!("{y:04}-{m:02}-{day:02}T{:02}:{:02}:{:02}Z", s / 3600, s % 3600 / 60, s % 60)
}

/// `X-Sdk-Date` for a Unix time: `YYYYMMDDTHHMMSSZ`, UTC.
pub fn sdk_date(unix_seconds: i64) -> String {
    let days = unix_seconds.div_euclid(86_400);
    let secs = unix_seconds.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z", secs / 3600, secs % 3600 / 60, secs % 60)
}

/// Parses `YYYYMMDDTHHMMSSZ` back into a Unix time.
#[cfg_attr(not(any(feature = "emulator", feature = "internals")), allow(dead_code))]
pub fn parse_sdk_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    civil_seconds(s, [0, 4, 6, 9, 11, 13])
}

/// The Unix time of the date and time written in `s` as year (4 digits), month, day, hour,
/// minute and second (2 digits each) starting at the byte offsets `at`; `None` unless every
/// field is digits and in range.
pub(crate) fn civil_seconds(s: &str, at: [usize; 6]) -> Option<i64> {
    let num = |start: usize, len: usize| -> Option<i64> {
        let t = s.get(start..start + len)?;
        if t.bytes().all(|c| c.is_ascii_digit()) { t.parse().ok() } else { None }
    };
    let (y, mo, d) = (num(at[0], 4)?, num(at[1], 2)?, num(at[2], 2)?);
    let (h, mi, se) = (num(at[3], 2)?, num(at[4], 2)?, num(at[5], 2)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    Some(days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + se)
}

// Howard Hinnant's civil-calendar algorithms (public domain): exact for any proleptic Gregorian date.
pub(crate) fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}
