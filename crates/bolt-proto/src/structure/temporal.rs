//! Temporal structures: Date, Time, LocalTime, DateTime, DateTimeZoneId,
//! LocalDateTime, Duration, and the two date-time forms.
//!
//! Owns their field layouts and the conversion between the legacy
//! local-seconds form and the UTC form. Must not use a time-zone database:
//! zone-id date-times keep the form they were read in.

use packstream::{Structure, Value};

use super::{tag, Fields, StructCtx, StructureError};
use crate::Version;

/// A date: days since 1970-01-01.
///
/// ```
/// assert_eq!(bolt_proto::structure::Date { days: -1 }.days, -1);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Date {
    /// Days since the Unix epoch.
    pub days: i64,
}

/// A time of day with a UTC offset.
///
/// ```
/// let t = bolt_proto::structure::Time { nanoseconds: 1, tz_offset_seconds: -3600 };
/// assert_eq!(t.tz_offset_seconds, -3600);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Time {
    /// Nanoseconds since midnight (local).
    pub nanoseconds: i64,
    /// Offset from UTC in seconds.
    pub tz_offset_seconds: i64,
}

/// A time of day without zone.
///
/// ```
/// assert_eq!(bolt_proto::structure::LocalTime { nanoseconds: 5 }.nanoseconds, 5);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LocalTime {
    /// Nanoseconds since midnight.
    pub nanoseconds: i64,
}

/// A date-time without zone.
///
/// ```
/// let d = bolt_proto::structure::LocalDateTime { seconds: 0, nanoseconds: 0 };
/// assert_eq!(d.seconds, 0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LocalDateTime {
    /// Seconds since the epoch, as if local time were UTC.
    pub seconds: i64,
    /// Nanoseconds within the second.
    pub nanoseconds: i64,
}

/// A duration.
///
/// ```
/// let d = bolt_proto::structure::Duration { months: 1, days: 2, seconds: 3, nanoseconds: 4 };
/// assert_eq!(d.days, 2);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Duration {
    /// Months.
    pub months: i64,
    /// Days.
    pub days: i64,
    /// Seconds.
    pub seconds: i64,
    /// Nanoseconds.
    pub nanoseconds: i64,
}

/// How a date-time's `seconds` travel on the wire.
///
/// ```
/// use bolt_proto::structure::{DateTimeForm, StructCtx};
/// assert_eq!(DateTimeForm::of(StructCtx::new(bolt_proto::Version::V5_0)), DateTimeForm::Utc);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DateTimeForm {
    /// Seconds since the epoch in UTC (tags 0x49 / 0x69; 5.0+ or the `utc` patch).
    Utc,
    /// Seconds since the epoch of the local wall-clock time (tags 0x46 / 0x66).
    Local,
}

impl DateTimeForm {
    /// The form a context uses.
    ///
    /// ```
    /// use bolt_proto::structure::{DateTimeForm, StructCtx};
    /// assert_eq!(DateTimeForm::of(StructCtx::new(bolt_proto::Version::V4_4)), DateTimeForm::Local);
    /// ```
    pub fn of(ctx: StructCtx) -> DateTimeForm {
        if ctx.utc() {
            DateTimeForm::Utc
        } else {
            DateTimeForm::Local
        }
    }
}

/// A date-time with a fixed UTC offset. `seconds` are always UTC; the legacy
/// wire form (local seconds) is converted using the offset, which is exact.
///
/// ```
/// use bolt_proto::structure::{DateTime, StructCtx};
/// let dt = DateTime { seconds: 1_000, nanoseconds: 5, tz_offset_seconds: -60 };
/// let legacy = dt.to_structure(StructCtx::new(bolt_proto::Version::V3_0)).unwrap();
/// assert_eq!(legacy.fields[0].as_int(), Some(940));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DateTime {
    /// Seconds since the epoch, UTC.
    pub seconds: i64,
    /// Nanoseconds within the second.
    pub nanoseconds: i64,
    /// Offset from UTC in seconds.
    pub tz_offset_seconds: i64,
}

const OVERFLOW: &str = "seconds overflow when applying the UTC offset";

