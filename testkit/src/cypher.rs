//! Cypher values between TestKit's JSON (`nutkit/protocol/cypher.py`) and
//! the facade's [`Value`].
//!
//! Owns both directions: parameters TestKit sends become [`Value`]s;
//! record values the driver returns become `{"name": "Cypher...", "data"}`
//! objects. Zoned date-times are reported as wall clock plus offset, which
//! needs the time-zone database (chrono-tz).

use std::str::FromStr;

use chrono::{Datelike, NaiveDateTime, Offset, TimeZone};
use neo4j::{
    Date, DateTime, DateTimeZoneId, Duration, LocalDateTime, LocalTime, Node, Path, Point2D,
    Point3D, Relationship, Time, Value, ValueMap,
};
use serde_json::{json, Map, Value as Json};

/// A Cypher value TestKit sent that cannot be turned into a [`Value`].
pub(crate) type ConvError = String;

fn field<'a>(data: &'a Json, key: &str) -> Result<&'a Json, ConvError> {
    data.get(key)
        .ok_or_else(|| format!("missing `{key}` in {data}"))
}

fn int(data: &Json, key: &str) -> Result<i64, ConvError> {
    let v = field(data, key)?;
    v.as_i64()
        .ok_or_else(|| format!("`{key}` is not an integer: {v}"))
}

fn opt_int(data: &Json, key: &str) -> Result<Option<i64>, ConvError> {
    match data.get(key) {
        None | Some(Json::Null) => Ok(None),
        Some(_) => int(data, key).map(Some),
    }
}

fn u32_of(data: &Json, key: &str) -> Result<u32, ConvError> {
    let i = int(data, key)?;
    u32::try_from(i).map_err(|_| format!("`{key}` out of range: {i}"))
}

fn float(v: &Json) -> Result<f64, ConvError> {
    match v {
        Json::Number(n) => n.as_f64().ok_or_else(|| format!("not a float: {n}")),
        Json::String(s) => match s.as_str() {
            "NaN" => Ok(f64::NAN),
            "+Infinity" | "Infinity" => Ok(f64::INFINITY),
            "-Infinity" => Ok(f64::NEG_INFINITY),
            _ => Err(format!("not a float: {s:?}")),
        },
        _ => Err(format!("not a float: {v}")),
    }
}

/// Converts a map of Cypher values (query parameters, tx metadata).
pub(crate) fn to_value_map(map: &Map<String, Json>) -> Result<ValueMap, ConvError> {
    let mut out = ValueMap::with_capacity(map.len());
    for (k, v) in map {
        out.insert(k.clone(), to_value(v)?);
    }
    Ok(out)
}

