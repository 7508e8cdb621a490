//! Temporal values: [`Date`], [`Time`], [`LocalTime`], [`DateTime`],
//! [`DateTimeZoneId`], [`LocalDateTime`], [`Duration`], with ISO 8601
//! `Display` and conversions to and from `std::time`.
//!
//! Owns the public shape of these values; the wire forms (legacy
//! local-seconds or UTC date-times) stay in `wire`. Uses no time-zone
//! database: a zone id is kept as text.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::Error;

pub(crate) const NANOS_PER_SEC: i64 = 1_000_000_000;
pub(crate) const NANOS_PER_DAY: i64 = 86_400 * NANOS_PER_SEC;
/// Largest UTC offset accepted, in seconds (exclusive bound ±24 h).
pub(crate) const MAX_OFFSET: i32 = 86_399;

fn conv(message: impl Into<String>) -> Error {
    Error::Conversion {
        key: None,
        message: message.into(),
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (no range check).
fn days_from_civil(y: i64, m: u32, d: u32) -> i128 {
    let y = y as i128 - i128::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = m as i128;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i128 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Year, month, day of a day count since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days as i128 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i128::from(m <= 2);
    (y as i64, m, d)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

fn write_offset(f: &mut fmt::Formatter<'_>, offset: i32) -> fmt::Result {
    if offset == 0 {
        return f.write_str("Z");
    }
    let sign = if offset < 0 { '-' } else { '+' };
    let a = offset.unsigned_abs();
    write!(f, "{sign}{:02}:{:02}", a / 3600, a / 60 % 60)?;
    if a % 60 != 0 {
        write!(f, ":{:02}", a % 60)?;
    }
    Ok(())
}

/// A calendar date (proleptic Gregorian), without time or zone.
///
/// ```
/// use neo4j::Date;
/// let d = Date::from_ymd(2024, 2, 29).unwrap();
/// assert_eq!(d.days_since_epoch(), 19782);
/// assert_eq!(d.year_month_day(), (2024, 2, 29));
/// assert_eq!(d.to_string(), "2024-02-29");
/// assert!(Date::from_ymd(2023, 2, 29).is_none());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date {
    days: i64,
}

impl Date {
    /// The date `days` after 1970-01-01 (negative: before).
    ///
    /// ```
    /// assert_eq!(neo4j::Date::from_days_since_epoch(-1).to_string(), "1969-12-31");
    /// ```
    pub const fn from_days_since_epoch(days: i64) -> Date {
        Date { days }
    }

    /// The date with this year, month (1–12) and day (1–31), if it exists.
    ///
    /// ```
    /// assert!(neo4j::Date::from_ymd(1970, 1, 1).is_some());
    /// assert!(neo4j::Date::from_ymd(1970, 13, 1).is_none());
    /// ```
    pub fn from_ymd(year: i64, month: u32, day: u32) -> Option<Date> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        i64::try_from(days_from_civil(year, month, day))
            .ok()
            .map(|days| Date { days })
    }

    /// Days since 1970-01-01.
    ///
    /// ```
    /// assert_eq!(neo4j::Date::from_ymd(1970, 1, 2).unwrap().days_since_epoch(), 1);
    /// ```
    pub const fn days_since_epoch(self) -> i64 {
        self.days
    }

    /// `(year, month, day)`.
    ///
    /// ```
    /// assert_eq!(neo4j::Date::from_days_since_epoch(0).year_month_day(), (1970, 1, 1));
    /// ```
    pub fn year_month_day(self) -> (i64, u32, u32) {
        civil_from_days(self.days)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.year_month_day();
        if (0..=9999).contains(&y) {
            write!(f, "{y:04}-{m:02}-{d:02}")
        } else {
            write!(f, "{y:+05}-{m:02}-{d:02}")
        }
    }
}

/// A time of day without zone, to the nanosecond.
///
/// ```
/// use neo4j::LocalTime;
/// let t = LocalTime::from_hms_nano(13, 5, 9, 500_000_000).unwrap();
/// assert_eq!((t.hour(), t.minute(), t.second(), t.nanosecond()), (13, 5, 9, 500_000_000));
/// assert_eq!(t.to_string(), "13:05:09.5");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LocalTime {
    nanos: i64,
}

