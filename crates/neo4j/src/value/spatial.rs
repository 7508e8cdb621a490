//! Spatial values: [`Point2D`] and [`Point3D`].
//!
//! Plain data; the coordinate reference system is the `srid`.

/// A 2D point in a coordinate reference system (`srid`: 7203 Cartesian,
/// 4326 WGS-84).
///
/// ```
/// let p = neo4j::Point2D { srid: 4326, x: 12.5, y: 55.7 };
/// assert_eq!(neo4j::Value::from(p).type_name(), "Point2D");
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

/// A 3D point (`srid`: 9157 Cartesian, 4979 WGS-84).
///
/// ```
/// let p = neo4j::Point3D { srid: 9157, x: 1.0, y: 2.0, z: 3.0 };
/// assert_eq!(p.z, 3.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point3D {
    /// Spatial reference id.
    pub srid: i64,
    /// X (or longitude).
    pub x: f64,
    /// Y (or latitude).
    pub y: f64,
    /// Z (or height).
    pub z: f64,
}
