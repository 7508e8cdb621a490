//! Conversions between the temporal values and chrono's types (feature
//! `chrono`): `NaiveDate`, `NaiveTime`, `NaiveDateTime`,
//! `DateTime<FixedOffset>`, `DateTime<Utc>`, `TimeDelta`.
//!
//! Into chrono: `TryFrom` (chrono's range is smaller). From chrono: `From`.
//! Zoned date-times with a named zone convert to `DateTime<Utc>` only when
//! they know their instant (no time-zone database here).

use ::chrono as c;

use super::*;

fn range(what: &str, v: impl std::fmt::Display) -> Error {
    Error::conversion(format!("{v} is outside chrono's {what} range"))
}

const UNIX_EPOCH_DAYS_FROM_CE: i64 = 719_163;

impl TryFrom<Date> for c::NaiveDate {
    type Error = Error;
    fn try_from(d: Date) -> Result<Self, Error> {
        d.days_since_epoch()
            .checked_add(UNIX_EPOCH_DAYS_FROM_CE)
            .and_then(|n| i32::try_from(n).ok())
            .and_then(c::NaiveDate::from_num_days_from_ce_opt)
            .ok_or_else(|| range("NaiveDate", d))
    }
}

impl From<c::NaiveDate> for Date {
    fn from(d: c::NaiveDate) -> Date {
        Date::from_days_since_epoch(
            i64::from(c::Datelike::num_days_from_ce(&d)) - UNIX_EPOCH_DAYS_FROM_CE,
        )
    }
}

impl From<LocalTime> for c::NaiveTime {
    fn from(t: LocalTime) -> Self {
        let secs = (t.nanos_of_day() / temporal::NANOS_PER_SEC) as u32;
        c::NaiveTime::from_num_seconds_from_midnight_opt(secs, t.nanosecond())
            .unwrap_or(c::NaiveTime::MIN)
    }
}

impl From<c::NaiveTime> for LocalTime {
    /// A leap second (chrono's nanosecond ≥ 1e9) becomes the last
    /// nanosecond of its second.
    fn from(t: c::NaiveTime) -> LocalTime {
        use c::Timelike as _;
        let nano = t.nanosecond().min(999_999_999);
        LocalTime::raw(
            i64::from(t.num_seconds_from_midnight()) * temporal::NANOS_PER_SEC + i64::from(nano),
        )
    }
}

impl TryFrom<LocalDateTime> for c::NaiveDateTime {
    type Error = Error;
    fn try_from(t: LocalDateTime) -> Result<Self, Error> {
        c::DateTime::from_timestamp(t.seconds_since_epoch(), t.nanosecond())
            .map(|d| d.naive_utc())
            .ok_or_else(|| range("NaiveDateTime", t))
    }
}

impl From<c::NaiveDateTime> for LocalDateTime {
    fn from(t: c::NaiveDateTime) -> LocalDateTime {
        let u = t.and_utc();
        LocalDateTime::raw(u.timestamp(), u.timestamp_subsec_nanos().min(999_999_999))
    }
}

impl TryFrom<DateTime> for c::DateTime<c::FixedOffset> {
    type Error = Error;
    fn try_from(t: DateTime) -> Result<Self, Error> {
        let off = c::FixedOffset::east_opt(t.offset_seconds()).ok_or_else(|| range("offset", t))?;
        c::DateTime::from_timestamp(t.timestamp(), t.nanosecond())
            .map(|u| u.with_timezone(&off))
            .ok_or_else(|| range("DateTime", t))
    }
}

impl<Tz: c::TimeZone> From<c::DateTime<Tz>> for DateTime {
    /// The instant and its offset (for `Utc`, zero).
    fn from(t: c::DateTime<Tz>) -> DateTime {
        use c::Offset as _;
        let off = t.offset().fix().local_minus_utc();
        DateTime::raw(
            t.timestamp(),
            t.timestamp_subsec_nanos().min(999_999_999),
            off,
        )
    }
}

impl TryFrom<DateTime> for c::DateTime<c::Utc> {
    type Error = Error;
    /// The instant (the offset is dropped).
    fn try_from(t: DateTime) -> Result<Self, Error> {
        c::DateTime::from_timestamp(t.timestamp(), t.nanosecond())
            .ok_or_else(|| range("DateTime", t))
    }
}

impl TryFrom<DateTimeZoneId> for c::DateTime<c::Utc> {
    type Error = Error;
    /// The instant, if the value knows it (see [`DateTimeZoneId`]).
    fn try_from(t: DateTimeZoneId) -> Result<Self, Error> {
        let s = t.timestamp().ok_or_else(|| {
            Error::conversion(format!(
                "{t} is a wall-clock time; its instant needs a time-zone database"
            ))
        })?;
        c::DateTime::from_timestamp(s, t.nanosecond()).ok_or_else(|| range("DateTime", &t))
    }
}