impl LocalTime {
    /// The time `nanos` nanoseconds after midnight, if less than a day.
    ///
    /// ```
    /// assert!(neo4j::LocalTime::from_nanos_of_day(86_400_000_000_000).is_none());
    /// ```
    pub fn from_nanos_of_day(nanos: i64) -> Option<LocalTime> {
        (0..NANOS_PER_DAY)
            .contains(&nanos)
            .then_some(LocalTime { nanos })
    }

    /// The time `h:m:s.nano`, if each part is in range.
    ///
    /// ```
    /// assert!(neo4j::LocalTime::from_hms_nano(24, 0, 0, 0).is_none());
    /// ```
    pub fn from_hms_nano(hour: u32, minute: u32, second: u32, nano: u32) -> Option<LocalTime> {
        if hour > 23 || minute > 59 || second > 59 || nano >= NANOS_PER_SEC as u32 {
            return None;
        }
        let secs = i64::from(hour * 3600 + minute * 60 + second);
        Some(LocalTime {
            nanos: secs * NANOS_PER_SEC + i64::from(nano),
        })
    }

    /// Nanoseconds since midnight.
    ///
    /// ```
    /// assert_eq!(neo4j::LocalTime::from_hms_nano(0, 0, 1, 2).unwrap().nanos_of_day(), 1_000_000_002);
    /// ```
    pub const fn nanos_of_day(self) -> i64 {
        self.nanos
    }

    /// Hour (0–23).
    ///
    /// ```
    /// assert_eq!(neo4j::LocalTime::from_hms_nano(7, 0, 0, 0).unwrap().hour(), 7);
    /// ```
    pub const fn hour(self) -> u32 {
        (self.nanos / NANOS_PER_SEC / 3600) as u32
    }

    /// Minute (0–59).
    ///
    /// ```
    /// assert_eq!(neo4j::LocalTime::from_hms_nano(7, 8, 0, 0).unwrap().minute(), 8);
    /// ```
    pub const fn minute(self) -> u32 {
        (self.nanos / NANOS_PER_SEC / 60 % 60) as u32
    }

    /// Second (0–59).
    ///
    /// ```
    /// assert_eq!(neo4j::LocalTime::from_hms_nano(7, 8, 9, 0).unwrap().second(), 9);
    /// ```
    pub const fn second(self) -> u32 {
        (self.nanos / NANOS_PER_SEC % 60) as u32
    }

    /// Nanosecond within the second.
    ///
    /// ```
    /// assert_eq!(neo4j::LocalTime::from_hms_nano(0, 0, 0, 42).unwrap().nanosecond(), 42);
    /// ```
    pub const fn nanosecond(self) -> u32 {
        (self.nanos % NANOS_PER_SEC) as u32
    }
}

impl fmt::Display for LocalTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:02}:{:02}:{:02}",
            self.hour(),
            self.minute(),
            self.second()
        )?;
        let n = self.nanosecond();
        if n != 0 {
            let s = format!("{n:09}");
            write!(f, ".{}", s.trim_end_matches('0'))?;
        }
        Ok(())
    }
}

/// A time of day with a fixed UTC offset.
///
/// ```
/// use neo4j::{LocalTime, Time};
/// let t = Time::new(LocalTime::from_hms_nano(9, 30, 0, 0).unwrap(), 3600).unwrap();
/// assert_eq!(t.offset_seconds(), 3600);
/// assert_eq!(t.to_string(), "09:30:00+01:00");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Time {
    time: LocalTime,
    offset: i32,
}

