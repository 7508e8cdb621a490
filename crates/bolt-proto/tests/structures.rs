//! Structures: byte-exact vectors per version and date-time form, typed
//! errors, unknown tags, and proptest round-trips in every context.

use bolt_proto::structure::*;
use bolt_proto::Version;
use packstream::{Map, Structure, Value};
use proptest::prelude::*;

fn bytes(b: &BoltStruct, ctx: StructCtx) -> Vec<u8> {
    b.to_value(ctx).unwrap().to_bytes().unwrap()
}

fn back(b: &[u8], ctx: StructCtx) -> BoltStruct {
    let v = packstream::decode(b).unwrap();
    BoltStruct::from_value(&v, ctx).unwrap().unwrap()
}

fn s(x: &str) -> Vec<u8> {
    let mut v = vec![0x80 + x.len() as u8];
    v.extend_from_slice(x.as_bytes());
    v
}

const V44: StructCtx = StructCtx {
    version: Version::V4_4,
    utc_patch: false,
};
const V44_UTC: StructCtx = StructCtx {
    version: Version::V4_4,
    utc_patch: true,
};
const V5: StructCtx = StructCtx {
    version: Version::V5_0,
    utc_patch: false,
};

#[test]
fn node_before_and_after_element_ids() {
    let mut props = Map::new();
    props.insert("name", "Bob");
    let n = Node {
        id: 1,
        labels: vec!["Person".into()],
        properties: props,
        element_id: None,
    };
    let expected = [
        &[0xB3, 0x4E, 0x01, 0x91][..],
        &s("Person"),
        &[0xA1],
        &s("name"),
        &s("Bob"),
    ]
    .concat();
    assert_eq!(bytes(&BoltStruct::Node(n.clone()), V44), expected);
    assert_eq!(back(&expected, V44), BoltStruct::Node(n.clone()));
    // 5.0: a fourth field, the element id.
    let n5 = Node {
        element_id: Some("4:x:1".into()),
        ..n.clone()
    };
    let expected5 = [&expected[..], &s("4:x:1")].concat();
    let mut expected5 = expected5;
    expected5[0] = 0xB4;
    assert_eq!(bytes(&BoltStruct::Node(n5.clone()), V5), expected5);
    assert_eq!(back(&expected5, V5), BoltStruct::Node(n5.clone()));
    // Each shape is refused by the other version.
    assert!(matches!(
        BoltStruct::Node(n5).to_structure(V44),
        Err(StructureError::NotInVersion { .. })
    ));
    assert!(BoltStruct::Node(n).to_structure(V5).is_err());
    let v = packstream::decode(&expected).unwrap();
    assert!(matches!(
        BoltStruct::from_value(&v, V5),
        Err(StructureError::FieldCount {
            expected: 4,
            found: 3,
            ..
        })
    ));
}

#[test]
fn relationship_and_path() {
    let r = Relationship {
        id: 7,
        start_node_id: 1,
        end_node_id: 2,
        rel_type: "KNOWS".into(),
        properties: Map::new(),
        element_ids: None,
    };
    let expected = [&[0xB5, 0x52, 0x07, 0x01, 0x02][..], &s("KNOWS"), &[0xA0]].concat();
    assert_eq!(bytes(&BoltStruct::Relationship(r.clone()), V44), expected);
    let r5 = Relationship {
        element_ids: Some(RelationshipElementIds {
            element_id: "5:7".into(),
            start_node_element_id: "4:1".into(),
            end_node_element_id: "4:2".into(),
        }),
        ..r
    };
    let b = bytes(&BoltStruct::Relationship(r5.clone()), V5);
    assert_eq!(b[0], 0xB8);
    assert_eq!(back(&b, V5), BoltStruct::Relationship(r5));

    let path = Path {
        nodes: vec![
            Node {
                id: 1,
                ..Default::default()
            },
            Node {
                id: 2,
                ..Default::default()
            },
        ],
        relationships: vec![UnboundRelationship {
            id: 7,
            rel_type: "R".into(),
            properties: Map::new(),
            element_id: None,
        }],
        indices: vec![1, 1],
    };
    let b = bytes(&BoltStruct::Path(path.clone()), V44);
    let expected = [
        &[0xB3, 0x50, 0x92][..],
        &[0xB3, 0x4E, 0x01, 0x90, 0xA0],
        &[0xB3, 0x4E, 0x02, 0x90, 0xA0],
        &[0x91, 0xB3, 0x72, 0x07],
        &s("R"),
        &[0xA0],
        &[0x92, 0x01, 0x01],
    ]
    .concat();
    assert_eq!(b, expected);
    assert_eq!(back(&b, V44), BoltStruct::Path(path));
}

