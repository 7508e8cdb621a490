//! Values: every type sent as a parameter comes back equal and is what the
//! server thinks it is (`valueType`, temporal and spatial accessors), values
//! the server builds decode to what the driver would build, and graph
//! values (nodes, relationships, paths) carry the server's element ids.

use neo4j::{
    params, Date, DateTime, DateTimeZoneId, Duration, LocalDateTime, LocalTime, Point2D, Point3D,
    Record, Session, Time, Value, ValueMap,
};

use crate::queries::{begin, single};
use crate::{db_cfg, label, on_each};

/// `RETURN $x AS x` plus whatever server-side expressions over `$x` the
/// caller asks for (as columns `c0`, `c1`...).
async fn echo(s: &mut Session, v: &Value, exprs: &[&str]) -> Record {
    let mut q = String::from("RETURN $x AS x");
    for (i, e) in exprs.iter().enumerate() {
        q.push_str(&format!(", {e} AS c{i}"));
    }
    s.run(q, params! {"x" => v.clone()})
        .await
        .unwrap_or_else(|e| panic!("sending {v:?}: {e}"))
        .single()
        .await
        .unwrap_or_else(|e| panic!("sending {v:?}: {e}"))
}

fn map(entries: &[(&str, Value)]) -> Value {
    let mut m = ValueMap::default();
    for (k, v) in entries {
        m.insert(*k, v.clone());
    }
    Value::Map(m)
}