/// Converts one TestKit Cypher value.
pub(crate) fn to_value(j: &Json) -> Result<Value, ConvError> {
    let name = j
        .get("name")
        .and_then(Json::as_str)
        .ok_or_else(|| format!("not a Cypher value: {j}"))?;
    let data = j.get("data").unwrap_or(&Json::Null);
    let value = || field(data, "value");
    Ok(match name {
        "CypherNull" => Value::Null,
        "CypherBool" => Value::Boolean(
            value()?
                .as_bool()
                .ok_or_else(|| format!("not a bool: {data}"))?,
        ),
        "CypherInt" => Value::Integer(int(data, "value")?),
        "CypherFloat" => Value::Float(float(value()?)?),
        "CypherString" => Value::String(
            value()?
                .as_str()
                .ok_or_else(|| format!("not a string: {data}"))?
                .to_owned(),
        ),
        "CypherBytes" => {
            let s = value()?
                .as_str()
                .ok_or_else(|| format!("bytes are not a string: {data}"))?;
            let bytes = s
                .split_whitespace()
                .map(|b| u8::from_str_radix(b, 16).map_err(|_| format!("bad byte `{b}`")))
                .collect::<Result<Vec<u8>, _>>()?;
            Value::Bytes(bytes)
        }
        "CypherList" => Value::List(
            value()?
                .as_array()
                .ok_or_else(|| format!("not a list: {data}"))?
                .iter()
                .map(to_value)
                .collect::<Result<_, _>>()?,
        ),
        "CypherMap" => Value::Map(to_value_map(
            value()?
                .as_object()
                .ok_or_else(|| format!("not a map: {data}"))?,
        )?),
        "CypherPoint" => {
            let system = field(data, "system")?.as_str().unwrap_or_default();
            let x = float(field(data, "x")?)?;
            let y = float(field(data, "y")?)?;
            let z = match data.get("z") {
                None | Some(Json::Null) => None,
                Some(z) => Some(float(z)?),
            };
            let (srid2, srid3) = match system {
                "cartesian" => (7203, 9157),
                "wgs84" => (4326, 4979),
                s => return Err(format!("unknown point system `{s}`")),
            };
            match z {
                None => Value::Point2D(Point2D { srid: srid2, x, y }),
                Some(z) => Value::Point3D(Point3D {
                    srid: srid3,
                    x,
                    y,
                    z,
                }),
            }
        }
        "CypherDate" => Value::Date(date(data)?),
        "CypherTime" => {
            let t = local_time(data)?;
            match opt_int(data, "utc_offset_s")? {
                None => Value::LocalTime(t),
                Some(off) => Value::Time(
                    i32::try_from(off)
                        .ok()
                        .and_then(|o| Time::new(t, o))
                        .ok_or_else(|| format!("bad offset {off}"))?,
                ),
            }
        }
        "CypherDateTime" => {
            let local = LocalDateTime::new(date(data)?, local_time(data)?);
            let offset = opt_int(data, "utc_offset_s")?;
            let zone = data.get("timezone_id").and_then(Json::as_str);
            match (offset, zone) {
                (None, None) => Value::LocalDateTime(local),
                (Some(off), None) => Value::DateTime(
                    i32::try_from(off)
                        .ok()
                        .and_then(|o| DateTime::from_local(local, o))
                        .ok_or_else(|| format!("bad offset {off}"))?,
                ),
                // Wall clock, offset and zone: sendable to any server.
                (Some(off), Some(zone)) => {
                    let off = wall_offset(zone, local.seconds_since_epoch(), off);
                    Value::DateTimeZoneId(
                        i32::try_from(off)
                            .ok()
                            .and_then(|o| DateTimeZoneId::new(local, o, zone))
                            .ok_or_else(|| format!("bad offset {off}"))?,
                    )
                }
                (None, Some(zone)) => {
                    Value::DateTimeZoneId(DateTimeZoneId::from_local(local, zone))
                }
            }
        }
        "CypherDuration" => Value::Duration(Duration::new(
            int(data, "months")?,
            int(data, "days")?,
            int(data, "seconds")?,
            int(data, "nanoseconds")?,
        )),
        other => return Err(format!("cannot send a `{other}` as a parameter")),
    })
}

fn date(data: &Json) -> Result<Date, ConvError> {
    Date::from_ymd(
        int(data, "year")?,
        u32_of(data, "month")?,
        u32_of(data, "day")?,
    )
    .ok_or_else(|| format!("invalid date {data}"))
}

fn local_time(data: &Json) -> Result<LocalTime, ConvError> {
    LocalTime::from_hms_nano(
        u32_of(data, "hour")?,
        u32_of(data, "minute")?,
        u32_of(data, "second")?,
        u32_of(data, "nanosecond")?,
    )
    .ok_or_else(|| format!("invalid time {data}"))
}

fn tagged(name: &str, data: Json) -> Json {
    json!({"name": name, "data": data})
}

fn cy_int(i: i64) -> Json {
    tagged("CypherInt", json!({ "value": i }))
}

fn cy_str(s: &str) -> Json {
    tagged("CypherString", json!({ "value": s }))
}

fn cy_float(f: f64) -> Json {
    let v = if f.is_nan() {
        json!("NaN")
    } else if f.is_infinite() {
        json!(if f > 0.0 { "+Infinity" } else { "-Infinity" })
    } else {
        json!(f)
    };
    tagged("CypherFloat", json!({ "value": v }))
}

fn cy_map(m: &ValueMap) -> Json {
    let obj: Map<String, Json> = m
        .iter()
        .map(|(k, v)| (k.to_owned(), from_value(v)))
        .collect();
    tagged("CypherMap", json!({ "value": obj }))
}

