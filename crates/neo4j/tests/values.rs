//! Values on the wire (round trips per Bolt version, byte vectors, graph
//! structures built by bolt-proto, malformed input), parameters, records and
//! serde mapping, chrono conversions.

use bolt_proto::structure::{self as bs, BoltStruct, StructCtx};
use bolt_proto::Version;
use neo4j::__bench::{decode_record_fields, encode_params, encode_value};
use neo4j::*;
use proptest::prelude::*;

fn ctxs() -> [StructCtx; 3] {
    [
        StructCtx::new(Version::V4_4),
        StructCtx::new(Version::V4_4).with_utc_patch(true),
        StructCtx::new(Version::V5_0),
    ]
}

/// Encodes `values` as a RECORD's field list.
fn record_bytes(values: &[Value], ctx: StructCtx) -> Vec<u8> {
    let mut buf = Vec::new();
    packstream::encode::write_list_header(&mut buf, values.len()).unwrap();
    for v in values {
        encode_value(&mut buf, v, ctx).unwrap();
    }
    buf
}

fn round_trip(values: Vec<Value>, ctx: StructCtx) {
    let bytes = record_bytes(&values, ctx);
    assert_eq!(
        decode_record_fields(&bytes, ctx).unwrap(),
        values,
        "{ctx:?}"
    );
}

fn sendable_values() -> Vec<Value> {
    let map: ValueMap = [("a", Value::from(1)), ("b", vec!["x", "y"].into())]
        .into_iter()
        .collect();
    vec![
        Value::Null,
        true.into(),
        false.into(),
        0.into(),
        (-16).into(),
        (-17).into(),
        128.into(),
        40_000.into(),
        i64::MIN.into(),
        i64::MAX.into(),
        1.5.into(),
        f64::NEG_INFINITY.into(),
        Value::Bytes(vec![0, 1, 255]),
        Value::Bytes(vec![]),
        "".into(),
        "héllo".into(),
        "x".repeat(70_000).into(),
        Value::List(vec![]),
        vec![Value::from(1), "two".into(), Value::Null].into(),
        map.into(),
        Date::from_ymd(2024, 2, 29).unwrap().into(),
        Date::from_days_since_epoch(-1_000_000).into(),
        Time::new(LocalTime::from_hms_nano(1, 2, 3, 4).unwrap(), -3600)
            .unwrap()
            .into(),
        LocalTime::from_hms_nano(23, 59, 59, 999_999_999)
            .unwrap()
            .into(),
        LocalDateTime::from_timestamp(-86_401, 7).unwrap().into(),
        DateTime::from_timestamp(1_700_000_000, 123, 19_800)
            .unwrap()
            .into(),
        DateTime::from_timestamp(-5, 0, -36_000).unwrap().into(),
        DateTimeZoneId::from_timestamp(0, 0, "UTC").unwrap().into(),
        Duration::new(14, -3, 7200, 500_000_000).into(),
        Point2D {
            srid: 4326,
            x: 12.5,
            y: -55.25,
        }
        .into(),
        Point3D {
            srid: 9157,
            x: 1.0,
            y: 2.0,
            z: 3.0,
        }
        .into(),
    ]
}

#[test]
fn every_sendable_value_round_trips_in_every_context() {
    for ctx in ctxs() {
        // One value per record, and all of them in one record.
        for v in sendable_values() {
            round_trip(vec![v], ctx);
        }
        round_trip(sendable_values(), ctx);
        round_trip(vec![Value::List(sendable_values())], ctx);
    }
}

#[test]
fn zoned_date_times_round_trip_in_their_own_form() {
    let utc = DateTimeZoneId::from_timestamp(1_000, 5, "Europe/Paris").unwrap();
    let local = DateTimeZoneId::from_local(
        LocalDateTime::from_timestamp(1_000, 5).unwrap(),
        "Europe/Paris",
    );
    let [legacy, patched, v5] = ctxs();
    round_trip(vec![utc.clone().into()], patched);
    round_trip(vec![utc.clone().into()], v5);
    round_trip(vec![local.clone().into()], legacy);
    // The other form needs a time-zone database: a clear error, no guess.
    for (v, ctx) in [(&utc, legacy), (&local, v5), (&local, patched)] {
        let e = encode_value(&mut Vec::new(), &v.clone().into(), ctx).unwrap_err();
        assert!(matches!(e, Error::Conversion { .. }), "{e}");
        assert!(e.to_string().contains("time-zone database"), "{e}");
    }
}