impl DateTime {
    pub(crate) fn from_fields(
        s: &Structure,
        v: Version,
        form: DateTimeForm,
    ) -> Result<DateTime, StructureError> {
        let f = Fields::expect("DateTime", s, 3, v)?;
        let secs = f.int(0, "seconds")?;
        let nanoseconds = f.int(1, "nanoseconds")?;
        let tz_offset_seconds = f.int(2, "tz_offset_seconds")?;
        let seconds = match form {
            DateTimeForm::Utc => secs,
            DateTimeForm::Local => {
                secs.checked_sub(tz_offset_seconds)
                    .ok_or(StructureError::OutOfRange {
                        structure: "DateTime",
                        reason: OVERFLOW,
                    })?
            }
        };
        Ok(DateTime {
            seconds,
            nanoseconds,
            tz_offset_seconds,
        })
    }

    /// Writes the date-time in the context's form.
    ///
    /// ```
    /// use bolt_proto::structure::{DateTime, StructCtx};
    /// let dt = DateTime { seconds: i64::MAX, nanoseconds: 0, tz_offset_seconds: 1 };
    /// assert!(dt.to_structure(StructCtx::new(bolt_proto::Version::V4_0)).is_err());
    /// ```
    pub fn to_structure(&self, ctx: StructCtx) -> Result<Structure, StructureError> {
        let (t, secs) = match DateTimeForm::of(ctx) {
            DateTimeForm::Utc => (tag::DATE_TIME, self.seconds),
            DateTimeForm::Local => (
                tag::LEGACY_DATE_TIME,
                self.seconds.checked_add(self.tz_offset_seconds).ok_or(
                    StructureError::OutOfRange {
                        structure: "DateTime",
                        reason: OVERFLOW,
                    },
                )?,
            ),
        };
        Ok(Structure::new(
            t,
            vec![
                secs.into(),
                self.nanoseconds.into(),
                self.tz_offset_seconds.into(),
            ],
        ))
    }
}

/// A date-time in a named zone. Converting between the two wire forms needs
/// a time-zone database, so the value keeps its [`DateTimeForm`] and writing
/// it in the other form is an error.
///
/// ```
/// use bolt_proto::structure::{DateTimeForm, DateTimeZoneId, StructCtx};
/// use bolt_proto::Version;
/// let dt = DateTimeZoneId { seconds: 0, nanoseconds: 0, tz_id: "Europe/Paris".into(), form: DateTimeForm::Utc };
/// assert_eq!(dt.to_structure(StructCtx::new(Version::V5_0)).unwrap().tag, 0x69);
/// assert!(dt.to_structure(StructCtx::new(Version::V4_4)).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DateTimeZoneId {
    /// Seconds since the epoch: UTC or local wall-clock, per `form`.
    pub seconds: i64,
    /// Nanoseconds within the second.
    pub nanoseconds: i64,
    /// IANA zone id.
    pub tz_id: String,
    /// What `seconds` count.
    pub form: DateTimeForm,
}

impl DateTimeZoneId {
    pub(crate) fn from_fields(
        s: &Structure,
        v: Version,
        form: DateTimeForm,
    ) -> Result<DateTimeZoneId, StructureError> {
        let f = Fields::expect("DateTimeZoneId", s, 3, v)?;
        Ok(DateTimeZoneId {
            seconds: f.int(0, "seconds")?,
            nanoseconds: f.int(1, "nanoseconds")?,
            tz_id: f.string(2, "tz_id")?,
            form,
        })
    }

    /// Writes the date-time if its form is the context's.
    ///
    /// ```
    /// use bolt_proto::structure::{DateTimeForm, DateTimeZoneId, StructCtx};
    /// let dt = DateTimeZoneId { seconds: 0, nanoseconds: 0, tz_id: "UTC".into(), form: DateTimeForm::Local };
    /// assert_eq!(dt.to_structure(StructCtx::new(bolt_proto::Version::V4_4)).unwrap().tag, 0x66);
    /// ```
    pub fn to_structure(&self, ctx: StructCtx) -> Result<Structure, StructureError> {
        let t = match (DateTimeForm::of(ctx), self.form) {
            (DateTimeForm::Utc, DateTimeForm::Utc) => tag::DATE_TIME_ZONE_ID,
            (DateTimeForm::Local, DateTimeForm::Local) => tag::LEGACY_DATE_TIME_ZONE_ID,
            _ => {
                return Err(StructureError::NotInVersion {
                    structure: "DateTimeZoneId",
                    version: ctx.version,
                    reason: "the value is in the other date-time form; converting needs a time-zone database",
                })
            }
        };
        Ok(Structure::new(
            t,
            vec![
                self.seconds.into(),
                self.nanoseconds.into(),
                Value::String(self.tz_id.clone()),
            ],
        ))
    }
}