fn node(n: &Node) -> Json {
    tagged(
        "Node",
        json!({
            "id": cy_int(n.id()),
            "labels": tagged("CypherList", json!({"value": n.labels().iter().map(|l| cy_str(l)).collect::<Vec<_>>()})),
            "props": cy_map(n.properties()),
            "elementId": cy_str(n.element_id()),
        }),
    )
}

fn relationship(r: &Relationship) -> Json {
    tagged(
        "Relationship",
        json!({
            "id": cy_int(r.id()),
            "startNodeId": cy_int(r.start_node_id()),
            "endNodeId": cy_int(r.end_node_id()),
            "type": cy_str(r.rel_type()),
            "props": cy_map(r.properties()),
            "elementId": cy_str(r.element_id()),
            "startNodeElementId": cy_str(r.start_node_element_id()),
            "endNodeElementId": cy_str(r.end_node_element_id()),
        }),
    )
}

fn path(p: &Path) -> Json {
    tagged(
        "Path",
        json!({
            "nodes": tagged("CypherList", json!({"value": p.nodes().iter().map(node).collect::<Vec<_>>()})),
            "relationships": tagged("CypherList", json!({"value": p.relationships().iter().map(relationship).collect::<Vec<_>>()})),
        }),
    )
}

fn date_fields(d: Date, obj: &mut Map<String, Json>) {
    let (y, m, day) = d.year_month_day();
    obj.insert("year".into(), json!(y));
    obj.insert("month".into(), json!(m));
    obj.insert("day".into(), json!(day));
}

fn time_fields(t: LocalTime, obj: &mut Map<String, Json>) {
    obj.insert("hour".into(), json!(t.hour()));
    obj.insert("minute".into(), json!(t.minute()));
    obj.insert("second".into(), json!(t.second()));
    obj.insert("nanosecond".into(), json!(t.nanosecond()));
}

fn date_time(local: LocalDateTime, offset: Option<i64>, zone: Option<&str>) -> Json {
    let mut obj = Map::new();
    date_fields(local.date(), &mut obj);
    time_fields(local.time(), &mut obj);
    if let Some(o) = offset {
        obj.insert("utc_offset_s".into(), json!(o));
    }
    if let Some(z) = zone {
        obj.insert("timezone_id".into(), json!(z));
    }
    tagged("CypherDateTime", Json::Object(obj))
}

/// The offset of a wall-clock time (`seconds` as if UTC) in `zone` by the
/// time-zone database, which TestKit's `utc_offset_s` (`given`, from
/// Python's pytz) only approximates: pytz rounds local mean time (every
/// zone before its first standard time, e.g. Africa/Abidjan's -0:16:08)
/// to whole minutes, the server does not. `given` picks between the two
/// offsets of an ambiguous wall time, and stands for a time in a gap or
/// in a zone the database does not know.
fn wall_offset(zone: &str, seconds: i64, given: i64) -> i64 {
    let Ok(tz) = chrono_tz::Tz::from_str(zone) else {
        return given;
    };
    let Some(naive) = chrono::DateTime::from_timestamp(seconds, 0).map(|d| d.naive_utc()) else {
        return given;
    };
    let offsets: Vec<i64> = match tz.offset_from_local_datetime(&naive) {
        chrono::LocalResult::Single(o) => vec![o.fix().local_minus_utc().into()],
        chrono::LocalResult::Ambiguous(a, b) => vec![
            a.fix().local_minus_utc().into(),
            b.fix().local_minus_utc().into(),
        ],
        chrono::LocalResult::None => return given,
    };
    offsets
        .into_iter()
        .min_by_key(|o| (o - given).abs())
        .unwrap_or(given)
}

/// For a zoned `CypherDateTime` TestKit sent (its JSON): the zone, the
/// offset TestKit gives and the time-zone database's offset for that wall
/// clock, when the two differ (see [`wall_offset`]); `None` otherwise.
pub(crate) fn offset_disagreement(dt: &Json) -> Option<(String, i64, i64)> {
    if dt.get("name")?.as_str()? != "CypherDateTime" {
        return None;
    }
    let data = dt.get("data")?;
    let zone = data.get("timezone_id")?.as_str()?;
    let given = data.get("utc_offset_s")?.as_i64()?;
    let local = LocalDateTime::new(date(data).ok()?, local_time(data).ok()?);
    let exact = wall_offset(zone, local.seconds_since_epoch(), given);
    (exact != given).then(|| (zone.to_owned(), given, exact))
}

