//! Typed Bolt structures: graph entities, temporal and spatial values.
//!
//! Owns the conversion between `packstream::Structure` (tag + fields) and the
//! typed [`BoltStruct`], for the negotiated version. Must not know messages
//! or I/O. Which shape a structure has depends on the version (element ids
//! from 5.0) and on the date-time form (UTC from 5.0, or on 4.3–4.4 when the
//! server agreed to the `utc` patch): both are explicit in [`StructCtx`].
//!
//! Unknown tags are not an error: they come back as
//! [`BoltStruct::Unknown`] holding the raw structure.
//!
//! ```
//! use bolt_proto::structure::{BoltStruct, Point2D, StructCtx};
//! use bolt_proto::Version;
//! let ctx = StructCtx::new(Version::V5_0);
//! let p = BoltStruct::Point2D(Point2D { srid: 4326, x: 1.5, y: -2.0 });
//! let raw = p.to_structure(ctx).unwrap();
//! assert_eq!(raw.tag, 0x58);
//! assert_eq!(BoltStruct::from_structure(&raw, ctx).unwrap(), p);
//! ```

mod graph;
mod temporal;

pub use graph::{Node, Path, Relationship, RelationshipElementIds, UnboundRelationship};
pub use temporal::{
    Date, DateTime, DateTimeForm, DateTimeZoneId, Duration, LocalDateTime, LocalTime, Time,
};

use packstream::{Kind, Structure, Value};

use crate::Version;

/// Structure tags.
///
/// ```
/// assert_eq!(bolt_proto::structure::tag::NODE, b'N');
/// ```
pub mod tag {
    /// Node `N`.
    pub const NODE: u8 = 0x4E;
    /// Relationship `R`.
    pub const RELATIONSHIP: u8 = 0x52;
    /// UnboundRelationship `r`.
    pub const UNBOUND_RELATIONSHIP: u8 = 0x72;
    /// Path `P`.
    pub const PATH: u8 = 0x50;
    /// Date `D`.
    pub const DATE: u8 = 0x44;
    /// Time `T`.
    pub const TIME: u8 = 0x54;
    /// LocalTime `t`.
    pub const LOCAL_TIME: u8 = 0x74;
    /// DateTime, UTC form `I` (5.0+ or the `utc` patch).
    pub const DATE_TIME: u8 = 0x49;
    /// DateTime, legacy local-seconds form `F`.
    pub const LEGACY_DATE_TIME: u8 = 0x46;
    /// DateTimeZoneId, UTC form `i`.
    pub const DATE_TIME_ZONE_ID: u8 = 0x69;
    /// DateTimeZoneId, legacy form `f`.
    pub const LEGACY_DATE_TIME_ZONE_ID: u8 = 0x66;
    /// LocalDateTime `d`.
    pub const LOCAL_DATE_TIME: u8 = 0x64;
    /// Duration `E`.
    pub const DURATION: u8 = 0x45;
    /// Point2D `X`.
    pub const POINT_2D: u8 = 0x58;
    /// Point3D `Y`.
    pub const POINT_3D: u8 = 0x59;
}

/// What decides the shape of structures: the negotiated version and whether
/// the 4.3/4.4 `utc` patch was agreed in HELLO.
///
/// ```
/// use bolt_proto::structure::StructCtx;
/// use bolt_proto::Version;
/// assert!(!StructCtx::new(Version::V4_4).utc());
/// assert!(StructCtx::new(Version::V4_4).with_utc_patch(true).utc());
/// assert!(StructCtx::new(Version::V5_0).utc());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StructCtx {
    /// The negotiated version.
    pub version: Version,
    /// Whether the server agreed to `patch_bolt: ["utc"]` (4.3–4.4 only).
    pub utc_patch: bool,
}

impl StructCtx {
    /// The context for a version without patches.
    ///
    /// ```
    /// let c = bolt_proto::structure::StructCtx::new(bolt_proto::Version::V3_0);
    /// assert!(!c.utc_patch);
    /// ```
    pub fn new(version: Version) -> Self {
        StructCtx {
            version,
            utc_patch: false,
        }
    }

    /// Records whether the `utc` patch is in force.
    ///
    /// ```
    /// let c = bolt_proto::structure::StructCtx::new(bolt_proto::Version::V4_3).with_utc_patch(true);
    /// assert!(c.utc());
    /// ```
    pub fn with_utc_patch(self, utc_patch: bool) -> Self {
        StructCtx { utc_patch, ..self }
    }