#[test]
fn temporal_vectors() {
    let date = BoltStruct::Date(Date { days: 19000 });
    assert_eq!(bytes(&date, V44), [0xB1, 0x44, 0xC9, 0x4A, 0x38]);
    let time = BoltStruct::Time(Time {
        nanoseconds: 1,
        tz_offset_seconds: 3600,
    });
    assert_eq!(bytes(&time, V5), [0xB2, 0x54, 0x01, 0xC9, 0x0E, 0x10]);
    let lt = BoltStruct::LocalTime(LocalTime { nanoseconds: 100 });
    assert_eq!(bytes(&lt, V5), [0xB1, 0x74, 0x64]);
    let ldt = BoltStruct::LocalDateTime(LocalDateTime {
        seconds: 1,
        nanoseconds: 2,
    });
    assert_eq!(bytes(&ldt, V5), [0xB2, 0x64, 0x01, 0x02]);
    let dur = BoltStruct::Duration(Duration {
        months: 1,
        days: 2,
        seconds: 3,
        nanoseconds: 4,
    });
    assert_eq!(bytes(&dur, V5), [0xB4, 0x45, 0x01, 0x02, 0x03, 0x04]);
    // Bolt 1 has no temporal types.
    assert!(matches!(
        date.to_structure(StructCtx::new(Version::V1)),
        Err(StructureError::NotInVersion { .. })
    ));
    assert!(matches!(
        back(&[0xB1, 0x44, 0x01], StructCtx::new(Version::V1)),
        BoltStruct::Unknown(_)
    ));
}

#[test]
fn date_time_forms() {
    // 1970-01-01T01:00:00+01:00 = 0 seconds UTC.
    let dt = BoltStruct::DateTime(DateTime {
        seconds: 0,
        nanoseconds: 5,
        tz_offset_seconds: 3600,
    });
    let legacy = [0xB3, 0x46, 0xC9, 0x0E, 0x10, 0x05, 0xC9, 0x0E, 0x10];
    let utc = [0xB3, 0x49, 0x00, 0x05, 0xC9, 0x0E, 0x10];
    assert_eq!(bytes(&dt, V44), legacy);
    assert_eq!(bytes(&dt, StructCtx::new(Version::V2)), legacy);
    assert_eq!(bytes(&dt, V44_UTC), utc);
    assert_eq!(
        bytes(&dt, StructCtx::new(Version::V4_3).with_utc_patch(true)),
        utc
    );
    assert_eq!(bytes(&dt, V5), utc);
    // The patch means nothing before 4.3.
    assert_eq!(
        bytes(&dt, StructCtx::new(Version::V4_2).with_utc_patch(true)),
        legacy
    );
    assert_eq!(back(&legacy, V44), dt);
    assert_eq!(back(&utc, V5), dt);
    // The other form's tag is not a DateTime in this context.
    assert!(matches!(back(&legacy, V5), BoltStruct::Unknown(_)));
    assert!(matches!(back(&utc, V44), BoltStruct::Unknown(_)));

    let z = DateTimeZoneId {
        seconds: 10,
        nanoseconds: 0,
        tz_id: "Europe/Paris".into(),
        form: DateTimeForm::Utc,
    };
    let b = bytes(&BoltStruct::DateTimeZoneId(z.clone()), V5);
    assert_eq!(b[..3], [0xB3, 0x69, 0x0A]);
    assert_eq!(back(&b, V5), BoltStruct::DateTimeZoneId(z.clone()));
    assert!(BoltStruct::DateTimeZoneId(z.clone())
        .to_structure(V44)
        .is_err());
    let local = DateTimeZoneId {
        form: DateTimeForm::Local,
        ..z
    };
    let b = bytes(&BoltStruct::DateTimeZoneId(local.clone()), V44);
    assert_eq!(b[..2], [0xB3, 0x66]);
    assert_eq!(back(&b, V44), BoltStruct::DateTimeZoneId(local));

    // Overflow converting forms is an error, not a panic.
    let big = Structure {
        tag: 0x46,
        fields: vec![i64::MIN.into(), 0.into(), 1.into()],
    };
    assert!(matches!(
        BoltStruct::from_structure(&big, V44),
        Err(StructureError::OutOfRange { .. })
    ));
}