#[tokio::test]
#[ignore = "needs a server: cargo xtask test"]
async fn scalars_lists_and_maps_round_trip_with_their_server_types() {
    on_each(async |t| {
        let d = t.driver();
        let mut s = d.session(db_cfg());
        let nested = map(&[
            ("ünïcødé key", Value::from("v")),
            ("list", Value::from(vec![Value::from(1), Value::from(2.5)])),
            ("inner", map(&[("deep", Value::Null)])),
        ]);
        let samples: Vec<(Value, &str)> = vec![
            (Value::Null, "NULL"),
            (Value::from(true), "BOOLEAN NOT NULL"),
            (Value::from(false), "BOOLEAN NOT NULL"),
            (Value::from(0i64), "INTEGER NOT NULL"),
            (Value::from(-1i64), "INTEGER NOT NULL"),
            (Value::from(i64::MAX), "INTEGER NOT NULL"),
            (Value::from(i64::MIN), "INTEGER NOT NULL"),
            // Packed in 1, 2, 4 and 8 bytes: each boundary.
            (Value::from(-16i64), "INTEGER NOT NULL"),
            (Value::from(-17i64), "INTEGER NOT NULL"),
            (Value::from(127i64), "INTEGER NOT NULL"),
            (Value::from(128i64), "INTEGER NOT NULL"),
            (Value::from(32_768i64), "INTEGER NOT NULL"),
            (Value::from(2_147_483_648i64), "INTEGER NOT NULL"),
            (Value::from(-2_147_483_649i64), "INTEGER NOT NULL"),
            (Value::from(1.5f64), "FLOAT NOT NULL"),
            (Value::from(-0.0f64), "FLOAT NOT NULL"),
            (Value::from(f64::MAX), "FLOAT NOT NULL"),
            (Value::from(f64::MIN_POSITIVE), "FLOAT NOT NULL"),
            (Value::from(f64::INFINITY), "FLOAT NOT NULL"),
            (Value::from(f64::NEG_INFINITY), "FLOAT NOT NULL"),
            (Value::from(""), "STRING NOT NULL"),
            (
                Value::from("héllo wörld ✓ 日本語 😀 e\u{301}"),
                "STRING NOT NULL",
            ),
            (Value::from("x".repeat(70_000)), "STRING NOT NULL"),
            // Cypher's type system has no bytes: the server keeps and
            // returns a byte array but calls it a list of integers.
            (Value::Bytes(vec![]), "LIST<INTEGER NOT NULL> NOT NULL"),
            (
                Value::Bytes((0..=255).collect()),
                "LIST<INTEGER NOT NULL> NOT NULL",
            ),
            (Value::from(Vec::<Value>::new()), "LIST<NOTHING> NOT NULL"),
            (
                Value::from(vec![Value::from(1), Value::from(2)]),
                "LIST<INTEGER NOT NULL> NOT NULL",
            ),
            (
                Value::from(vec![Value::from(1), Value::from("two"), Value::Null]),
                "LIST<STRING | INTEGER> NOT NULL",
            ),
            (
                Value::from((0..1000).map(Value::from).collect::<Vec<_>>()),
                "LIST<INTEGER NOT NULL> NOT NULL",
            ),
            (Value::Map(ValueMap::default()), "MAP NOT NULL"),
            (nested, "MAP NOT NULL"),
        ];
        for (v, server_type) in samples {
            let r = echo(&mut s, &v, &["valueType($x)"]).await;
            assert_eq!(r.get_value("x"), Some(&v), "{}", t.name);
            let got_type: String = r.get("c0").unwrap();
            assert_eq!(got_type, server_type, "{v:?}");
        }
        // -0.0 == 0.0 in Rust: the sign must survive too.
        let r = echo(&mut s, &Value::from(-0.0f64), &[]).await;
        assert!(r.get::<f64>("x").unwrap().is_sign_negative());
        // NaN is not equal to itself: check it apart, and on the server.
        let r = echo(&mut s, &Value::from(f64::NAN), &["isNaN($x)"]).await;
        assert!(r.get::<f64>("x").unwrap().is_nan());
        assert!(r.get::<bool>("c0").unwrap());
        // The server's own extremes decode.
        let r = single(
            &mut s,
            "RETURN 9223372036854775807 AS max, -9223372036854775807 - 1 AS min, \
             0.0 / 0.0 AS nan, 1.0 / 0.0 AS inf, -1.0 / 0.0 AS ninf, \
             'ß' + char_length('日本') AS s",
        )
        .await;
        assert_eq!(r.get::<i64>("max").unwrap(), i64::MAX);
        assert_eq!(r.get::<i64>("min").unwrap(), i64::MIN);
        assert!(r.get::<f64>("nan").unwrap().is_nan());
        assert_eq!(r.get::<f64>("inf").unwrap(), f64::INFINITY);
        assert_eq!(r.get::<f64>("ninf").unwrap(), f64::NEG_INFINITY);
        assert_eq!(r.get::<String>("s").unwrap(), "ß2");
        // Non-ASCII counted by the server as characters, not bytes.
        let r = echo(&mut s, &Value::from("日本語😀"), &["size($x)"]).await;
        assert_eq!(r.get::<i64>("c0").unwrap(), 4);
        s.close().await.unwrap();
        d.close().await;
    })
    .await;
}

fn date(y: i64, m: u32, d: u32) -> Date {
    Date::from_ymd(y, m, d).unwrap()
}

fn time(h: u32, m: u32, s: u32, n: u32) -> LocalTime {
    LocalTime::from_hms_nano(h, m, s, n).unwrap()
}