#[test]
fn byte_vectors() {
    let [legacy, _, v5] = ctxs();
    let enc = |v: Value, ctx| {
        let mut b = Vec::new();
        encode_value(&mut b, &v, ctx).unwrap();
        b
    };
    assert_eq!(
        enc(Date::from_days_since_epoch(19_000).into(), v5),
        [0xB1, 0x44, 0xC9, 0x4A, 0x38]
    );
    // DateTime at +01:00: UTC form 0x49 carries UTC seconds, legacy 0x46 local seconds.
    let dt: Value = DateTime::from_timestamp(0, 0, 3600).unwrap().into();
    assert_eq!(
        enc(dt.clone(), v5),
        [0xB3, 0x49, 0x00, 0x00, 0xC9, 0x0E, 0x10]
    );
    assert_eq!(
        enc(dt, legacy),
        [0xB3, 0x46, 0xC9, 0x0E, 0x10, 0x00, 0xC9, 0x0E, 0x10]
    );
    assert_eq!(
        enc(Duration::new(1, 2, 3, 4).into(), v5),
        [0xB4, 0x45, 1, 2, 3, 4]
    );
    let p = enc(
        Point2D {
            srid: 7203,
            x: 1.0,
            y: 2.0,
        }
        .into(),
        v5,
    );
    assert_eq!(&p[..4], &[0xB3, 0x58, 0xC9, 0x1C]);
    let mut b = Vec::new();
    encode_params(&mut b, &params! { "n" => 1, "s" => "a" }, v5).unwrap();
    assert_eq!(b, [0xA2, 0x81, b'n', 0x01, 0x81, b's', 0x81, b'a']);
}

#[test]
fn our_bytes_agree_with_bolt_proto() {
    for ctx in ctxs() {
        let ours = DateTime::from_timestamp(1_700_000_000, 9, -7200).unwrap();
        let mut b = Vec::new();
        encode_value(&mut b, &ours.into(), ctx).unwrap();
        let theirs = BoltStruct::from_value(&packstream::decode(&b).unwrap(), ctx)
            .unwrap()
            .unwrap();
        assert_eq!(
            theirs,
            BoltStruct::DateTime(bs::DateTime {
                seconds: 1_700_000_000,
                nanoseconds: 9,
                tz_offset_seconds: -7200
            })
        );
    }
}

fn bolt_bytes(values: &[packstream::Value]) -> Vec<u8> {
    packstream::Value::List(values.to_vec()).to_bytes().unwrap()
}

fn props(pairs: &[(&str, i64)]) -> packstream::Map {
    pairs.iter().map(|(k, v)| (*k, *v)).collect()
}