impl From<c::TimeDelta> for Duration {
    /// Seconds and nanoseconds (months and days zero).
    fn from(d: c::TimeDelta) -> Duration {
        let secs = d.num_seconds();
        let nanos = i64::from(d.subsec_nanos());
        Duration::new(0, 0, secs, nanos)
    }
}

impl TryFrom<Duration> for c::TimeDelta {
    type Error = Error;
    /// Only for durations without months or days (they have no fixed length).
    fn try_from(d: Duration) -> Result<Self, Error> {
        let (s, n) = d.exact().ok_or_else(|| {
            Error::conversion(format!(
                "duration {d} has months or days, which have no fixed length"
            ))
        })?;
        c::TimeDelta::new(s, n).ok_or_else(|| range("TimeDelta", d))
    }
}

macro_rules! chrono_value {
    ($($t:ty => $via:ty),* $(,)?) => {$(
        impl From<$t> for Value {
            fn from(v: $t) -> Value {
                <$via>::from(v).into()
            }
        }
        impl FromValue for $t {
            fn from_value(v: Value) -> Result<Self, Error> {
                <$via as FromValue>::from_value(v).and_then(<$t>::try_from)
            }
        }
    )*};
}

impl From<c::NaiveTime> for Value {
    fn from(v: c::NaiveTime) -> Value {
        LocalTime::from(v).into()
    }
}

impl FromValue for c::NaiveTime {
    fn from_value(v: Value) -> Result<Self, Error> {
        LocalTime::from_value(v).map(c::NaiveTime::from)
    }
}

chrono_value! {
    c::NaiveDate => Date,
    c::NaiveDateTime => LocalDateTime,
    c::DateTime<c::FixedOffset> => DateTime,
    c::TimeDelta => Duration,
}

impl From<c::DateTime<c::Utc>> for Value {
    fn from(v: c::DateTime<c::Utc>) -> Value {
        DateTime::from(v).into()
    }
}

impl FromValue for c::DateTime<c::Utc> {
    /// From a `DateTime`, or a `DateTimeZoneId` that knows its instant.
    fn from_value(v: Value) -> Result<Self, Error> {
        match v {
            Value::DateTimeZoneId(z) => z.try_into(),
            v => DateTime::from_value(v).and_then(TryInto::try_into),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use c::{NaiveDate, TimeZone as _};

    #[test]
    fn round_trips() {
        let d = NaiveDate::from_ymd_opt(1815, 12, 10).unwrap();
        assert_eq!(Date::from(d).to_string(), "1815-12-10");
        assert_eq!(NaiveDate::try_from(Date::from(d)).unwrap(), d);
        assert!(NaiveDate::try_from(Date::from_days_since_epoch(i64::MAX)).is_err());

        let t = c::NaiveTime::from_hms_nano_opt(23, 59, 58, 7).unwrap();
        assert_eq!(c::NaiveTime::from(LocalTime::from(t)), t);

        let dt = d.and_time(t);
        assert_eq!(
            c::NaiveDateTime::try_from(LocalDateTime::from(dt)).unwrap(),
            dt
        );

        let off = c::FixedOffset::east_opt(-5 * 3600).unwrap();
        let fixed = off.with_ymd_and_hms(2024, 3, 1, 12, 0, 0).unwrap();
        let ours = DateTime::from(fixed);
        assert_eq!(ours.offset_seconds(), -18_000);
        assert_eq!(ours.to_string(), "2024-03-01T12:00:00-05:00");
        assert_eq!(
            c::DateTime::<c::FixedOffset>::try_from(ours).unwrap(),
            fixed
        );
        let utc = c::Utc.with_ymd_and_hms(2024, 3, 1, 17, 0, 0).unwrap();
        assert_eq!(c::DateTime::<c::Utc>::try_from(ours).unwrap(), utc);

        let td = c::TimeDelta::new(-5, 250).unwrap();
        assert_eq!(c::TimeDelta::try_from(Duration::from(td)).unwrap(), td);
        assert!(c::TimeDelta::try_from(Duration::new(1, 0, 0, 0)).is_err());

        let z = DateTimeZoneId::from_local(
            LocalDateTime::from_timestamp(0, 0).unwrap(),
            "Europe/Paris",
        );
        assert!(c::DateTime::<c::Utc>::from_value(z.into()).is_err());
    }
}