#[tokio::test]
#[ignore = "needs a server: cargo xtask test"]
async fn temporal_values_round_trip_and_match_the_servers_reading() {
    on_each(async |t| {
        let d = t.driver();
        let mut s = d.session(db_cfg());
        let lt = time(13, 45, 30, 123_456_789);
        // (value, server type, server's string form)
        let samples: Vec<(Value, &str, &str)> = vec![
            (
                Value::Date(date(2024, 2, 29)),
                "DATE NOT NULL",
                "2024-02-29",
            ),
            (
                Value::Date(date(-44, 3, 15)),
                "DATE NOT NULL",
                "-0044-03-15",
            ),
            (Value::Date(date(1, 1, 1)), "DATE NOT NULL", "0001-01-01"),
            (
                Value::LocalTime(lt),
                "LOCAL TIME NOT NULL",
                "13:45:30.123456789",
            ),
            (
                Value::LocalTime(time(0, 0, 0, 0)),
                "LOCAL TIME NOT NULL",
                "00:00:00",
            ),
            (
                Value::Time(Time::new(lt, 3600).unwrap()),
                "ZONED TIME NOT NULL",
                "13:45:30.123456789+01:00",
            ),
            (
                Value::Time(Time::new(lt, -(9 * 3600 + 30 * 60)).unwrap()),
                "ZONED TIME NOT NULL",
                "13:45:30.123456789-09:30",
            ),
            (
                Value::LocalDateTime(LocalDateTime::new(date(2024, 2, 29), lt)),
                "LOCAL DATETIME NOT NULL",
                "2024-02-29T13:45:30.123456789",
            ),
            (
                Value::DateTime(DateTime::from_timestamp(1_700_000_000, 5, 7200).unwrap()),
                "ZONED DATETIME NOT NULL",
                "2023-11-15T00:13:20.000000005+02:00",
            ),
            (
                Value::DateTime(DateTime::from_timestamp(-1, 0, -3600).unwrap()),
                "ZONED DATETIME NOT NULL",
                "1969-12-31T22:59:59-01:00",
            ),
            // Summer and winter time in a named zone.
            (
                Value::DateTimeZoneId(
                    DateTimeZoneId::from_timestamp(1_656_582_725, 0, "Europe/Stockholm").unwrap(),
                ),
                "ZONED DATETIME NOT NULL",
                "2022-06-30T11:52:05+02:00[Europe/Stockholm]",
            ),
            (
                Value::DateTimeZoneId(
                    DateTimeZoneId::from_timestamp(1_672_531_200, 1, "Europe/Stockholm").unwrap(),
                ),
                "ZONED DATETIME NOT NULL",
                "2023-01-01T01:00:00.000000001+01:00[Europe/Stockholm]",
            ),
            (
                Value::Duration(Duration::new(14, 3, 7200, 500)),
                "DURATION NOT NULL",
                "P1Y2M3DT2H0.0000005S",
            ),
            (
                Value::Duration(Duration::new(-1, -2, -3, -4)),
                "DURATION NOT NULL",
                "P-1M-2DT-3.000000004S",
            ),
        ];
        for (v, server_type, text) in samples {
            let r = echo(&mut s, &v, &["valueType($x)", "toString($x)"]).await;
            // Durations are kept as given and normalised by the server
            // (nanoseconds within 0..1e9, as documented on Duration::new).
            let back = match v {
                Value::Duration(d) if d.nanoseconds() < 0 => Value::Duration(Duration::new(
                    d.months(),
                    d.days(),
                    d.seconds() - 1,
                    d.nanoseconds() + 1_000_000_000,
                )),
                _ => v.clone(),
            };
            assert_eq!(r.get_value("x"), Some(&back), "{}", t.name);
            assert_eq!(r.get::<String>("c0").unwrap(), server_type, "{v:?}");
            assert_eq!(r.get::<String>("c1").unwrap(), text, "{v:?}");
        }

        // The server builds the same values the driver would.
        let r = single(
            &mut s,
            "RETURN date('2024-02-29') AS date, localtime('13:45:30.123456789') AS lt, \
             time('13:45:30.123456789+01:00') AS time, \
             localdatetime('2024-02-29T13:45:30.123456789') AS ldt, \
             datetime('2023-11-15T00:13:20.000000005+02:00') AS dt, \
             datetime('2022-06-30T11:52:05[Europe/Stockholm]') AS dtz, \
             duration('P1Y2M3DT2H0.0000005S') AS dur",
        )
        .await;
        let expect = [
            ("date", Value::Date(date(2024, 2, 29))),
            ("lt", Value::LocalTime(lt)),
            ("time", Value::Time(Time::new(lt, 3600).unwrap())),
            (
                "ldt",
                Value::LocalDateTime(LocalDateTime::new(date(2024, 2, 29), lt)),
            ),
            (
                "dt",
                Value::DateTime(DateTime::from_timestamp(1_700_000_000, 5, 7200).unwrap()),
            ),
            (
                "dtz",
                Value::DateTimeZoneId(
                    DateTimeZoneId::from_timestamp(1_656_582_725, 0, "Europe/Stockholm").unwrap(),
                ),
            ),
            ("dur", Value::Duration(Duration::new(14, 3, 7200, 500))),
        ];
        for (k, v) in expect {
            assert_eq!(r.get_value(k), Some(&v), "{k}");
        }
        s.close().await.unwrap();
        d.close().await;
    })
    .await;
}