#[test]
fn graph_values_from_bolt_proto_structures() {
    for ctx in ctxs() {
        let e = ctx.element_ids();
        let eid = |s: &str| e.then(|| s.to_owned());
        let node = |id: i64, name: &str| bs::Node {
            id,
            labels: vec!["Person".into()],
            properties: props(&[("age", id * 10)]),
            element_id: eid(name),
        };
        let rel = bs::Relationship {
            id: 7,
            start_node_id: 1,
            end_node_id: 2,
            rel_type: "KNOWS".into(),
            properties: props(&[("since", 2020)]),
            element_ids: e.then(|| bs::RelationshipElementIds {
                element_id: "r7".into(),
                start_node_element_id: "n1".into(),
                end_node_element_id: "n2".into(),
            }),
        };
        // Path a -[r1]-> b <-[r2]- c : indices [1, 1, -2, 2].
        let unbound = |id: i64| bs::UnboundRelationship {
            id,
            rel_type: "R".into(),
            properties: Default::default(),
            element_id: eid(&format!("r{id}")),
        };
        let path = bs::Path {
            nodes: vec![node(1, "n1"), node(2, "n2"), node(3, "n3")],
            relationships: vec![unbound(11), unbound(12)],
            indices: vec![1, 1, -2, 2],
        };
        let raw: Vec<packstream::Value> = [
            BoltStruct::Node(node(1, "n1")),
            BoltStruct::Relationship(rel),
            BoltStruct::Path(path),
        ]
        .iter()
        .map(|s| s.to_value(ctx).unwrap())
        .collect();
        let vals = decode_record_fields(&bolt_bytes(&raw), ctx).unwrap();

        let n = vals[0].as_node().unwrap();
        assert_eq!(n.id(), 1);
        assert_eq!(n.element_id(), if e { "n1" } else { "1" });
        assert_eq!(n.labels(), ["Person"]);
        assert_eq!(n.get::<i64>("age").unwrap(), 10);

        let r = vals[1].as_relationship().unwrap();
        assert_eq!(r.rel_type(), "KNOWS");
        assert_eq!((r.start_node_id(), r.end_node_id()), (1, 2));
        let want = if e {
            ("r7", "n1", "n2")
        } else {
            ("7", "1", "2")
        };
        assert_eq!(
            (
                r.element_id(),
                r.start_node_element_id(),
                r.end_node_element_id()
            ),
            want
        );

        let p = vals[2].as_path().unwrap();
        let ids: Vec<i64> = p.nodes().iter().map(Node::id).collect();
        assert_eq!(ids, [1, 2, 3]);
        let r1 = &p.relationships()[0];
        let r2 = &p.relationships()[1];
        assert_eq!((r1.id(), r1.start_node_id(), r1.end_node_id()), (11, 1, 2));
        // Traversed backwards: starts at c, ends at b.
        assert_eq!((r2.id(), r2.start_node_id(), r2.end_node_id()), (12, 3, 2));
        if e {
            assert_eq!(r2.start_node_element_id(), "n3");
        }
        assert_eq!((p.start().id(), p.end().id(), p.len()), (1, 3, 2));

        // Graph values cannot be parameters, and the error names the parameter.
        for v in &vals {
            let mut p = Params::new();
            p.insert("x", v.clone());
            let e = encode_params(&mut Vec::new(), &p, ctx).unwrap_err();
            assert!(
                matches!(e, Error::Conversion { key: Some(ref k), .. } if k == "x"),
                "{e}"
            );
        }
    }
}

#[test]
fn legacy_date_time_from_bolt_proto() {
    let ctx = StructCtx::new(Version::V4_4);
    let raw = BoltStruct::DateTime(bs::DateTime {
        seconds: 100,
        nanoseconds: 1,
        tz_offset_seconds: 60,
    })
    .to_value(ctx)
    .unwrap();
    let v = decode_record_fields(&bolt_bytes(&[raw]), ctx).unwrap();
    assert_eq!(v[0], DateTime::from_timestamp(100, 1, 60).unwrap().into());
}

#[test]
fn malformed_input_is_a_protocol_error() {
    let ctx = StructCtx::new(Version::V5_0);
    let cases: &[&[u8]] = &[
        &[],                                                  // nothing
        &[0x91],                                              // list of one, missing
        &[0x91, 0xC4],                                        // reserved marker
        &[0x91, 0x01, 0x02],                                  // trailing byte
        &[0x91, 0xB1, 0x7A, 0x01],                            // unknown tag
        &[0x91, 0xB2, 0x44, 0x01, 0x02],                      // Date with two fields
        &[0x91, 0xB1, 0x44, 0x81, b'x'],                      // Date with a string
        &[0x91, 0xB1, 0x74, 0xCB, 0x7F, 0, 0, 0, 0, 0, 0, 0], // LocalTime out of range
        &[0x91, 0xB3, 0x4E, 0x01, 0x90, 0xA0],                // Node without element id in 5.0
        &[0x91, 0xB3, 0x72, 0x01, 0x81, b'R', 0xA0],          // bare unbound relationship
        &[0x91, 0xD6, 0xFF, 0xFF, 0xFF, 0xFF],                // huge list header
        &[0x91, 0x81, 0xFF],                                  // invalid UTF-8
    ];
    for bytes in cases {
        let e = decode_record_fields(bytes, ctx).unwrap_err();
        assert!(matches!(e, Error::Protocol(_)), "{bytes:02X?}: {e}");
    }
    // Nesting beyond the limit.
    let mut deep = vec![0x91; 200];
    deep.push(0xC0);
    assert!(matches!(
        decode_record_fields(&deep, ctx),
        Err(Error::Protocol(_))
    ));
    // A path whose indices point nowhere.
    let path = BoltStruct::Path(bs::Path {
        nodes: vec![bs::Node {
            element_id: Some("a".into()),
            ..Default::default()
        }],
        relationships: vec![],
        indices: vec![1, 0],
    })
    .to_value(ctx)
    .unwrap();
    let e = decode_record_fields(&bolt_bytes(&[path]), ctx).unwrap_err();
    assert!(e.to_string().contains("relationship index 1"), "{e}");
}