    /// Whether date-times use the UTC form (0x49 / 0x69).
    ///
    /// ```
    /// assert!(!bolt_proto::structure::StructCtx::new(bolt_proto::Version::V2).utc());
    /// ```
    pub fn utc(self) -> bool {
        self.version.utc_datetimes_by_default()
            || (self.utc_patch && (Version::V4_3..=Version::V4_4).contains(&self.version))
    }

    /// Whether graph structures carry element ids (5.0+).
    ///
    /// ```
    /// assert!(bolt_proto::structure::StructCtx::new(bolt_proto::Version::V5_0).element_ids());
    /// ```
    pub fn element_ids(self) -> bool {
        self.version.has_element_ids()
    }

    /// Whether temporal and spatial structures exist (Bolt 2+).
    fn has_temporal(self) -> bool {
        self.version >= Version::V2
    }
}

/// A structure that is not what its tag promises for the context.
///
/// ```
/// use bolt_proto::structure::{BoltStruct, StructCtx, StructureError};
/// use packstream::Structure;
/// let bad = Structure { tag: 0x44, fields: vec!["x".into()] }; // Date with a string
/// let err = BoltStruct::from_structure(&bad, StructCtx::new(bolt_proto::Version::V4_4)).unwrap_err();
/// assert!(matches!(err, StructureError::FieldType { structure: "Date", .. }));
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum StructureError {
    /// Wrong number of fields for the tag and version.
    #[error("{structure} takes {expected} field(s) in Bolt {version}, got {found}")]
    FieldCount {
        /// Structure name.
        structure: &'static str,
        /// Expected count.
        expected: usize,
        /// Count found.
        found: usize,
        /// The version.
        version: Version,
    },
    /// A field of the wrong kind.
    #[error("{structure} field `{field}` must be {expected}, found {}", found.name())]
    FieldType {
        /// Structure name.
        structure: &'static str,
        /// Field name.
        field: &'static str,
        /// What was expected.
        expected: &'static str,
        /// What was found.
        found: Kind,
    },
    /// The structure cannot be written in this context (e.g. an element id
    /// before 5.0, a temporal value in Bolt 1).
    #[error("{structure} cannot be written for Bolt {version}: {reason}")]
    NotInVersion {
        /// Structure name.
        structure: &'static str,
        /// The version.
        version: Version,
        /// Why.
        reason: &'static str,
    },
    /// A value outside what the wire form can carry (e.g. seconds overflow
    /// when converting between date-time forms).
    #[error("{structure}: {reason}")]
    OutOfRange {
        /// Structure name.
        structure: &'static str,
        /// Why.
        reason: &'static str,
    },
}

/// A 2D point.
///
/// ```
/// let p = bolt_proto::structure::Point2D { srid: 7203, x: 1.0, y: 2.0 };
/// assert_eq!(p.srid, 7203);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point2D {
    /// Spatial reference id.
    pub srid: i64,
    /// X (or longitude).
    pub x: f64,
    /// Y (or latitude).
    pub y: f64,
}

/// A 3D point.
///
/// ```
/// let p = bolt_proto::structure::Point3D { srid: 9157, x: 1.0, y: 2.0, z: 3.0 };
/// assert_eq!(p.z, 3.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point3D {
    /// Spatial reference id.
    pub srid: i64,
    /// X.
    pub x: f64,
    /// Y.
    pub y: f64,
    /// Z.
    pub z: f64,
}

/// Every structure Bolt defines, typed; others stay raw.
///
/// ```
/// use bolt_proto::structure::{BoltStruct, Date, StructCtx};
/// let d = BoltStruct::Date(Date { days: 19000 });
/// assert_eq!(d.name(), "Date");
/// let ctx = StructCtx::new(bolt_proto::Version::V4_4);
/// assert_eq!(d.to_structure(ctx).unwrap().fields, vec![19000.into()]);
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum BoltStruct {
    /// Node.
    Node(Node),
    /// Relationship.
    Relationship(Relationship),
    /// Relationship inside a path.
    UnboundRelationship(UnboundRelationship),
    /// Path.
    Path(Path),
    /// Date.
    Date(Date),
    /// Time with offset.
    Time(Time),
    /// Local time.
    LocalTime(LocalTime),
    /// Date-time with offset.
    DateTime(DateTime),
    /// Date-time with zone id.
    DateTimeZoneId(DateTimeZoneId),
    /// Local date-time.
    LocalDateTime(LocalDateTime),
    /// Duration.
    Duration(Duration),
    /// 2D point.
    Point2D(Point2D),
    /// 3D point.
    Point3D(Point3D),
    /// A tag this crate does not model, untouched.
    Unknown(Structure),
}