/// The SystemV zones, which Java's time-zone data (the server's) still
/// has and the IANA database (chrono-tz) dropped in 2020b: standard
/// offset in hours, and whether the zone keeps the SystemV daylight rule.
fn systemv(zone: &str) -> Option<(i64, bool)> {
    let name = zone.strip_prefix("SystemV/")?;
    Some(match name {
        "AST4" => (-4, false),
        "AST4ADT" => (-4, true),
        "EST5" => (-5, false),
        "EST5EDT" => (-5, true),
        "CST6" => (-6, false),
        "CST6CDT" => (-6, true),
        "MST7" => (-7, false),
        "MST7MDT" => (-7, true),
        "PST8" => (-8, false),
        "PST8PDT" => (-8, true),
        "YST9" => (-9, false),
        "YST9YDT" => (-9, true),
        "HST10" => (-10, false),
        _ => return None,
    })
}

/// The SystemV daylight rule (tzdata's old `systemv` file, kept by Java):
/// +1 h from the last Sunday of April (1974: 6 January; 1975: 23
/// February) to the last Sunday of October (1974: of November), at 02:00
/// wall clock. The instants (UTC seconds) of both changes in `year`.
fn systemv_dst(year: i32, std: i64) -> Option<(i64, i64)> {
    use chrono::{NaiveDate, Weekday};
    let last_sunday = |month: u32| -> Option<NaiveDate> {
        let next = if month == 12 {
            NaiveDate::from_ymd_opt(year + 1, 1, 1)?
        } else {
            NaiveDate::from_ymd_opt(year, month + 1, 1)?
        };
        let mut d = next.pred_opt()?;
        while d.weekday() != Weekday::Sun {
            d = d.pred_opt()?;
        }
        Some(d)
    };
    let (start, end) = match year {
        1974 => (NaiveDate::from_ymd_opt(1974, 1, 6)?, last_sunday(11)?),
        1975 => (NaiveDate::from_ymd_opt(1975, 2, 23)?, last_sunday(10)?),
        _ => (last_sunday(4)?, last_sunday(10)?),
    };
    let at_two = |d: NaiveDate| d.and_hms_opt(2, 0, 0).map(|t| t.and_utc().timestamp());
    Some((at_two(start)? - std, at_two(end)? - (std + 3600)))
}

/// The offset of a SystemV zone at an instant, or at a wall-clock time
/// (the earlier instant when ambiguous, standard time in the gap).
fn systemv_offset(hours: i64, dst: bool, seconds: i64, utc: bool) -> Option<i64> {
    let std = hours * 3600;
    if !dst {
        return Some(std);
    }
    let at_instant = |t: i64| -> Option<i64> {
        let year = chrono::DateTime::from_timestamp(t + std, 0)?.year();
        let (start, end) = systemv_dst(year, std)?;
        Some(if (start..end).contains(&t) {
            std + 3600
        } else {
            std
        })
    };
    if utc {
        return at_instant(seconds);
    }
    for candidate in [std + 3600, std] {
        if at_instant(seconds - candidate)? == candidate {
            return Some(candidate);
        }
    }
    Some(std)
}

/// The UTC offset of `zone` at an instant (`utc` true) or at a wall-clock
/// time (`utc` false; the earlier one when ambiguous).
fn zone_offset(zone: &str, seconds: i64, utc: bool) -> Result<i64, String> {
    if let Some((hours, dst)) = systemv(zone) {
        return systemv_offset(hours, dst, seconds, utc)
            .ok_or_else(|| format!("date-time out of range in zone {zone}"));
    }
    if let Ok(tz) = chrono_tz::Tz::from_str(zone) {
        let naive = chrono::DateTime::from_timestamp(seconds, 0)
            .map(|d| d.naive_utc())
            .ok_or_else(|| format!("date-time out of range in zone {zone}"))?;
        let off = if utc {
            tz.offset_from_utc_datetime(&naive).fix()
        } else {
            tz.offset_from_local_datetime(&naive)
                .earliest()
                .or_else(|| {
                    // In a gap: use the offset before it.
                    let before: NaiveDateTime = naive - chrono::Duration::hours(3);
                    tz.offset_from_local_datetime(&before).earliest()
                })
                .ok_or_else(|| format!("no offset for {naive} in {zone}"))?
                .fix()
        };
        return Ok(i64::from(off.local_minus_utc()));
    }
    chrono::FixedOffset::from_str(zone)
        .map(|o| i64::from(o.local_minus_utc()))
        .map_err(|_| format!("unknown time zone `{zone}`"))
}