proptest! {
    #[test]
    fn decoding_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        for ctx in ctxs() {
            let _ = decode_record_fields(&bytes, ctx);
        }
    }

    #[test]
    fn scalar_trees_round_trip(v in arb_value()) {
        for ctx in ctxs() {
            round_trip(vec![v.clone()], ctx);
        }
    }
}

fn arb_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("NaN", |f| !f.is_nan())
            .prop_map(Value::from),
        ".{0,20}".prop_map(Value::from),
        proptest::collection::vec(any::<u8>(), 0..20).prop_map(Value::Bytes),
        any::<i32>().prop_map(|d| Date::from_days_since_epoch(d.into()).into()),
        (any::<i64>(), 0..1_000_000_000u32, -86_399..86_400i32)
            .prop_map(|(s, n, o)| DateTime::from_timestamp(s / 2, n, o).unwrap().into()),
    ];
    leaf.prop_recursive(3, 32, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::List),
            proptest::collection::vec(("[a-z]{1,4}", inner), 0..6)
                .prop_map(|kv| Value::Map(kv.into_iter().collect())),
        ]
    })
}

#[test]
fn params_from_macro_map_and_serde() {
    let p = params! { "name" => "Alice", "age" => 33, "tags" => vec!["a"], "none" => None::<i64> };
    assert_eq!(
        p.as_map().keys().collect::<Vec<_>>(),
        ["name", "age", "tags", "none"]
    );
    assert!(p.get("none").unwrap().is_null());

    let h: std::collections::HashMap<&str, i64> = [("x", 1)].into_iter().collect();
    assert_eq!(Params::from(h).get("x"), Some(&Value::Integer(1)));

    #[derive(serde::Serialize)]
    struct Person {
        name: String,
        born: Date,
        #[serde(with = "serde_bytes_like")]
        blob: Vec<u8>,
        nested: Inner,
    }
    #[derive(serde::Serialize)]
    struct Inner {
        big: u64,
    }
    mod serde_bytes_like {
        pub fn serialize<S: serde::Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
            s.serialize_bytes(v)
        }
    }
    let person = Person {
        name: "Ada".into(),
        born: Date::from_ymd(1815, 12, 10).unwrap(),
        blob: vec![1, 2],
        nested: Inner { big: 5 },
    };
    let p = Params::from_serialize(&person).unwrap();
    assert_eq!(p.get("born").unwrap().type_name(), "Date");
    assert_eq!(p.get("blob"), Some(&Value::Bytes(vec![1, 2])));
    let too_big = Person {
        nested: Inner { big: u64::MAX },
        ..person
    };
    let e = Params::from_serialize(&too_big).unwrap_err();
    assert!(
        matches!(e, Error::Conversion { key: Some(ref k), .. } if k == "nested.big"),
        "{e:?}"
    );
}

fn person_record() -> Record {
    let node = Node::new(
        "4:db:1",
        ["Person"],
        [("name", Value::from("Ada")), ("born", 1815.into())]
            .into_iter()
            .collect(),
    );
    Record::__from_parts(
        &["p", "score", "tags", "when"],
        vec![
            node.into(),
            0.5.into(),
            vec!["x", "y"].into(),
            Date::from_ymd(2024, 1, 2).unwrap().into(),
        ],
    )
}

#[test]
fn record_access_and_errors_name_the_key() {
    let r = person_record();
    assert_eq!(r.get::<f64>("score").unwrap(), 0.5);
    assert_eq!(r.get::<Vec<String>>("tags").unwrap(), ["x", "y"]);
    assert_eq!(
        r.get::<Node>("p").unwrap().get::<String>("name").unwrap(),
        "Ada"
    );
    assert_eq!(r.get_at::<Date>(3).unwrap().to_string(), "2024-01-02");
    let e = r.get::<i64>("score").unwrap_err();
    assert_eq!(
        e.to_string(),
        "cannot convert `score`: expected Integer, found Float"
    );
    let e = r.get::<i64>("nope").unwrap_err();
    assert!(matches!(e, Error::Conversion { key: Some(ref k), .. } if k == "nope"));
    let pairs: Vec<(&str, &Value)> = r.iter().collect();
    assert_eq!(pairs[1], ("score", &Value::Float(0.5)));
    assert_eq!(r["score"], Value::Float(0.5));
}