/// Field access with errors naming the structure.
pub(crate) struct Fields<'a> {
    pub(crate) name: &'static str,
    pub(crate) fields: &'a [Value],
}

impl<'a> Fields<'a> {
    pub(crate) fn expect(
        name: &'static str,
        s: &'a Structure,
        expected: usize,
        version: Version,
    ) -> Result<Self, StructureError> {
        if s.fields.len() != expected {
            return Err(StructureError::FieldCount {
                structure: name,
                expected,
                found: s.fields.len(),
                version,
            });
        }
        Ok(Fields {
            name,
            fields: &s.fields,
        })
    }

    fn ty(&self, field: &'static str, expected: &'static str, v: &Value) -> StructureError {
        StructureError::FieldType {
            structure: self.name,
            field,
            expected,
            found: v.kind(),
        }
    }

    pub(crate) fn int(&self, i: usize, field: &'static str) -> Result<i64, StructureError> {
        let v = &self.fields[i];
        v.as_int().ok_or_else(|| self.ty(field, "integer", v))
    }

    pub(crate) fn float(&self, i: usize, field: &'static str) -> Result<f64, StructureError> {
        let v = &self.fields[i];
        v.as_float().ok_or_else(|| self.ty(field, "float", v))
    }

    pub(crate) fn string(&self, i: usize, field: &'static str) -> Result<String, StructureError> {
        let v = &self.fields[i];
        v.as_str()
            .map(str::to_owned)
            .ok_or_else(|| self.ty(field, "string", v))
    }

    pub(crate) fn map(
        &self,
        i: usize,
        field: &'static str,
    ) -> Result<packstream::Map, StructureError> {
        let v = &self.fields[i];
        v.as_map().cloned().ok_or_else(|| self.ty(field, "map", v))
    }

    pub(crate) fn list(
        &self,
        i: usize,
        field: &'static str,
    ) -> Result<&'a [Value], StructureError> {
        let v = &self.fields[i];
        v.as_list().ok_or_else(|| self.ty(field, "list", v))
    }

    pub(crate) fn str_list(
        &self,
        i: usize,
        field: &'static str,
    ) -> Result<Vec<String>, StructureError> {
        self.list(i, field)?
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| self.ty(field, "list of strings", v))
            })
            .collect()
    }

    pub(crate) fn int_list(
        &self,
        i: usize,
        field: &'static str,
    ) -> Result<Vec<i64>, StructureError> {
        self.list(i, field)?
            .iter()
            .map(|v| {
                v.as_int()
                    .ok_or_else(|| self.ty(field, "list of integers", v))
            })
            .collect()
    }
}