/// Fails for a zoned date-time (also inside lists and maps) whose zone
/// neither the time-zone database nor a fixed offset explains.
pub(crate) fn check_zones(v: &Value) -> Result<(), String> {
    match v {
        Value::DateTimeZoneId(z) => {
            let seconds = z
                .timestamp()
                .or_else(|| z.local().map(|l| l.seconds_since_epoch()))
                .unwrap_or(0);
            zone_offset(z.zone_id(), seconds, z.timestamp().is_some()).map(|_| ())
        }
        Value::List(l) => l.iter().try_for_each(check_zones),
        Value::Map(m) => m.iter().try_for_each(|(_, v)| check_zones(v)),
        _ => Ok(()),
    }
}

/// Converts a value returned by the driver to TestKit's JSON.
pub(crate) fn from_value(v: &Value) -> Json {
    match v {
        Value::Null => tagged("CypherNull", json!({ "value": null })),
        Value::Boolean(b) => tagged("CypherBool", json!({ "value": b })),
        Value::Integer(i) => cy_int(*i),
        Value::Float(f) => cy_float(*f),
        Value::String(s) => cy_str(s),
        Value::Bytes(b) => {
            let hex: Vec<String> = b.iter().map(|x| format!("{x:02x}")).collect();
            tagged("CypherBytes", json!({ "value": hex.join(" ") }))
        }
        Value::List(l) => tagged(
            "CypherList",
            json!({ "value": l.iter().map(from_value).collect::<Vec<_>>() }),
        ),
        Value::Map(m) => cy_map(m),
        Value::Node(n) => node(n),
        Value::Relationship(r) => relationship(r),
        Value::Path(p) => path(p),
        Value::Point2D(p) => tagged(
            "CypherPoint",
            json!({"system": srid_system(p.srid), "x": p.x, "y": p.y, "z": null}),
        ),
        Value::Point3D(p) => tagged(
            "CypherPoint",
            json!({"system": srid_system(p.srid), "x": p.x, "y": p.y, "z": p.z}),
        ),
        Value::Date(d) => {
            let mut obj = Map::new();
            date_fields(*d, &mut obj);
            tagged("CypherDate", Json::Object(obj))
        }
        Value::LocalTime(t) => {
            let mut obj = Map::new();
            time_fields(*t, &mut obj);
            tagged("CypherTime", Json::Object(obj))
        }
        Value::Time(t) => {
            let mut obj = Map::new();
            time_fields(t.time(), &mut obj);
            obj.insert("utc_offset_s".into(), json!(t.offset_seconds()));
            tagged("CypherTime", Json::Object(obj))
        }
        Value::LocalDateTime(l) => date_time(*l, None, None),
        Value::DateTime(d) => date_time(d.local(), Some(i64::from(d.offset_seconds())), None),
        Value::DateTimeZoneId(z) => zoned(z),
        Value::Duration(d) => tagged(
            "CypherDuration",
            json!({"months": d.months(), "days": d.days(), "seconds": d.seconds(), "nanoseconds": d.nanoseconds()}),
        ),
        other => tagged(
            "CypherString",
            json!({ "value": format!("<unsupported value type {}>", other.type_name()) }),
        ),
    }
}