#[test]
fn record_to_struct() {
    #[derive(serde::Deserialize, Debug)]
    struct Person {
        name: String,
        born: i32,
        element_id: String,
        labels: Vec<String>,
    }
    #[derive(serde::Deserialize, Debug)]
    struct Row {
        p: Person,
        score: f64,
        tags: Vec<String>,
        when: chrono::NaiveDate,
    }
    let row: Row = person_record().to().unwrap();
    assert_eq!((row.p.name.as_str(), row.p.born), ("Ada", 1815));
    assert_eq!(row.p.element_id, "4:db:1");
    assert_eq!(row.p.labels, ["Person"]);
    assert_eq!(row.score, 0.5);
    assert_eq!(row.tags, ["x", "y"]);
    assert_eq!(
        row.when,
        chrono::NaiveDate::from_ymd_opt(2024, 1, 2).unwrap()
    );

    // Tuples read values in order.
    let (_, score): (Value, f64) = Record::__from_parts(&["a", "b"], vec![Value::Null, 2.0.into()])
        .to()
        .unwrap();
    assert_eq!(score, 2.0);

    // Errors name the key path.
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Bad {
        p: BadPerson,
    }
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct BadPerson {
        name: i64,
    }
    let e = person_record().to::<Bad>().unwrap_err();
    assert!(
        matches!(e, Error::Conversion { key: Some(ref k), .. } if k == "p.name"),
        "{e:?}"
    );
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Missing {
        absent: i64,
    }
    let e = person_record().to::<Missing>().unwrap_err();
    assert!(e.to_string().contains("absent"), "{e}");
}

#[test]
fn chrono_values_through_records_and_params() {
    use chrono::{FixedOffset, NaiveDate, TimeZone, Utc};
    let off = FixedOffset::east_opt(3600).unwrap();
    let t = off.with_ymd_and_hms(2024, 5, 6, 7, 8, 9).unwrap();
    let p = params! {
        "d" => NaiveDate::from_ymd_opt(2000, 1, 1).unwrap(),
        "t" => t,
        "u" => Utc.with_ymd_and_hms(2024, 5, 6, 6, 8, 9).unwrap(),
        "dur" => chrono::TimeDelta::try_seconds(90).unwrap(),
    };
    for ctx in ctxs() {
        let mut buf = Vec::new();
        packstream::encode::write_list_header(&mut buf, 1).unwrap();
        encode_params(&mut buf, &p, ctx).unwrap();
        let vals = decode_record_fields(&buf, ctx).unwrap();
        let r = Record::__from_parts(&["m"], vals);
        let m: ValueMap = r.get("m").unwrap();
        let back: chrono::DateTime<FixedOffset> =
            m.get("t").unwrap().clone().try_into_type().unwrap();
        assert_eq!(back, t);
        let u: chrono::DateTime<Utc> = m.get("u").unwrap().clone().try_into_type().unwrap();
        assert_eq!(u, t);
        let d: NaiveDate = m.get("d").unwrap().clone().try_into_type().unwrap();
        assert_eq!(d.to_string(), "2000-01-01");
        let dur: chrono::TimeDelta = m.get("dur").unwrap().clone().try_into_type().unwrap();
        assert_eq!(dur.num_seconds(), 90);
    }
}

#[test]
fn value_serializes_to_json_readably() {
    let v: Value = [
        ("d", Value::from(Date::from_ymd(2024, 1, 2).unwrap())),
        ("n", 1.into()),
    ]
    .into_iter()
    .collect::<ValueMap>()
    .into();
    assert_eq!(
        serde_json::to_string(&v).unwrap(),
        r#"{"d":"2024-01-02","n":1}"#
    );
    let back: Value = serde_json::from_str(r#"{"a":[1,2.5,null,"x"]}"#).unwrap();
    assert_eq!(
        back.as_map()
            .unwrap()
            .get("a")
            .unwrap()
            .as_list()
            .unwrap()
            .len(),
        4
    );
}