/// 2023-10-29 02:30 happens twice in Stockholm: at 00:30 UTC (still summer
/// time, +02:00) and at 01:30 UTC (winter time, +01:00). Both instants must
/// survive the trip with their own offset: Bolt 5 sends the UTC instant, so
/// nothing is lost.
#[tokio::test]
#[ignore = "needs a server: cargo xtask test"]
async fn dst_ambiguous_wall_clock_time_keeps_each_instant() {
    on_each(async |t| {
        let d = t.driver();
        let mut s = d.session(db_cfg());
        let summer_utc = 1_698_539_400; // 2023-10-29T00:30:00Z
        let winter_utc = summer_utc + 3600; // 2023-10-29T01:30:00Z
        for (utc, offset, text) in [
            (
                summer_utc,
                "+02:00",
                "2023-10-29T02:30:00+02:00[Europe/Stockholm]",
            ),
            (
                winter_utc,
                "+01:00",
                "2023-10-29T02:30:00+01:00[Europe/Stockholm]",
            ),
        ] {
            let v = Value::DateTimeZoneId(
                DateTimeZoneId::from_timestamp(utc, 0, "Europe/Stockholm").unwrap(),
            );
            let r = echo(
                &mut s,
                &v,
                &["$x.offset", "$x.epochSeconds", "toString($x)", "$x.hour"],
            )
            .await;
            assert_eq!(r.get_value("x"), Some(&v));
            assert_eq!(r.get::<String>("c0").unwrap(), offset);
            assert_eq!(r.get::<i64>("c1").unwrap(), utc);
            assert_eq!(r.get::<String>("c2").unwrap(), text);
            assert_eq!(r.get::<i64>("c3").unwrap(), 2, "wall clock 02:30");
            // Made from the wall clock and its offset, as a zone database
            // would: the same instant.
            let local = LocalDateTime::new(date(2023, 10, 29), time(2, 30, 0, 0));
            let off = if offset == "+02:00" { 7200 } else { 3600 };
            let from_local =
                Value::DateTimeZoneId(DateTimeZoneId::new(local, off, "Europe/Stockholm").unwrap());
            let r = echo(&mut s, &from_local, &["$x.epochSeconds"]).await;
            assert_eq!(r.get::<i64>("c0").unwrap(), utc);
            match r.get_value("x") {
                Some(Value::DateTimeZoneId(back)) => {
                    assert_eq!(back.timestamp(), Some(utc));
                    assert_eq!(back.zone_id(), "Europe/Stockholm");
                }
                other => panic!("{other:?}"),
            }
        }
        // The instants are an hour apart though the wall clocks agree.
        let r = single(
            &mut s,
            "WITH datetime('2023-10-29T02:30+02:00[Europe/Stockholm]') AS a, \
                  datetime('2023-10-29T02:30+01:00[Europe/Stockholm]') AS b \
             RETURN a, b, duration.inSeconds(a, b).seconds AS gap",
        )
        .await;
        assert_eq!(r.get::<i64>("gap").unwrap(), 3600);
        assert_eq!(
            r.get_value("a"),
            Some(&Value::DateTimeZoneId(
                DateTimeZoneId::from_timestamp(summer_utc, 0, "Europe/Stockholm").unwrap()
            ))
        );
        assert_eq!(
            r.get_value("b"),
            Some(&Value::DateTimeZoneId(
                DateTimeZoneId::from_timestamp(winter_utc, 0, "Europe/Stockholm").unwrap()
            ))
        );
        s.close().await.unwrap();
        d.close().await;
    })
    .await;
}