fn zoned(z: &DateTimeZoneId) -> Json {
    let zone = z.zone_id();
    let computed = if let Some(ts) = z.timestamp() {
        zone_offset(zone, ts, true).and_then(|off| {
            LocalDateTime::from_timestamp(ts + off, z.nanosecond())
                .map(|l| (l, off))
                .ok_or_else(|| "date-time out of range".to_owned())
        })
    } else if let Some(local) = z.local() {
        zone_offset(zone, local.seconds_since_epoch(), false).map(|off| (local, off))
    } else {
        Err("date-time has neither instant nor wall clock".to_owned())
    };
    match computed {
        Ok((local, off)) => date_time(local, Some(off), Some(zone)),
        Err(e) => tagged("CypherString", json!({ "value": format!("<{e}>") })),
    }
}

fn srid_system(srid: i64) -> &'static str {
    match srid {
        4326 | 4979 => "wgs84",
        _ => "cartesian",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(j: Json) {
        let v = to_value(&j).unwrap_or_else(|e| panic!("{j}: {e}"));
        assert_eq!(from_value(&v), j, "{v:?}");
    }

    #[test]
    fn scalars_and_collections_round_trip() {
        round_trip(json!({"name": "CypherNull", "data": {"value": null}}));
        round_trip(json!({"name": "CypherBool", "data": {"value": true}}));
        round_trip(json!({"name": "CypherInt", "data": {"value": -9007199254740993i64}}));
        round_trip(json!({"name": "CypherFloat", "data": {"value": 1.5}}));
        round_trip(json!({"name": "CypherFloat", "data": {"value": "NaN"}}));
        round_trip(json!({"name": "CypherFloat", "data": {"value": "-Infinity"}}));
        round_trip(json!({"name": "CypherString", "data": {"value": "ä"}}));
        round_trip(json!({"name": "CypherBytes", "data": {"value": "00 ff 10"}}));
        round_trip(json!({"name": "CypherBytes", "data": {"value": ""}}));
        round_trip(json!({"name": "CypherList", "data": {"value": [
            {"name": "CypherInt", "data": {"value": 1}},
            {"name": "CypherMap", "data": {"value": {"k": {"name": "CypherString", "data": {"value": "v"}}}}}
        ]}}));
    }

    fn wall(s: &str) -> i64 {
        NaiveDateTime::from_str(s).unwrap().and_utc().timestamp()
    }

    #[test]
    fn wall_offsets_come_from_the_zone_database() {
        // Local mean time to the second (pytz says -960).
        assert_eq!(
            wall_offset("Africa/Abidjan", wall("0001-01-02T00:00:00"), -960),
            -968
        );
        // Ambiguous (end of summer time): TestKit's offset picks.
        let fold = wall("2022-10-30T02:30:00");
        assert_eq!(wall_offset("Europe/Berlin", fold, 3600), 3600);
        assert_eq!(wall_offset("Europe/Berlin", fold, 7200), 7200);
        // In the gap, and an unknown zone: TestKit's offset stands.
        assert_eq!(
            wall_offset("Europe/Berlin", wall("2022-03-27T02:30:00"), 3600),
            3600
        );
        assert_eq!(wall_offset("Nowhere/Else", 0, 123), 123);
    }

    #[test]
    fn pytz_offsets_that_the_zone_database_disagrees_with() {
        let dt = |y: i64, off: i64, zone: &str| {
            json!({"name": "CypherDateTime", "data": {"year": y, "month": 1, "day": 2,
                "hour": 0, "minute": 0, "second": 0, "nanosecond": 0,
                "utc_offset_s": off, "timezone_id": zone}})
        };
        assert_eq!(
            offset_disagreement(&dt(1, -960, "Africa/Abidjan")),
            Some(("Africa/Abidjan".into(), -960, -968))
        );
        assert_eq!(offset_disagreement(&dt(2022, 0, "Africa/Abidjan")), None);
        assert_eq!(
            offset_disagreement(&json!({"name": "CypherInt", "data": {"value": 1}})),
            None
        );
    }

    #[test]
    fn systemv_zones_follow_javas_data() {
        // As Neo4j 2026.08 and 5.26 answer `datetime(s + '[zone]').offsetSeconds`.
        let at = |s: &str, zone: &str| zone_offset(zone, wall(s), false).unwrap();
        for (s, est5edt) in [
            ("1970-04-26T01:59:00", -18000),
            ("1970-04-26T03:00:00", -14400),
            ("1970-10-25T01:30:00", -14400),
            ("1970-10-25T02:00:00", -18000),
            ("1974-01-06T03:00:00", -14400),
            ("1974-11-24T00:30:00", -14400),
            ("1975-02-23T03:00:00", -14400),
            ("1900-06-01T12:00:00", -14400),
            ("2100-06-01T12:00:00", -14400),
            ("2020-10-25T02:00:00", -18000),
        ] {
            assert_eq!(at(s, "SystemV/EST5EDT"), est5edt, "{s}");
            assert_eq!(at(s, "SystemV/HST10"), -36000, "{s}");
        }
        // Instants: 1970-04-26 07:00 UTC is 03:00 EDT.
        assert_eq!(
            zone_offset("SystemV/EST5EDT", wall("1970-04-26T06:59:59"), true).unwrap(),
            -18000
        );
        assert_eq!(
            zone_offset("SystemV/EST5EDT", wall("1970-04-26T07:00:00"), true).unwrap(),
            -14400
        );
        assert!(zone_offset("SystemV/XYZ", 0, true).is_err());
    }

    #[test]
    fn spatial_and_temporal_round_trip() {
        round_trip(
            json!({"name": "CypherPoint", "data": {"system": "wgs84", "x": 1.0, "y": 2.0, "z": null}}),
        );
        round_trip(
            json!({"name": "CypherPoint", "data": {"system": "cartesian", "x": 1.0, "y": 2.0, "z": 3.5}}),
        );
        round_trip(json!({"name": "CypherDate", "data": {"year": -5, "month": 2, "day": 28}}));
        round_trip(
            json!({"name": "CypherTime", "data": {"hour": 23, "minute": 59, "second": 1, "nanosecond": 5}}),
        );
        round_trip(
            json!({"name": "CypherTime", "data": {"hour": 1, "minute": 2, "second": 3, "nanosecond": 4, "utc_offset_s": -3600}}),
        );
        round_trip(
            json!({"name": "CypherDateTime", "data": {"year": 2022, "month": 3, "day": 4,
            "hour": 1, "minute": 2, "second": 3, "nanosecond": 4}}),
        );
        round_trip(
            json!({"name": "CypherDateTime", "data": {"year": 2022, "month": 3, "day": 4,
            "hour": 1, "minute": 2, "second": 3, "nanosecond": 4, "utc_offset_s": 7200}}),
        );
        round_trip(
            json!({"name": "CypherDateTime", "data": {"year": 2022, "month": 6, "day": 4,
            "hour": 1, "minute": 2, "second": 3, "nanosecond": 4, "utc_offset_s": 7200,
            "timezone_id": "Europe/Stockholm"}}),
        );
        round_trip(
            json!({"name": "CypherDuration", "data": {"months": 1, "days": -2, "seconds": 3, "nanoseconds": 4}}),
        );
    }

    #[test]
    fn zoned_wall_clock_gets_its_offset() {
        let local = LocalDateTime::new(
            Date::from_ymd(2022, 1, 10).unwrap(),
            LocalTime::from_hms_nano(12, 0, 0, 0).unwrap(),
        );
        let z = DateTimeZoneId::from_local(local, "Europe/Stockholm");
        let j = from_value(&Value::DateTimeZoneId(z));
        assert_eq!(j["data"]["utc_offset_s"], json!(3600));
        assert_eq!(j["data"]["hour"], json!(12));
    }

    #[test]
    fn graph_values_have_element_ids() {
        let n = Node::new("4:x:1", ["L"], ValueMap::new());
        let j = from_value(&Value::Node(n));
        assert_eq!(j["name"], "Node");
        assert_eq!(j["data"]["elementId"], cy_str("4:x:1"));
        assert_eq!(j["data"]["labels"]["data"]["value"][0], cy_str("L"));
    }

    #[test]
    fn bad_input_is_an_error() {
        assert!(to_value(&json!({"name": "Node", "data": {}})).is_err());
        assert!(to_value(&json!({"name": "CypherInt", "data": {"value": "x"}})).is_err());
        assert!(to_value(&json!({"name": "CypherBytes", "data": {"value": "zz"}})).is_err());
        assert!(to_value(&json!(3)).is_err());
    }
}