#[test]
fn points() {
    let p = BoltStruct::Point2D(Point2D {
        srid: 4326,
        x: 1.0,
        y: 2.0,
    });
    let mut expected = vec![0xB3, 0x58, 0xC9, 0x10, 0xE6, 0xC1];
    expected.extend(1.0f64.to_be_bytes());
    expected.push(0xC1);
    expected.extend(2.0f64.to_be_bytes());
    assert_eq!(bytes(&p, V44), expected);
    let p3 = BoltStruct::Point3D(Point3D {
        srid: 9157,
        x: 1.0,
        y: 2.0,
        z: 3.0,
    });
    let b = bytes(&p3, StructCtx::new(Version::V2));
    assert_eq!(b[..2], [0xB4, 0x59]);
    assert_eq!(back(&b, V5), p3);
}

#[test]
fn unknown_and_malformed() {
    let raw = Structure {
        tag: 0x7A,
        fields: vec![1.into()],
    };
    assert_eq!(
        BoltStruct::from_structure(&raw, V5).unwrap(),
        BoltStruct::Unknown(raw.clone())
    );
    assert_eq!(
        BoltStruct::Unknown(raw.clone()).to_structure(V5).unwrap(),
        raw
    );
    let bad = Structure {
        tag: 0x58,
        fields: vec![1.into(), 1.into(), 2.0.into()],
    };
    assert!(matches!(
        BoltStruct::from_structure(&bad, V5),
        Err(StructureError::FieldType { field: "x", .. })
    ));
    assert_eq!(BoltStruct::from_value(&Value::Null, V5).unwrap(), None);
}

// ---------------------------------------------------------------- proptest

fn arb_ctx() -> impl Strategy<Value = StructCtx> {
    (proptest::sample::select(Version::ALL), any::<bool>())
        .prop_map(|(v, p)| StructCtx::new(v).with_utc_patch(p))
}

fn arb_props() -> impl Strategy<Value = Map> {
    proptest::collection::vec(("[a-z]{1,5}", any::<i64>()), 0..3)
        .prop_map(|kv| kv.into_iter().collect())
}

fn arb_node(e: bool) -> impl Strategy<Value = Node> {
    (
        any::<i64>(),
        proptest::collection::vec("[A-Z][a-z]{0,5}", 0..3),
        arb_props(),
        "[0-9a-z:]{1,8}",
    )
        .prop_map(move |(id, labels, properties, eid)| Node {
            id,
            labels,
            properties,
            element_id: e.then_some(eid),
        })
}

fn arb_unbound(e: bool) -> impl Strategy<Value = UnboundRelationship> {
    (any::<i64>(), "[A-Z]{1,6}", arb_props(), "[0-9a-z:]{1,8}").prop_map(
        move |(id, rel_type, properties, eid)| UnboundRelationship {
            id,
            rel_type,
            properties,
            element_id: e.then_some(eid),
        },
    )
}

fn finite() -> impl Strategy<Value = f64> {
    any::<f64>().prop_filter("NaN", |f| !f.is_nan())
}