impl Time {
    /// The local `time` at `offset_seconds` east of UTC (|offset| < 24 h).
    ///
    /// ```
    /// use neo4j::{LocalTime, Time};
    /// assert!(Time::new(LocalTime::from_nanos_of_day(0).unwrap(), 90_000).is_none());
    /// ```
    pub fn new(time: LocalTime, offset_seconds: i32) -> Option<Time> {
        (-MAX_OFFSET..=MAX_OFFSET)
            .contains(&offset_seconds)
            .then_some(Time {
                time,
                offset: offset_seconds,
            })
    }

    /// The local time of day.
    ///
    /// ```
    /// use neo4j::{LocalTime, Time};
    /// let lt = LocalTime::from_nanos_of_day(5).unwrap();
    /// assert_eq!(Time::new(lt, 0).unwrap().time(), lt);
    /// ```
    pub const fn time(self) -> LocalTime {
        self.time
    }

    /// Offset from UTC, in seconds (east positive).
    ///
    /// ```
    /// use neo4j::{LocalTime, Time};
    /// assert_eq!(Time::new(LocalTime::from_nanos_of_day(0).unwrap(), -60).unwrap().offset_seconds(), -60);
    /// ```
    pub const fn offset_seconds(self) -> i32 {
        self.offset
    }
}

impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.time)?;
        write_offset(f, self.offset)
    }
}

/// A date and time without zone, to the nanosecond.
///
/// ```
/// use neo4j::{Date, LocalDateTime, LocalTime};
/// let dt = LocalDateTime::new(Date::from_ymd(2000, 1, 2).unwrap(), LocalTime::from_hms_nano(3, 4, 5, 0).unwrap());
/// assert_eq!(dt.to_string(), "2000-01-02T03:04:05");
/// assert_eq!(dt.date().year_month_day(), (2000, 1, 2));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LocalDateTime {
    seconds: i64,
    nanos: u32,
}

impl LocalDateTime {
    /// `date` at `time`.
    ///
    /// ```
    /// use neo4j::{Date, LocalDateTime, LocalTime};
    /// let dt = LocalDateTime::new(Date::from_days_since_epoch(1), LocalTime::from_nanos_of_day(0).unwrap());
    /// assert_eq!(dt.seconds_since_epoch(), 86_400);
    /// ```
    pub fn new(date: Date, time: LocalTime) -> LocalDateTime {
        let secs = date
            .days
            .saturating_mul(86_400)
            .saturating_add(time.nanos / NANOS_PER_SEC);
        LocalDateTime {
            seconds: secs,
            nanos: time.nanosecond(),
        }
    }

    /// The wall-clock time `seconds` after 1970-01-01T00:00 plus `nanos`
    /// (< 1e9).
    ///
    /// ```
    /// assert!(neo4j::LocalDateTime::from_timestamp(0, 1_000_000_000).is_none());
    /// ```
    pub fn from_timestamp(seconds: i64, nanos: u32) -> Option<LocalDateTime> {
        (i64::from(nanos) < NANOS_PER_SEC).then_some(LocalDateTime { seconds, nanos })
    }

    /// Seconds since 1970-01-01T00:00 (of the wall clock).
    ///
    /// ```
    /// assert_eq!(neo4j::LocalDateTime::from_timestamp(5, 0).unwrap().seconds_since_epoch(), 5);
    /// ```
    pub const fn seconds_since_epoch(self) -> i64 {
        self.seconds
    }

    /// Nanosecond within the second.
    ///
    /// ```
    /// assert_eq!(neo4j::LocalDateTime::from_timestamp(5, 7).unwrap().nanosecond(), 7);
    /// ```
    pub const fn nanosecond(self) -> u32 {
        self.nanos
    }

    /// The date part.
    ///
    /// ```
    /// assert_eq!(neo4j::LocalDateTime::from_timestamp(-1, 0).unwrap().date().to_string(), "1969-12-31");
    /// ```
    pub fn date(self) -> Date {
        Date::from_days_since_epoch(self.seconds.div_euclid(86_400))
    }