#[tokio::test]
#[ignore = "needs a server: cargo xtask test"]
async fn points_round_trip_in_every_crs() {
    on_each(async |t| {
        let d = t.driver();
        let mut s = d.session(db_cfg());
        let samples: Vec<(Value, &str)> = vec![
            (
                Value::Point2D(Point2D {
                    srid: 7203,
                    x: 1.5,
                    y: -2.25,
                }),
                "cartesian",
            ),
            (
                Value::Point3D(Point3D {
                    srid: 9157,
                    x: 1.0,
                    y: 2.0,
                    z: -3.5,
                }),
                "cartesian-3d",
            ),
            (
                Value::Point2D(Point2D {
                    srid: 4326,
                    x: 18.0686,
                    y: 59.3293,
                }),
                "wgs-84",
            ),
            (
                Value::Point3D(Point3D {
                    srid: 4979,
                    x: 18.0686,
                    y: 59.3293,
                    z: 28.0,
                }),
                "wgs-84-3d",
            ),
        ];
        for (v, crs) in samples {
            let r = echo(&mut s, &v, &["$x.crs", "$x.srid", "$x.x", "valueType($x)"]).await;
            assert_eq!(r.get_value("x"), Some(&v));
            assert_eq!(r.get::<String>("c0").unwrap(), crs);
            let (srid, x) = match &v {
                Value::Point2D(p) => (p.srid, p.x),
                Value::Point3D(p) => (p.srid, p.x),
                _ => unreachable!(),
            };
            assert_eq!(r.get::<i64>("c1").unwrap(), srid);
            assert_eq!(r.get::<f64>("c2").unwrap(), x);
            assert_eq!(r.get::<String>("c3").unwrap(), "POINT NOT NULL");
        }
        let r = single(
            &mut s,
            "RETURN point({x: 1.5, y: -2.25}) AS c2, point({x: 1, y: 2, z: -3.5}) AS c3, \
             point({longitude: 18.0686, latitude: 59.3293}) AS w2, \
             point({longitude: 18.0686, latitude: 59.3293, height: 28}) AS w3",
        )
        .await;
        assert_eq!(
            r.get_value("c2"),
            Some(&Value::Point2D(Point2D {
                srid: 7203,
                x: 1.5,
                y: -2.25
            }))
        );
        assert_eq!(
            r.get_value("c3"),
            Some(&Value::Point3D(Point3D {
                srid: 9157,
                x: 1.0,
                y: 2.0,
                z: -3.5
            }))
        );
        assert_eq!(
            r.get_value("w2"),
            Some(&Value::Point2D(Point2D {
                srid: 4326,
                x: 18.0686,
                y: 59.3293
            }))
        );
        assert_eq!(
            r.get_value("w3"),
            Some(&Value::Point3D(Point3D {
                srid: 4979,
                x: 18.0686,
                y: 59.3293,
                z: 28.0
            }))
        );
        s.close().await.unwrap();
        d.close().await;
    })
    .await;
}