impl BoltStruct {
    /// The structure name ("Node", "DateTime", ... or "Unknown").
    ///
    /// ```
    /// use bolt_proto::structure::{BoltStruct, LocalTime};
    /// assert_eq!(BoltStruct::LocalTime(LocalTime { nanoseconds: 0 }).name(), "LocalTime");
    /// ```
    pub fn name(&self) -> &'static str {
        match self {
            BoltStruct::Node(_) => "Node",
            BoltStruct::Relationship(_) => "Relationship",
            BoltStruct::UnboundRelationship(_) => "UnboundRelationship",
            BoltStruct::Path(_) => "Path",
            BoltStruct::Date(_) => "Date",
            BoltStruct::Time(_) => "Time",
            BoltStruct::LocalTime(_) => "LocalTime",
            BoltStruct::DateTime(_) => "DateTime",
            BoltStruct::DateTimeZoneId(_) => "DateTimeZoneId",
            BoltStruct::LocalDateTime(_) => "LocalDateTime",
            BoltStruct::Duration(_) => "Duration",
            BoltStruct::Point2D(_) => "Point2D",
            BoltStruct::Point3D(_) => "Point3D",
            BoltStruct::Unknown(_) => "Unknown",
        }
    }

    /// Interprets a raw structure for the context. Tags the context does not
    /// define (including a legacy date-time tag under UTC, and vice versa, and
    /// temporal tags in Bolt 1) come back as [`BoltStruct::Unknown`].
    ///
    /// ```
    /// use bolt_proto::structure::{BoltStruct, StructCtx};
    /// use packstream::Structure;
    /// let ctx = StructCtx::new(bolt_proto::Version::V5_0);
    /// let raw = Structure { tag: 0x7A, fields: vec![] };
    /// assert_eq!(BoltStruct::from_structure(&raw, ctx).unwrap(), BoltStruct::Unknown(raw));
    /// ```
    pub fn from_structure(s: &Structure, ctx: StructCtx) -> Result<BoltStruct, StructureError> {
        let v = ctx.version;
        let utc = ctx.utc();
        let temporal = ctx.has_temporal();
        Ok(match s.tag {
            tag::NODE => BoltStruct::Node(Node::from_structure(s, ctx)?),
            tag::RELATIONSHIP => BoltStruct::Relationship(Relationship::from_structure(s, ctx)?),
            tag::UNBOUND_RELATIONSHIP => {
                BoltStruct::UnboundRelationship(UnboundRelationship::from_structure(s, ctx)?)
            }
            tag::PATH => BoltStruct::Path(Path::from_structure(s, ctx)?),
            tag::DATE if temporal => {
                let f = Fields::expect("Date", s, 1, v)?;
                BoltStruct::Date(Date {
                    days: f.int(0, "days")?,
                })
            }
            tag::TIME if temporal => {
                let f = Fields::expect("Time", s, 2, v)?;
                BoltStruct::Time(Time {
                    nanoseconds: f.int(0, "nanoseconds")?,
                    tz_offset_seconds: f.int(1, "tz_offset_seconds")?,
                })
            }
            tag::LOCAL_TIME if temporal => {
                let f = Fields::expect("LocalTime", s, 1, v)?;
                BoltStruct::LocalTime(LocalTime {
                    nanoseconds: f.int(0, "nanoseconds")?,
                })
            }
            tag::DATE_TIME if temporal && utc => {
                BoltStruct::DateTime(DateTime::from_fields(s, v, DateTimeForm::Utc)?)
            }
            tag::LEGACY_DATE_TIME if temporal && !utc => {
                BoltStruct::DateTime(DateTime::from_fields(s, v, DateTimeForm::Local)?)
            }
            tag::DATE_TIME_ZONE_ID if temporal && utc => {
                BoltStruct::DateTimeZoneId(DateTimeZoneId::from_fields(s, v, DateTimeForm::Utc)?)
            }
            tag::LEGACY_DATE_TIME_ZONE_ID if temporal && !utc => {
                BoltStruct::DateTimeZoneId(DateTimeZoneId::from_fields(s, v, DateTimeForm::Local)?)
            }
            tag::LOCAL_DATE_TIME if temporal => {
                let f = Fields::expect("LocalDateTime", s, 2, v)?;
                BoltStruct::LocalDateTime(LocalDateTime {
                    seconds: f.int(0, "seconds")?,
                    nanoseconds: f.int(1, "nanoseconds")?,
                })
            }
            tag::DURATION if temporal => {
                let f = Fields::expect("Duration", s, 4, v)?;
                BoltStruct::Duration(Duration {
                    months: f.int(0, "months")?,
                    days: f.int(1, "days")?,
                    seconds: f.int(2, "seconds")?,
                    nanoseconds: f.int(3, "nanoseconds")?,
                })
            }
            tag::POINT_2D if temporal => {
                let f = Fields::expect("Point2D", s, 3, v)?;
                BoltStruct::Point2D(Point2D {
                    srid: f.int(0, "srid")?,
                    x: f.float(1, "x")?,
                    y: f.float(2, "y")?,
                })
            }
            tag::POINT_3D if temporal => {
                let f = Fields::expect("Point3D", s, 4, v)?;
                BoltStruct::Point3D(Point3D {
                    srid: f.int(0, "srid")?,
                    x: f.float(1, "x")?,
                    y: f.float(2, "y")?,
                    z: f.float(3, "z")?,
                })
            }
            _ => BoltStruct::Unknown(s.clone()),
        })
    }

    /// Interprets a value: `Some` for a structure, `None` for anything else.
    ///
    /// ```
    /// use bolt_proto::structure::{BoltStruct, StructCtx};
    /// let ctx = StructCtx::new(bolt_proto::Version::V5_0);
    /// assert_eq!(BoltStruct::from_value(&1.into(), ctx).unwrap(), None);
    /// ```
    pub fn from_value(v: &Value, ctx: StructCtx) -> Result<Option<BoltStruct>, StructureError> {
        match v {
            Value::Structure(s) => BoltStruct::from_structure(s, ctx).map(Some),
            _ => Ok(None),
        }
    }

    /// The raw structure for the context.
    ///
    /// ```
    /// use bolt_proto::structure::{BoltStruct, DateTime, StructCtx};
    /// use bolt_proto::Version;
    /// let dt = BoltStruct::DateTime(DateTime { seconds: 0, nanoseconds: 0, tz_offset_seconds: 3600 });
    /// // Legacy form: local seconds (UTC + offset) under tag 0x46.
    /// let legacy = dt.to_structure(StructCtx::new(Version::V4_4)).unwrap();
    /// assert_eq!((legacy.tag, legacy.fields[0].as_int()), (0x46, Some(3600)));
    /// let utc = dt.to_structure(StructCtx::new(Version::V5_0)).unwrap();
    /// assert_eq!((utc.tag, utc.fields[0].as_int()), (0x49, Some(0)));
    /// ```
    pub fn to_structure(&self, ctx: StructCtx) -> Result<Structure, StructureError> {
        if !ctx.has_temporal()
            && !matches!(
                self,
                BoltStruct::Node(_)
                    | BoltStruct::Relationship(_)
                    | BoltStruct::UnboundRelationship(_)
                    | BoltStruct::Path(_)
                    | BoltStruct::Unknown(_)
            )
        {
            return Err(StructureError::NotInVersion {
                structure: self.name(),
                version: ctx.version,
                reason: "temporal and spatial types need Bolt 2",
            });
        }
        Ok(match self {
            BoltStruct::Node(n) => n.to_structure(ctx)?,
            BoltStruct::Relationship(r) => r.to_structure(ctx)?,
            BoltStruct::UnboundRelationship(r) => r.to_structure(ctx)?,
            BoltStruct::Path(p) => p.to_structure(ctx)?,
            BoltStruct::Date(d) => Structure::new(tag::DATE, vec![d.days.into()]),
            BoltStruct::Time(t) => Structure::new(
                tag::TIME,
                vec![t.nanoseconds.into(), t.tz_offset_seconds.into()],
            ),
            BoltStruct::LocalTime(t) => Structure::new(tag::LOCAL_TIME, vec![t.nanoseconds.into()]),
            BoltStruct::DateTime(dt) => dt.to_structure(ctx)?,
            BoltStruct::DateTimeZoneId(dt) => dt.to_structure(ctx)?,
            BoltStruct::LocalDateTime(dt) => Structure::new(
                tag::LOCAL_DATE_TIME,
                vec![dt.seconds.into(), dt.nanoseconds.into()],
            ),
            BoltStruct::Duration(d) => Structure::new(
                tag::DURATION,
                vec![
                    d.months.into(),
                    d.days.into(),
                    d.seconds.into(),
                    d.nanoseconds.into(),
                ],
            ),
            BoltStruct::Point2D(p) => {
                Structure::new(tag::POINT_2D, vec![p.srid.into(), p.x.into(), p.y.into()])
            }
            BoltStruct::Point3D(p) => Structure::new(
                tag::POINT_3D,
                vec![p.srid.into(), p.x.into(), p.y.into(), p.z.into()],
            ),
            BoltStruct::Unknown(s) => s.clone(),
        })
    }

    /// The raw structure as a value.
    ///
    /// ```
    /// use bolt_proto::structure::{BoltStruct, Date, StructCtx};
    /// let v = BoltStruct::Date(Date { days: 1 }).to_value(StructCtx::new(bolt_proto::Version::V2)).unwrap();
    /// assert!(v.as_structure().is_some());
    /// ```
    pub fn to_value(&self, ctx: StructCtx) -> Result<Value, StructureError> {
        self.to_structure(ctx).map(Value::Structure)
    }
}