    /// The time part.
    ///
    /// ```
    /// assert_eq!(neo4j::LocalDateTime::from_timestamp(-1, 0).unwrap().time().to_string(), "23:59:59");
    /// ```
    pub fn time(self) -> LocalTime {
        LocalTime {
            nanos: self.seconds.rem_euclid(86_400) * NANOS_PER_SEC + i64::from(self.nanos),
        }
    }
}

impl fmt::Display for LocalDateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}T{}", self.date(), self.time())
    }
}

/// An instant with a fixed UTC offset (what Cypher's `datetime()` returns
/// for an offset zone).
///
/// ```
/// use neo4j::DateTime;
/// let dt = DateTime::from_timestamp(0, 0, 3600).unwrap();
/// assert_eq!(dt.to_string(), "1970-01-01T01:00:00+01:00");
/// assert_eq!(dt.local().seconds_since_epoch(), 3600);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DateTime {
    seconds: i64,
    nanos: u32,
    offset: i32,
}

impl DateTime {
    /// The instant `seconds` (UTC) after the epoch plus `nanos` (< 1e9),
    /// seen at `offset_seconds` east of UTC (|offset| < 24 h).
    ///
    /// ```
    /// assert!(neo4j::DateTime::from_timestamp(0, 0, 100_000).is_none());
    /// ```
    pub fn from_timestamp(seconds: i64, nanos: u32, offset_seconds: i32) -> Option<DateTime> {
        (i64::from(nanos) < NANOS_PER_SEC && (-MAX_OFFSET..=MAX_OFFSET).contains(&offset_seconds))
            .then_some(DateTime {
                seconds,
                nanos,
                offset: offset_seconds,
            })
    }

    /// The wall-clock `local` time at `offset_seconds`.
    ///
    /// ```
    /// use neo4j::{DateTime, LocalDateTime};
    /// let local = LocalDateTime::from_timestamp(3600, 0).unwrap();
    /// assert_eq!(DateTime::from_local(local, 3600).unwrap().timestamp(), 0);
    /// ```
    pub fn from_local(local: LocalDateTime, offset_seconds: i32) -> Option<DateTime> {
        let secs = local.seconds.checked_sub(i64::from(offset_seconds))?;
        DateTime::from_timestamp(secs, local.nanos, offset_seconds)
    }

    /// Seconds since the epoch, UTC.
    ///
    /// ```
    /// assert_eq!(neo4j::DateTime::from_timestamp(9, 0, 60).unwrap().timestamp(), 9);
    /// ```
    pub const fn timestamp(self) -> i64 {
        self.seconds
    }

    /// Nanosecond within the second.
    ///
    /// ```
    /// assert_eq!(neo4j::DateTime::from_timestamp(9, 8, 60).unwrap().nanosecond(), 8);
    /// ```
    pub const fn nanosecond(self) -> u32 {
        self.nanos
    }

    /// Offset from UTC, in seconds (east positive).
    ///
    /// ```
    /// assert_eq!(neo4j::DateTime::from_timestamp(9, 8, 60).unwrap().offset_seconds(), 60);
    /// ```
    pub const fn offset_seconds(self) -> i32 {
        self.offset
    }

    /// The wall-clock date and time at the offset.
    ///
    /// ```
    /// let dt = neo4j::DateTime::from_timestamp(0, 0, -3600).unwrap();
    /// assert_eq!(dt.local().to_string(), "1969-12-31T23:00:00");
    /// ```
    pub fn local(self) -> LocalDateTime {
        LocalDateTime {
            seconds: self.seconds.saturating_add(i64::from(self.offset)),
            nanos: self.nanos,
        }
    }
}

impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.local())?;
        if self.offset == 0 {
            f.write_str("+00:00")
        } else {
            write_offset(f, self.offset)
        }
    }
}