fn arb_struct(ctx: StructCtx) -> BoxedStrategy<BoltStruct> {
    let e = ctx.element_ids();
    let form = DateTimeForm::of(ctx);
    let graph = prop_oneof![
        arb_node(e).prop_map(BoltStruct::Node),
        (
            any::<i64>(),
            any::<i64>(),
            any::<i64>(),
            "[A-Z]{1,6}",
            arb_props(),
            ("[a-z0-9:]{1,6}", "[a-z0-9:]{1,6}", "[a-z0-9:]{1,6}")
        )
            .prop_map(move |(id, s_, t, rel_type, properties, (a, b, c))| {
                BoltStruct::Relationship(Relationship {
                    id,
                    start_node_id: s_,
                    end_node_id: t,
                    rel_type,
                    properties,
                    element_ids: e.then_some(RelationshipElementIds {
                        element_id: a,
                        start_node_element_id: b,
                        end_node_element_id: c,
                    }),
                })
            }),
        arb_unbound(e).prop_map(BoltStruct::UnboundRelationship),
        (
            proptest::collection::vec(arb_node(e), 0..3),
            proptest::collection::vec(arb_unbound(e), 0..3),
            proptest::collection::vec(any::<i64>(), 0..5)
        )
            .prop_map(|(nodes, relationships, indices)| BoltStruct::Path(Path {
                nodes,
                relationships,
                indices
            })),
        (0u8..=255, proptest::collection::vec(any::<i64>(), 0..4)).prop_map(|(t, f)| {
            // Only tags this crate never interprets stay Unknown.
            BoltStruct::Unknown(Structure::new(
                if b"NRrPDTtIiFfdEXY".contains(&t) {
                    0x01
                } else {
                    t
                },
                f.into_iter().map(Value::from).collect(),
            ))
        }),
    ];
    if ctx.version < Version::V2 {
        return graph.boxed();
    }
    // Legacy date-times store local seconds: keep the sum in range.
    let secs = -(1i64 << 40)..(1i64 << 40);
    let temporal =
        prop_oneof![
            any::<i64>().prop_map(|days| BoltStruct::Date(Date { days })),
            (any::<i64>(), any::<i64>()).prop_map(|(nanoseconds, tz_offset_seconds)| {
                BoltStruct::Time(Time {
                    nanoseconds,
                    tz_offset_seconds,
                })
            }),
            any::<i64>().prop_map(|nanoseconds| BoltStruct::LocalTime(LocalTime { nanoseconds })),
            (secs.clone(), any::<i64>(), -86_400i64..86_400).prop_map(
                |(seconds, nanoseconds, tz_offset_seconds)| BoltStruct::DateTime(DateTime {
                    seconds,
                    nanoseconds,
                    tz_offset_seconds
                })
            ),
            (any::<i64>(), any::<i64>(), "[A-Za-z/_]{1,20}").prop_map(
                move |(seconds, nanoseconds, tz_id)| BoltStruct::DateTimeZoneId(DateTimeZoneId {
                    seconds,
                    nanoseconds,
                    tz_id,
                    form
                })
            ),
            (any::<i64>(), any::<i64>()).prop_map(|(seconds, nanoseconds)| {
                BoltStruct::LocalDateTime(LocalDateTime {
                    seconds,
                    nanoseconds,
                })
            }),
            (any::<i64>(), any::<i64>(), any::<i64>(), any::<i64>()).prop_map(
                |(months, days, seconds, nanoseconds)| BoltStruct::Duration(Duration {
                    months,
                    days,
                    seconds,
                    nanoseconds
                })
            ),
            (any::<i64>(), finite(), finite())
                .prop_map(|(srid, x, y)| BoltStruct::Point2D(Point2D { srid, x, y })),
            (any::<i64>(), finite(), finite(), finite())
                .prop_map(|(srid, x, y, z)| BoltStruct::Point3D(Point3D { srid, x, y, z })),
        ];
    prop_oneof![graph, temporal].boxed()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn structure_round_trip((ctx, st) in arb_ctx().prop_flat_map(|c| (Just(c), arb_struct(c)))) {
        let b = bytes(&st, ctx);
        prop_assert_eq!(back(&b, ctx), st);
    }

    #[test]
    fn arbitrary_structures_never_panic(
        ctx in arb_ctx(),
        tag in any::<u8>(),
        fields in proptest::collection::vec(
            prop_oneof![any::<i64>().prop_map(Value::from), Just(Value::Null), "[a-z]{0,3}".prop_map(Value::from),
                        Just(Value::List(vec![Value::Null])), Just(Value::Map(Map::new()))], 0..9),
    ) {
        let _ = BoltStruct::from_structure(&Structure::new(tag, fields), ctx);
    }
}