/// Nodes, relationships and paths as the server returns them, with the
/// element ids it gives them; made in a transaction that is rolled back,
/// so nothing stays behind.
#[tokio::test]
#[ignore = "needs a server: cargo xtask test"]
async fn nodes_relationships_and_paths_carry_the_servers_element_ids() {
    on_each(async |t| {
        let d = t.driver();
        let mut s = d.session(db_cfg());
        let l = label("Graph");
        let tx = begin(&mut s).await;
        let r = tx
            .run(
                format!(
                    "CREATE p = (a:{l}:Extra {{name: 'Ada', n: 1}})\
                     -[r:KNOWS {{since: 2020}}]->(b:{l} {{name: 'Bob'}})\
                     <-[r2:LIKES]-(c:{l}) \
                     RETURN a, r, b, p, c, r2, elementId(a) AS ida, elementId(b) AS idb, \
                     elementId(r) AS idr, elementId(c) AS idc, elementId(r2) AS idr2"
                ),
                params! {},
            )
            .await
            .unwrap()
            .single()
            .await
            .unwrap();
        let a: neo4j::Node = r.get("a").unwrap();
        let b: neo4j::Node = r.get("b").unwrap();
        let c: neo4j::Node = r.get("c").unwrap();
        let rel: neo4j::Relationship = r.get("r").unwrap();
        let rel2: neo4j::Relationship = r.get("r2").unwrap();
        let path: neo4j::Path = r.get("p").unwrap();
        let id = |k: &str| r.get::<String>(k).unwrap();
        assert_eq!(a.element_id(), id("ida"));
        assert_eq!(b.element_id(), id("idb"));
        assert_eq!(c.element_id(), id("idc"));
        assert_eq!(rel.element_id(), id("idr"));
        assert_eq!(rel2.element_id(), id("idr2"));
        let mut labels = a.labels().to_vec();
        labels.sort();
        let mut want = vec![l.clone(), "Extra".to_owned()];
        want.sort();
        assert_eq!(labels, want);
        assert_eq!(a.get::<String>("name").unwrap(), "Ada");
        assert_eq!(a.get::<i64>("n").unwrap(), 1);
        assert_eq!(rel.rel_type(), "KNOWS");
        assert_eq!(rel.get::<i64>("since").unwrap(), 2020);
        assert_eq!(rel.start_node_element_id(), a.element_id());
        assert_eq!(rel.end_node_element_id(), b.element_id());
        assert_eq!(rel.start_node_id(), a.id());
        assert_eq!(rel.end_node_id(), b.id());
        assert_eq!(rel2.start_node_element_id(), c.element_id());
        assert_eq!(rel2.end_node_element_id(), b.element_id());
        // The path in traversal order, its second hop against the
        // relationship's direction.
        assert_eq!(path.len(), 2);
        let ids: Vec<&str> = path.nodes().iter().map(|n| n.element_id()).collect();
        assert_eq!(ids, [a.element_id(), b.element_id(), c.element_id()]);
        assert_eq!(path.start().element_id(), a.element_id());
        assert_eq!(path.end().element_id(), c.element_id());
        let rels: Vec<&str> = path
            .relationships()
            .iter()
            .map(|r| r.element_id())
            .collect();
        assert_eq!(rels, [rel.element_id(), rel2.element_id()]);
        assert_eq!(path.relationships()[1].rel_type(), "LIKES");
        assert_eq!(
            path.relationships()[1].start_node_element_id(),
            c.element_id()
        );
        // Legacy integer ids agree with the server's id().
        let ids = tx
            .run(
                format!("MATCH (a:{l} {{name: 'Ada'}})-[r]->() RETURN id(a) AS a, id(r) AS r"),
                params! {},
            )
            .await
            .unwrap()
            .single()
            .await
            .unwrap();
        assert_eq!(ids.get::<i64>("a").unwrap(), a.id());
        assert_eq!(ids.get::<i64>("r").unwrap(), rel.id());
        // Element ids find the entities again.
        let again = tx
            .run(
                format!("MATCH (n:{l}) WHERE elementId(n) = $id RETURN n.name AS name"),
                params! {"id" => b.element_id()},
            )
            .await
            .unwrap()
            .single()
            .await
            .unwrap();
        assert_eq!(again.get::<String>("name").unwrap(), "Bob");
        // A graph value cannot be sent back as a parameter.
        let e = tx
            .run("RETURN $n AS n", params! {"n" => Value::Node(a.clone())})
            .await
            .map(|_| ())
            .unwrap_err();
        assert!(
            matches!(e, neo4j::Error::Conversion { .. } | neo4j::Error::Usage(_)),
            "{e:?}"
        );
        tx.rollback().await.unwrap();
        let gone = single(&mut s, format!("MATCH (n:{l}) RETURN count(n) AS c")).await;
        assert_eq!(gone.get::<i64>("c").unwrap(), 0);
        s.close().await.unwrap();
        d.close().await;
    })
    .await;
}