/// A date-time in a named time zone (IANA id such as `Europe/Paris`).
///
/// Without a time-zone database the driver cannot turn the zone id into an
/// offset, so the value keeps what it was made from: the UTC instant (Bolt
/// 5.0+ servers, or 4.4 with the UTC patch), the wall-clock time (older
/// servers), or both: the wall clock with its UTC offset
/// ([`DateTimeZoneId::new`], for an application that has a time-zone
/// database). Sending a value that lacks the form the server uses fails
/// with [`Error::Conversion`](crate::Error::Conversion), except for the
/// zones `UTC`, `Etc/UTC`, `GMT`, `Etc/GMT` and `Z`, which convert exactly.
///
/// The zone id is not checked: the server rejects ids it does not know.
///
/// ```
/// use neo4j::DateTimeZoneId;
/// let dt = DateTimeZoneId::from_timestamp(0, 0, "Europe/Paris").unwrap();
/// assert_eq!(dt.timestamp(), Some(0));
/// assert_eq!(dt.local(), None);
/// assert_eq!(dt.zone_id(), "Europe/Paris");
/// assert_eq!(dt.to_string(), "1970-01-01T00:00:00Z[Europe/Paris]");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DateTimeZoneId {
    /// UTC seconds if `utc`, else wall-clock seconds.
    pub(crate) seconds: i64,
    pub(crate) nanos: u32,
    pub(crate) utc: bool,
    /// The UTC offset at that moment, when known (then both forms are).
    pub(crate) offset: Option<i32>,
    pub(crate) zone_id: Box<str>,
}

pub(crate) fn is_utc_zone(zone: &str) -> bool {
    matches!(zone, "UTC" | "Etc/UTC" | "GMT" | "Etc/GMT" | "Z")
}

impl DateTimeZoneId {
    /// The instant `seconds` (UTC) after the epoch plus `nanos` (< 1e9), in
    /// `zone_id`.
    ///
    /// ```
    /// assert!(neo4j::DateTimeZoneId::from_timestamp(0, 2_000_000_000, "UTC").is_none());
    /// ```
    pub fn from_timestamp(
        seconds: i64,
        nanos: u32,
        zone_id: impl Into<String>,
    ) -> Option<DateTimeZoneId> {
        (i64::from(nanos) < NANOS_PER_SEC).then(|| DateTimeZoneId {
            seconds,
            nanos,
            utc: true,
            offset: None,
            zone_id: zone_id.into().into_boxed_str(),
        })
    }

    /// The wall-clock time `local` in `zone_id`, where the zone's UTC
    /// offset at that time is `offset_seconds` (as a time-zone database
    /// such as `chrono-tz` computes it). Knowing both, the value can be
    /// sent to any server. `None` if the offset is a day or more or the
    /// instant is out of range.
    ///
    /// ```
    /// use neo4j::{Date, DateTimeZoneId, LocalDateTime, LocalTime};
    /// let local = LocalDateTime::new(
    ///     Date::from_ymd(2022, 6, 7).unwrap(),
    ///     LocalTime::from_hms_nano(11, 52, 5, 0).unwrap(),
    /// );
    /// let dt = DateTimeZoneId::new(local, 7200, "Europe/Stockholm").unwrap();
    /// assert_eq!(dt.local(), Some(local));
    /// assert_eq!(dt.timestamp(), Some(local.seconds_since_epoch() - 7200));
    /// assert_eq!(dt.offset_seconds(), Some(7200));
    /// assert_eq!(dt.to_string(), "2022-06-07T11:52:05+02:00[Europe/Stockholm]");
    /// ```
    pub fn new(
        local: LocalDateTime,
        offset_seconds: i32,
        zone_id: impl Into<String>,
    ) -> Option<DateTimeZoneId> {
        if !(-MAX_OFFSET..=MAX_OFFSET).contains(&offset_seconds) {
            return None;
        }
        local.seconds.checked_sub(i64::from(offset_seconds))?;
        Some(DateTimeZoneId {
            seconds: local.seconds,
            nanos: local.nanos,
            utc: false,
            offset: Some(offset_seconds),
            zone_id: zone_id.into().into_boxed_str(),
        })
    }

    /// The UTC offset, when the value was made with one
    /// ([`DateTimeZoneId::new`]); values from the server do not carry it.
    ///
    /// ```
    /// assert_eq!(neo4j::DateTimeZoneId::from_timestamp(0, 0, "Europe/Paris").unwrap().offset_seconds(), None);
    /// ```
    pub fn offset_seconds(&self) -> Option<i32> {
        self.offset
    }

    /// The wall-clock time `local` in `zone_id`.
    ///
    /// ```
    /// use neo4j::{DateTimeZoneId, LocalDateTime};
    /// let dt = DateTimeZoneId::from_local(LocalDateTime::from_timestamp(60, 0).unwrap(), "Asia/Tokyo");
    /// assert_eq!(dt.local().unwrap().seconds_since_epoch(), 60);
    /// assert_eq!(dt.timestamp(), None);
    /// ```
    pub fn from_local(local: LocalDateTime, zone_id: impl Into<String>) -> DateTimeZoneId {
        let zone_id = zone_id.into().into_boxed_str();
        DateTimeZoneId {
            seconds: local.seconds,
            nanos: local.nanos,
            // In a UTC zone the wall clock is the instant.
            utc: is_utc_zone(&zone_id),
            offset: None,
            zone_id,
        }
    }

    /// Seconds since the epoch (UTC), when the value knows its instant.
    ///
    /// ```
    /// use neo4j::{DateTimeZoneId, LocalDateTime};
    /// // In UTC, a wall-clock time is also an instant.
    /// let dt = DateTimeZoneId::from_local(LocalDateTime::from_timestamp(60, 0).unwrap(), "UTC");
    /// assert_eq!(dt.timestamp(), Some(60));
    /// ```
    pub fn timestamp(&self) -> Option<i64> {
        if self.utc || is_utc_zone(&self.zone_id) {
            return Some(self.seconds);
        }
        self.seconds.checked_sub(i64::from(self.offset?))
    }

    /// The wall-clock date and time, when the value knows it.
    ///
    /// ```
    /// let dt = neo4j::DateTimeZoneId::from_timestamp(0, 0, "Etc/UTC").unwrap();
    /// assert_eq!(dt.local().unwrap().seconds_since_epoch(), 0);
    /// ```
    pub fn local(&self) -> Option<LocalDateTime> {
        let seconds = if !self.utc || is_utc_zone(&self.zone_id) {
            self.seconds
        } else {
            self.seconds.checked_add(i64::from(self.offset?))?
        };
        Some(LocalDateTime {
            seconds,
            nanos: self.nanos,
        })
    }

    /// Nanosecond within the second.
    ///
    /// ```
    /// assert_eq!(neo4j::DateTimeZoneId::from_timestamp(0, 3, "UTC").unwrap().nanosecond(), 3);
    /// ```
    pub fn nanosecond(&self) -> u32 {
        self.nanos
    }

    /// The zone id.
    ///
    /// ```
    /// assert_eq!(neo4j::DateTimeZoneId::from_timestamp(0, 0, "UTC").unwrap().zone_id(), "UTC");
    /// ```
    pub fn zone_id(&self) -> &str {
        &self.zone_id
    }
}

impl fmt::Display for DateTimeZoneId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let wall = LocalDateTime {
            seconds: self.seconds,
            nanos: self.nanos,
        };
        match self.offset {
            Some(off) => {
                write!(f, "{wall}")?;
                write_offset(f, off)?;
            }
            None if self.utc => write!(f, "{wall}Z")?,
            None => write!(f, "{wall}")?,
        }
        write!(f, "[{}]", self.zone_id)
    }
}

/// A Cypher duration: months, days, seconds and nanoseconds, kept apart
/// because months and days have no fixed length.
///
/// ```
/// use neo4j::Duration;
/// let d = Duration::new(14, 3, 7200, 500_000_000);
/// assert_eq!((d.months(), d.days(), d.seconds(), d.nanoseconds()), (14, 3, 7200, 500_000_000));
/// assert_eq!(d.to_string(), "P14M3DT7200.5S");
/// // Exact durations convert to std:
/// let s = std::time::Duration::try_from(Duration::new(0, 0, 2, 5)).unwrap();
/// assert_eq!(s, std::time::Duration::new(2, 5));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Duration {
    months: i64,
    days: i64,
    seconds: i64,
    nanos: i64,
}

impl Duration {
    /// A duration of `months`, `days`, `seconds` and `nanoseconds` (each
    /// kept as given; the server normalises).
    ///
    /// ```
    /// assert_eq!(neo4j::Duration::new(1, 0, 0, 0).months(), 1);
    /// ```
    pub const fn new(months: i64, days: i64, seconds: i64, nanoseconds: i64) -> Duration {
        Duration {
            months,
            days,
            seconds,
            nanos: nanoseconds,
        }
    }

    /// Months.
    ///
    /// ```
    /// assert_eq!(neo4j::Duration::new(1, 2, 3, 4).months(), 1);
    /// ```
    pub const fn months(self) -> i64 {
        self.months
    }

    /// Days.
    ///
    /// ```
    /// assert_eq!(neo4j::Duration::new(1, 2, 3, 4).days(), 2);
    /// ```
    pub const fn days(self) -> i64 {
        self.days
    }

    /// Seconds.
    ///
    /// ```
    /// assert_eq!(neo4j::Duration::new(1, 2, 3, 4).seconds(), 3);
    /// ```
    pub const fn seconds(self) -> i64 {
        self.seconds
    }

    /// Nanoseconds.
    ///
    /// ```
    /// assert_eq!(neo4j::Duration::new(1, 2, 3, 4).nanoseconds(), 4);
    /// ```
    pub const fn nanoseconds(self) -> i64 {
        self.nanos
    }

    /// Total seconds and nanoseconds (0..1e9), if months and days are zero
    /// (only then is the length exact).
    pub(crate) fn exact(self) -> Option<(i64, u32)> {
        if self.months != 0 || self.days != 0 {
            return None;
        }
        let secs = self
            .seconds
            .checked_add(self.nanos.div_euclid(NANOS_PER_SEC))?;
        Some((secs, self.nanos.rem_euclid(NANOS_PER_SEC) as u32))
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let total = i128::from(self.seconds) * i128::from(NANOS_PER_SEC) + i128::from(self.nanos);
        let (secs, frac) = (total / 1_000_000_000, (total % 1_000_000_000).abs());
        write!(f, "P{}M{}DT", self.months, self.days)?;
        if total < 0 && secs == 0 {
            f.write_str("-")?;
        }
        write!(f, "{secs}")?;
        if frac != 0 {
            let s = format!("{frac:09}");
            write!(f, ".{}", s.trim_end_matches('0'))?;
        }
        f.write_str("S")
    }
}

impl From<std::time::Duration> for Duration {
    /// Seconds and nanoseconds of a `std` duration (months and days zero);
    /// saturates beyond `i64::MAX` seconds.
    fn from(d: std::time::Duration) -> Duration {
        Duration::new(
            0,
            0,
            i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            i64::from(d.subsec_nanos()),
        )
    }
}

impl TryFrom<Duration> for std::time::Duration {
    type Error = Error;
    /// Only for durations without months or days (they have no fixed
    /// length) that are not negative.
    fn try_from(d: Duration) -> Result<Self, Error> {
        let (s, n) = d.exact().ok_or_else(|| {
            conv(format!(
                "duration {d} has months or days, which have no fixed length"
            ))
        })?;
        let s = u64::try_from(s).map_err(|_| conv(format!("duration {d} is negative")))?;
        Ok(std::time::Duration::new(s, n))
    }
}

impl From<SystemTime> for DateTime {
    /// The instant, at offset zero.
    fn from(t: SystemTime) -> DateTime {
        let (seconds, nanos) = match t.duration_since(UNIX_EPOCH) {
            Ok(d) => (
                i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
                d.subsec_nanos(),
            ),
            Err(e) => {
                let d = e.duration();
                let s = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
                match d.subsec_nanos() {
                    0 => (-s, 0),
                    n => (-s - 1, NANOS_PER_SEC as u32 - n),
                }
            }
        };
        DateTime {
            seconds,
            nanos,
            offset: 0,
        }
    }
}

impl TryFrom<DateTime> for SystemTime {
    type Error = Error;
    /// The instant (the offset is dropped); fails outside `SystemTime`'s range.
    fn try_from(dt: DateTime) -> Result<SystemTime, Error> {
        let out = || conv(format!("{dt} is outside SystemTime's range"));
        if dt.seconds >= 0 {
            UNIX_EPOCH
                .checked_add(std::time::Duration::new(dt.seconds as u64, dt.nanos))
                .ok_or_else(out)
        } else {
            UNIX_EPOCH
                .checked_sub(std::time::Duration::new(dt.seconds.unsigned_abs(), 0))
                .and_then(|t| t.checked_add(std::time::Duration::new(0, dt.nanos)))
                .ok_or_else(out)
        }
    }
}

// Unchecked constructors for values read from the wire (already validated).
impl LocalTime {
    pub(crate) const fn raw(nanos: i64) -> LocalTime {
        LocalTime { nanos }
    }
}

impl Time {
    pub(crate) const fn raw(nanos: i64, offset: i32) -> Time {
        Time {
            time: LocalTime { nanos },
            offset,
        }
    }
}

impl LocalDateTime {
    pub(crate) const fn raw(seconds: i64, nanos: u32) -> LocalDateTime {
        LocalDateTime { seconds, nanos }
    }
}

impl DateTime {
    pub(crate) const fn raw(seconds: i64, nanos: u32, offset: i32) -> DateTime {
        DateTime {
            seconds,
            nanos,
            offset,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        for days in [
            -1_000_000i64,
            -719_468,
            -1,
            0,
            1,
            59,
            60,
            365,
            19_782,
            2_932_896,
        ] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days as i128, "{days}");
        }
        assert!(civil_from_days(i64::MIN).1 >= 1);
        assert!(civil_from_days(i64::MAX).1 <= 12);
        assert_eq!(
            Date::from_ymd(2000, 3, 1).unwrap().days_since_epoch(),
            11_017
        );
        assert_eq!(Date::from_ymd(-1, 1, 1).unwrap().to_string(), "-0001-01-01");
    }

    #[test]
    fn displays() {
        assert_eq!(
            Duration::new(0, 0, -1, 500_000_000).to_string(),
            "P0M0DT-0.5S"
        );
        assert_eq!(Duration::new(0, 0, 0, 0).to_string(), "P0M0DT0S");
        let t = Time::new(LocalTime::from_nanos_of_day(0).unwrap(), -5_430).unwrap();
        assert_eq!(t.to_string(), "00:00:00-01:30:30");
        assert_eq!(
            DateTime::from_timestamp(0, 0, 0).unwrap().to_string(),
            "1970-01-01T00:00:00+00:00"
        );
    }

    #[test]
    fn system_time() {
        let t = UNIX_EPOCH - std::time::Duration::new(1, 250);
        let dt = DateTime::from(t);
        assert_eq!((dt.timestamp(), dt.nanosecond()), (-2, 999_999_750));
        assert_eq!(SystemTime::try_from(dt).unwrap(), t);
        assert!(std::time::Duration::try_from(Duration::new(0, 1, 0, 0)).is_err());
        assert!(std::time::Duration::try_from(Duration::new(0, 0, -1, 0)).is_err());
        assert_eq!(
            std::time::Duration::try_from(Duration::new(0, 0, 1, -1)).unwrap(),
            std::time::Duration::new(0, 999_999_999)
        );
    }
}
