//! Messages: byte-exact vectors per version, version gating, proptest
//! round-trips, and arbitrary bytes into the decoders.

use bolt_proto::message::*;
use bolt_proto::Version;
use packstream::{Map, Value};
use proptest::prelude::*;

/// A tiny string (< 16 bytes): marker and UTF-8.
fn s(x: &str) -> Vec<u8> {
    assert!(x.len() < 16);
    let mut v = vec![0x80 + x.len() as u8];
    v.extend_from_slice(x.as_bytes());
    v
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

fn enc(r: &Request, v: Version) -> Vec<u8> {
    let mut buf = Vec::new();
    r.encode(v, &mut buf)
        .unwrap_or_else(|e| panic!("{r:?} on {v}: {e}"));
    buf
}

fn enc_rsp(r: &Response, v: Version) -> Vec<u8> {
    let mut buf = Vec::new();
    r.encode(v, &mut buf).unwrap();
    buf
}

fn map(entries: &[(&str, Value)]) -> Map {
    entries
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

fn basic_auth() -> Map {
    map(&[
        ("scheme", "basic".into()),
        ("principal", "u".into()),
        ("credentials", "p".into()),
    ])
}

#[test]
fn no_field_requests_are_two_bytes() {
    for v in Version::ALL.iter().copied() {
        assert_eq!(enc(&Request::Reset, v), [0xB0, 0x0F]);
        if v.has_hello() {
            assert_eq!(enc(&Request::Goodbye, v), [0xB0, 0x02]);
            assert_eq!(enc(&Request::Commit, v), [0xB0, 0x12]);
            assert_eq!(enc(&Request::Rollback, v), [0xB0, 0x13]);
        }
        if v.is_legacy() {
            assert_eq!(enc(&Request::AckFailure, v), [0xB0, 0x0E]);
        }
        if v.has_logon() {
            assert_eq!(enc(&Request::Logoff, v), [0xB0, 0x6B]);
        }
        if !v.has_pull_n() {
            assert_eq!(enc(&Request::Pull(Pull::all()), v), [0xB0, 0x3F]);
            assert_eq!(enc(&Request::Discard(Pull::all()), v), [0xB0, 0x2F]);
        }
    }
}

#[test]
fn init_v1() {
    let init = Request::Init(Init {
        user_agent: "x".into(),
        auth: map(&[("scheme", "none".into())]),
    });
    let expected = cat(&[&[0xB2, 0x01], &s("x"), &[0xA1], &s("scheme"), &s("none")]);
    assert_eq!(enc(&init, Version::V1), expected);
    assert_eq!(enc(&init, Version::V2), expected);
    assert_eq!(Request::decode(&expected, Version::V1).unwrap(), init);
    // INIT is gone from 3.0, where tag 0x01 is HELLO.
    assert!(matches!(
        init.clone().encode(Version::V3_0, &mut Vec::new()),
        Err(EncodeError::NotInVersion {
            message: "INIT",
            ..
        })
    ));
    assert!(Request::decode(&expected, Version::V3_0).is_err());
}

#[test]
fn hello_3_0_merges_auth() {
    let mut hello = Hello::new("x");
    hello.auth = Some(basic_auth());
    let r = Request::Hello(hello.clone());
    let expected = cat(&[
        &[0xB1, 0x01, 0xA4],
        &[0x8A],
        b"user_agent",
        &s("x"),
        &s("scheme"),
        &s("basic"),
        &s("principal"),
        &s("u"),
        &[0x8B],
        b"credentials",
        &s("p"),
    ]);
    assert_eq!(enc(&r, Version::V3_0), expected);
    assert_eq!(Request::decode(&expected, Version::V3_0).unwrap(), r);
    // From 5.1 the auth goes to LOGON.
    assert!(matches!(
        r.encode(Version::V5_1, &mut Vec::new()),
        Err(EncodeError::FieldNotInVersion { field: "auth", .. })
    ));
}

#[test]
fn hello_routing_patch_agent_notifications_by_version() {
    let mut h = Hello::new("x");
    h.routing = Some(map(&[("address", "a:1".into())]));
    // routing: 4.1+
    assert!(Request::Hello(h.clone())
        .encode(Version::V4_0, &mut Vec::new())
        .is_err());
    let b = enc(&Request::Hello(h.clone()), Version::V4_1);
    let expected = cat(&[
        &[0xB1, 0x01, 0xA2, 0x8A],
        b"user_agent",
        &s("x"),
        &s("routing"),
        &[0xA1],
        &s("address"),
        &s("a:1"),
    ]);
    assert_eq!(b, expected);

    // patch_bolt: 4.3–4.4 only
    let mut p = Hello::new("x");
    p.patch_bolt = vec!["utc".into()];
    let b = enc(&Request::Hello(p.clone()), Version::V4_4);
    let expected = cat(&[
        &[0xB1, 0x01, 0xA2, 0x8A],
        b"user_agent",
        &s("x"),
        &s("patch_bolt"),
        &[0x91],
        &s("utc"),
    ]);
    assert_eq!(b, expected);
    assert_eq!(
        Request::decode(&b, Version::V4_4).unwrap(),
        Request::Hello(p.clone())
    );
    for v in [Version::V4_2, Version::V5_0] {
        assert!(matches!(
            Request::Hello(p.clone()).encode(v, &mut Vec::new()),
            Err(EncodeError::FieldNotInVersion {
                field: "patch_bolt",
                ..
            })
        ));
    }

    // bolt_agent: 5.3+
    let mut a = Hello::new("x");
    a.bolt_agent = Some(BoltAgent {
        product: "p/1".into(),
        ..Default::default()
    });
    assert!(Request::Hello(a.clone())
        .encode(Version::V5_2, &mut Vec::new())
        .is_err());
    let b = enc(&Request::Hello(a.clone()), Version::V5_3);
    let expected = cat(&[
        &[0xB1, 0x01, 0xA2, 0x8A],
        b"user_agent",
        &s("x"),
        &s("bolt_agent"),
        &[0xA1],
        &s("product"),
        &s("p/1"),
    ]);
    assert_eq!(b, expected);

    // notification filters: 5.2+, categories renamed from 5.5
    let mut n = Hello::new("x");
    n.notifications.disabled_categories = Some(vec!["HINT".into()]);
    assert!(Request::Hello(n.clone())
        .encode(Version::V5_1, &mut Vec::new())
        .is_err());
    let b52 = enc(&Request::Hello(n.clone()), Version::V5_2);
    assert!(b52
        .windows(33)
        .any(|w| w == b"notifications_disabled_categories"));
    let b56 = enc(&Request::Hello(n.clone()), Version::V5_6);
    assert!(b56
        .windows(38)
        .any(|w| w == b"notifications_disabled_classifications"));
    assert_eq!(
        Request::decode(&b56, Version::V5_6).unwrap(),
        Request::Hello(n)
    );
}

#[test]
fn logon_and_telemetry() {
    let l = Request::Logon(Logon {
        auth: map(&[("scheme", "none".into())]),
    });
    let expected = cat(&[&[0xB1, 0x6A, 0xA1], &s("scheme"), &s("none")]);
    assert_eq!(enc(&l, Version::V5_1), expected);
    assert!(matches!(
        l.encode(Version::V5_0, &mut Vec::new()),
        Err(EncodeError::NotInVersion {
            message: "LOGON",
            ..
        })
    ));
    assert!(matches!(
        Request::decode(&expected, Version::V5_0),
        Err(DecodeError::NotInVersion {
            message: "LOGON",
            ..
        })
    ));
    let t = Request::Telemetry(Telemetry { api: 3 });
    assert_eq!(enc(&t, Version::V5_4), [0xB1, 0x54, 0x03]);
    assert!(t.encode(Version::V5_3, &mut Vec::new()).is_err());
}

#[test]
fn run_per_version() {
    let mut run = Run::new("RETURN 1");
    run.parameters.insert("x", 1);
    let q = cat(&[&[0x88], b"RETURN 1"]);
    let params = cat(&[&[0xA1], &s("x"), &[0x01]]);
    // Bolt 1–2: two fields.
    let v1 = cat(&[&[0xB2, 0x10], &q, &params]);
    assert_eq!(enc(&Request::Run(run.clone()), Version::V1), v1);
    assert_eq!(
        Request::decode(&v1, Version::V2).unwrap(),
        Request::Run(run.clone())
    );
    // 3.0+: extra map.
    let v3 = cat(&[&[0xB3, 0x10], &q, &params, &[0xA0]]);
    assert_eq!(enc(&Request::Run(run.clone()), Version::V3_0), v3);
    assert_eq!(enc(&Request::Run(run.clone()), Version::V5_8), v3);
    // Wrong field count for the version:
    assert!(matches!(
        Request::decode(&v3, Version::V1),
        Err(DecodeError::FieldCount {
            expected: 2,
            found: 3,
            ..
        })
    ));

    let mut full = run.clone();
    full.tx.bookmarks = vec!["b1".into()];
    full.tx.tx_timeout = Some(1000);
    full.tx.mode = AccessMode::Read;
    full.tx.db = Some("neo4j".into());
    full.tx.imp_user = Some("bob".into());
    let b = enc(&Request::Run(full.clone()), Version::V4_4);
    let extra = cat(&[
        &[0xA5],
        &s("bookmarks"),
        &[0x91],
        &s("b1"),
        &s("tx_timeout"),
        &[0xC9, 0x03, 0xE8],
        &s("mode"),
        &s("r"),
        &s("db"),
        &s("neo4j"),
        &s("imp_user"),
        &s("bob"),
    ]);
    assert_eq!(b, cat(&[&[0xB3, 0x10], &q, &params, &extra]));
    assert_eq!(
        Request::decode(&b, Version::V4_4).unwrap(),
        Request::Run(full.clone())
    );
    // imp_user needs 4.4, db needs 4.0, any extra needs 3.0.
    assert!(matches!(
        Request::Run(full.clone()).encode(Version::V4_3, &mut Vec::new()),
        Err(EncodeError::FieldNotInVersion {
            field: "imp_user",
            ..
        })
    ));
    full.tx.imp_user = None;
    assert!(matches!(
        Request::Run(full.clone()).encode(Version::V3_0, &mut Vec::new()),
        Err(EncodeError::FieldNotInVersion { field: "db", .. })
    ));
    full.tx.db = None;
    assert!(Request::Run(full.clone())
        .encode(Version::V2, &mut Vec::new())
        .is_err());
}

#[test]
fn begin_4_4_read_db() {
    let mut b = Begin::default();
    b.tx.mode = AccessMode::Read;
    b.tx.db = Some("neo4j".into());
    let expected = cat(&[
        &[0xB1, 0x11, 0xA2],
        &s("mode"),
        &s("r"),
        &s("db"),
        &s("neo4j"),
    ]);
    assert_eq!(enc(&Request::Begin(b.clone()), Version::V4_4), expected);
    assert!(Request::Begin(b)
        .encode(Version::V2, &mut Vec::new())
        .is_err());
}

#[test]
fn pull_and_discard() {
    assert_eq!(
        enc(&Request::Pull(Pull::all()), Version::V4_0),
        cat(&[&[0xB1, 0x3F, 0xA1], &s("n"), &[0xFF]])
    );
    let p = Pull {
        n: 1000,
        qid: Some(2),
        extra: Map::new(),
    };
    let b = enc(&Request::Discard(p.clone()), Version::V5_0);
    assert_eq!(
        b,
        cat(&[
            &[0xB1, 0x2F, 0xA2],
            &s("n"),
            &[0xC9, 0x03, 0xE8],
            &s("qid"),
            &[0x02]
        ])
    );
    assert_eq!(
        Request::decode(&b, Version::V5_0).unwrap(),
        Request::Discard(p.clone())
    );
    // PULL_ALL cannot carry n / qid.
    assert!(matches!(
        Request::Pull(Pull::n(5)).encode(Version::V3_0, &mut Vec::new()),
        Err(EncodeError::InvalidField { field: "n", .. })
    ));
    assert!(Request::Pull(p)
        .encode(Version::V3_0, &mut Vec::new())
        .is_err());
    // PULL without n is refused on decode.
    assert!(matches!(
        Request::decode(&[0xB1, 0x3F, 0xA0], Version::V4_4),
        Err(DecodeError::MissingField { field: "n", .. })
    ));
}

#[test]
fn route_4_3_and_4_4() {
    let r = Route {
        routing: map(&[("address", "h:7687".into())]),
        bookmarks: vec![],
        db: Some("neo4j".into()),
        imp_user: None,
        extra: Map::new(),
    };
    let head = cat(&[&[0xB3, 0x66, 0xA1], &s("address"), &s("h:7687"), &[0x90]]);
    let b43 = enc(&Request::Route(r.clone()), Version::V4_3);
    assert_eq!(b43, cat(&[&head, &s("neo4j")]));
    let b44 = enc(&Request::Route(r.clone()), Version::V4_4);
    assert_eq!(b44, cat(&[&head, &[0xA1], &s("db"), &s("neo4j")]));
    assert_eq!(
        Request::decode(&b43, Version::V4_3).unwrap(),
        Request::Route(r.clone())
    );
    assert_eq!(
        Request::decode(&b44, Version::V5_0).unwrap(),
        Request::Route(r.clone())
    );
    let no_db = Route {
        db: None,
        ..r.clone()
    };
    assert_eq!(
        enc(&Request::Route(no_db), Version::V4_3),
        cat(&[&head, &[0xC0]])
    );
    assert!(matches!(
        Request::Route(r.clone()).encode(Version::V4_2, &mut Vec::new()),
        Err(EncodeError::NotInVersion {
            message: "ROUTE",
            ..
        })
    ));
    let imp = Route {
        imp_user: Some("x".into()),
        ..r
    };
    assert!(Request::Route(imp)
        .encode(Version::V4_3, &mut Vec::new())
        .is_err());
}

#[test]
fn responses() {
    for v in Version::ALL.iter().copied() {
        let mut s_ = Success::default();
        s_.metadata.insert("has_more", true);
        let b = enc_rsp(&Response::Success(s_.clone()), v);
        assert_eq!(b, cat(&[&[0xB1, 0x70, 0xA1], &s("has_more"), &[0xC3]]));
        assert_eq!(
            Response::decode(&b, v).unwrap(),
            Response::Success(s_.clone())
        );
        assert_eq!(enc_rsp(&Response::Ignored, v), [0xB0, 0x7E]);
        let rec = Response::Record(Record {
            fields: vec![1.into(), "a".into()],
        });
        assert_eq!(enc_rsp(&rec, v), [0xB1, 0x71, 0x92, 0x01, 0x81, 0x61]);
    }
    let f = Failure::new("c", "m");
    let old = enc_rsp(&Response::Failure(f.clone()), Version::V5_6);
    assert_eq!(
        old,
        cat(&[
            &[0xB1, 0x7F, 0xA2],
            &s("code"),
            &s("c"),
            &s("message"),
            &s("m")
        ])
    );
    let gql = Failure {
        gql_status: Some("50N42".into()),
        description: Some("d".into()),
        cause: Some(Box::new(FailureCause {
            message: "inner".into(),
            gql_status: "22N01".into(),
            description: "e".into(),
            ..Default::default()
        })),
        ..f.clone()
    };
    let b = enc_rsp(&Response::Failure(gql.clone()), Version::V5_7);
    assert!(b.starts_with(&cat(&[&[0xB1, 0x7F, 0xA5, 0x8A], b"neo4j_code"])));
    assert_eq!(
        Response::decode(&b, Version::V5_7).unwrap(),
        Response::Failure(gql.clone())
    );
    assert!(matches!(
        Response::Failure(gql).encode(Version::V5_6, &mut Vec::new()),
        Err(EncodeError::FieldNotInVersion { .. })
    ));
}

#[test]
fn success_accessors() {
    let mut s_ = Success::default();
    s_.metadata.insert("fields", vec!["a", "b"]);
    s_.metadata.insert("qid", 1);
    s_.metadata.insert("bookmark", "bm");
    assert_eq!(s_.fields(), Some(vec!["a", "b"]));
    assert_eq!(s_.qid(), Some(1));
    assert_eq!(s_.bookmark(), Some("bm"));
    assert!(!s_.has_more());
}

#[test]
fn record_fast_paths_agree() {
    let rec = Record {
        fields: vec![
            1.into(),
            "hello".into(),
            Value::List(vec![1.into(), 2.5.into()]),
            Value::Null,
        ],
    };
    let b = enc_rsp(&Response::Record(rec.clone()), Version::V5_0);
    let view = RecordView::decode(&b).unwrap();
    assert_eq!(view.len(), 4);
    assert_eq!(view.to_owned_values().unwrap(), rec.fields);
    let refs = decode_record_ref(&b).unwrap();
    let owned: Vec<Value> = refs.iter().map(|v| v.to_owned_value()).collect();
    assert_eq!(owned, rec.fields);
    match ResponseRef::decode(&b, Version::V4_4).unwrap() {
        ResponseRef::Record(v) => assert_eq!(v, view),
        other => panic!("{other:?}"),
    }
    // A RECORD announcing more values than it holds is refused up front.
    assert!(RecordView::decode(&[0xB1, 0x71, 0x92, 0x01]).is_err());
    // A bad value: the error surfaces on iteration.
    let bad = [0xB1, 0x71, 0x92, 0x01, 0xC4];
    let v = RecordView::decode(&bad).unwrap();
    assert!(v.iter().any(|r| r.is_err()));
    // Trailing bytes after the last value are reported.
    let trailing = [0xB1, 0x71, 0x91, 0x01, 0x02];
    assert!(RecordView::decode(&trailing).unwrap().values().is_err());
    assert!(Response::decode(&trailing, Version::V5_0).is_err());
}

#[test]
fn typed_decode_errors() {
    // Unknown tag.
    assert!(matches!(
        Request::decode(&[0xB0, 0x55], Version::V5_4),
        Err(DecodeError::UnknownTag {
            tag: 0x55,
            side: Side::Request,
            ..
        })
    ));
    // Wrong field count.
    assert!(matches!(
        Response::decode(&[0xB0, 0x70], Version::V5_0),
        Err(DecodeError::FieldCount { expected: 1, .. })
    ));
    // Wrong field type: SUCCESS with an integer.
    assert!(matches!(
        Response::decode(&[0xB1, 0x70, 0x01], Version::V5_0),
        Err(DecodeError::FieldType {
            message: "SUCCESS",
            ..
        })
    ));
    // RUN with a non-string query.
    assert!(matches!(
        Request::decode(&[0xB3, 0x10, 0x01, 0xA0, 0xA0], Version::V5_0),
        Err(DecodeError::FieldType { field: "query", .. })
    ));
    // Not a structure / truncated.
    assert!(matches!(
        Response::decode(&[0x01], Version::V5_0),
        Err(DecodeError::PackStream(_))
    ));
    assert!(matches!(
        Response::decode(&[0xB1], Version::V5_0),
        Err(DecodeError::PackStream(_))
    ));
    // Bad mode.
    let b = cat(&[&[0xB1, 0x11, 0xA1], &s("mode"), &s("x")]);
    assert!(matches!(
        Request::decode(&b, Version::V4_4),
        Err(DecodeError::InvalidValue { field: "mode", .. })
    ));
}

#[test]
fn encode_error_leaves_buffer_untouched() {
    let mut buf = vec![1, 2, 3];
    let mut run = Run::new("x");
    run.tx.db = Some("d".into());
    assert!(Request::Run(run).encode(Version::V3_0, &mut buf).is_err());
    assert_eq!(buf, [1, 2, 3]);
}

// ---------------------------------------------------------------- proptest

fn arb_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Boolean),
        any::<i64>().prop_map(Value::Integer),
        any::<f64>()
            .prop_filter("NaN != NaN", |f| !f.is_nan())
            .prop_map(Value::Float),
        "[a-z]{0,20}".prop_map(Value::String),
        proptest::collection::vec(any::<u8>(), 0..8).prop_map(Value::Bytes),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::List),
            proptest::collection::vec(("[a-z]{1,6}", inner), 0..4)
                .prop_map(|kv| Value::Map(kv.into_iter().collect())),
        ]
    })
}

/// Maps whose keys cannot clash with modelled entries.
fn arb_extra() -> impl Strategy<Value = Map> {
    proptest::collection::vec(("x_[a-z]{1,6}", arb_value()), 0..3)
        .prop_map(|kv| kv.into_iter().collect())
}

fn arb_params() -> impl Strategy<Value = Map> {
    proptest::collection::vec(("[a-z]{1,8}", arb_value()), 0..4)
        .prop_map(|kv| kv.into_iter().collect())
}

fn arb_strs() -> impl Strategy<Value = Vec<String>> {
    proptest::collection::vec("[a-zA-Z0-9:]{0,10}", 0..3)
}

fn arb_notifications(v: Version) -> BoxedStrategy<NotificationFilter> {
    if !v.has_notification_filters() {
        return Just(NotificationFilter::default()).boxed();
    }
    (
        proptest::option::of("[A-Z]{1,8}"),
        proptest::option::of(arb_strs()),
    )
        .prop_map(
            |(minimum_severity, disabled_categories)| NotificationFilter {
                minimum_severity,
                disabled_categories,
            },
        )
        .boxed()
}

fn arb_tx(v: Version) -> BoxedStrategy<TxExtra> {
    if !v.has_hello() {
        return Just(TxExtra::default()).boxed();
    }
    let opt = |on: bool| -> BoxedStrategy<Option<String>> {
        if on {
            proptest::option::of("[a-z]{1,8}").boxed()
        } else {
            Just(None).boxed()
        }
    };
    (
        arb_strs(),
        proptest::option::of(any::<i64>()),
        proptest::option::of(arb_params()),
        any::<bool>(),
        opt(v.has_pull_n()),
        opt(v.has_impersonation()),
        arb_notifications(v),
        arb_extra(),
    )
        .prop_map(
            |(bookmarks, tx_timeout, tx_metadata, read, db, imp_user, notifications, extra)| {
                TxExtra {
                    bookmarks,
                    tx_timeout,
                    tx_metadata,
                    mode: if read {
                        AccessMode::Read
                    } else {
                        AccessMode::Write
                    },
                    db,
                    imp_user,
                    notifications,
                    extra,
                    encoded_tx_metadata: None,
                }
            },
        )
        .boxed()
}

fn arb_hello(v: Version) -> BoxedStrategy<Hello> {
    let auth = if v.has_logon() {
        Just(None).boxed()
    } else {
        proptest::option::of(
            ("[a-z]{1,6}", "[a-z]{0,6}", "[a-z]{0,6}").prop_map(|(s_, p, c)| {
                let mut m = Map::new();
                m.insert("scheme", s_);
                m.insert("principal", p);
                m.insert("credentials", c);
                m
            }),
        )
        .boxed()
    };
    let routing = if v.has_routing_context() {
        proptest::option::of(arb_extra()).boxed()
    } else {
        Just(None).boxed()
    };
    let patch = if (Version::V4_3..=Version::V4_4).contains(&v) {
        arb_strs().boxed()
    } else {
        Just(vec![]).boxed()
    };
    let agent = if v.has_bolt_agent() {
        proptest::option::of(
            ("[a-z/0-9.]{1,10}", proptest::option::of("[a-z]{1,5}")).prop_map(|(product, p)| {
                BoltAgent {
                    product,
                    platform: p.clone(),
                    language: p,
                    language_details: None,
                }
            }),
        )
        .boxed()
    } else {
        Just(None).boxed()
    };
    (
        "[a-z/0-9.]{0,12}",
        auth,
        routing,
        patch,
        arb_notifications(v),
        agent,
        arb_extra(),
    )
        .prop_map(
            |(user_agent, auth, routing, patch_bolt, notifications, bolt_agent, extra)| Hello {
                user_agent,
                auth,
                routing,
                patch_bolt,
                notifications,
                bolt_agent,
                extra,
            },
        )
        .boxed()
}

fn arb_pull(v: Version) -> BoxedStrategy<Pull> {
    if !v.has_pull_n() {
        return Just(Pull::all()).boxed();
    }
    (
        any::<i64>(),
        proptest::option::of(any::<i64>()),
        arb_extra(),
    )
        .prop_map(|(n, qid, extra)| Pull { n, qid, extra })
        .boxed()
}

fn arb_request(v: Version) -> BoxedStrategy<Request> {
    let mut opts: Vec<BoxedStrategy<Request>> = vec![
        Just(Request::Reset).boxed(),
        ("[ -~]{0,30}", arb_params(), arb_tx(v))
            .prop_map(|(query, parameters, tx)| {
                Request::Run(Run {
                    query,
                    parameters,
                    tx,
                    encoded_parameters: None,
                })
            })
            .boxed(),
        arb_pull(v).prop_map(Request::Pull).boxed(),
        arb_pull(v).prop_map(Request::Discard).boxed(),
    ];
    if v.is_legacy() {
        opts.push(Just(Request::AckFailure).boxed());
        opts.push(
            ("[a-z]{0,8}", arb_params())
                .prop_map(|(user_agent, auth)| Request::Init(Init { user_agent, auth }))
                .boxed(),
        );
    } else {
        opts.push(arb_hello(v).prop_map(Request::Hello).boxed());
        opts.push(Just(Request::Goodbye).boxed());
        opts.push(Just(Request::Commit).boxed());
        opts.push(Just(Request::Rollback).boxed());
        opts.push(
            arb_tx(v)
                .prop_map(|tx| Request::Begin(Begin { tx }))
                .boxed(),
        );
    }
    if v.has_logon() {
        opts.push(Just(Request::Logoff).boxed());
        opts.push(
            arb_params()
                .prop_map(|auth| Request::Logon(Logon { auth }))
                .boxed(),
        );
    }
    if v.has_route() {
        let imp = v.has_impersonation();
        opts.push(
            (
                arb_extra(),
                arb_strs(),
                proptest::option::of("[a-z]{1,8}"),
                proptest::option::of("[a-z]{1,8}"),
                arb_extra(),
            )
                .prop_map(move |(routing, bookmarks, db, imp_user, extra)| {
                    Request::Route(Route {
                        routing,
                        bookmarks,
                        db,
                        imp_user: if imp { imp_user } else { None },
                        extra: if imp { extra } else { Map::new() },
                    })
                })
                .boxed(),
        );
    }
    if v.has_telemetry() {
        opts.push(
            any::<i64>()
                .prop_map(|api| Request::Telemetry(Telemetry { api }))
                .boxed(),
        );
    }
    proptest::strategy::Union::new(opts).boxed()
}

fn arb_cause(depth: u32) -> BoxedStrategy<FailureCause> {
    let base = (
        "[a-z ]{0,10}",
        "[0-9A-Z]{5}",
        "[a-z ]{0,10}",
        proptest::option::of(arb_extra()),
        arb_extra(),
    );
    if depth == 0 {
        base.prop_map(
            |(message, gql_status, description, diagnostic_record, extra)| FailureCause {
                message,
                gql_status,
                description,
                diagnostic_record,
                cause: None,
                extra,
            },
        )
        .boxed()
    } else {
        (base, proptest::option::of(arb_cause(depth - 1)))
            .prop_map(
                |((message, gql_status, description, diagnostic_record, extra), cause)| {
                    FailureCause {
                        message,
                        gql_status,
                        description,
                        diagnostic_record,
                        cause: cause.map(Box::new),
                        extra,
                    }
                },
            )
            .boxed()
    }
}

fn arb_response(v: Version) -> BoxedStrategy<Response> {
    let gql = v.has_gql_errors();
    let failure = (
        "[A-Za-z.]{0,20}",
        "[ -~]{0,20}",
        proptest::option::of("[0-9A-Z]{5}"),
        proptest::option::of("[a-z ]{0,10}"),
        proptest::option::of(arb_extra()),
        proptest::option::of(arb_cause(2)),
        arb_extra(),
    )
        .prop_map(
            move |(code, message, gql_status, description, diag, cause, metadata)| {
                let mut f = Failure::new(code, message);
                f.metadata = metadata;
                if gql {
                    f.gql_status = gql_status;
                    f.description = description;
                    f.diagnostic_record = diag;
                    f.cause = cause.map(Box::new);
                }
                Response::Failure(f)
            },
        );
    prop_oneof![
        arb_params().prop_map(|metadata| Response::Success(Success { metadata })),
        proptest::collection::vec(arb_value(), 0..6)
            .prop_map(|fields| Response::Record(Record { fields })),
        Just(Response::Ignored),
        failure,
    ]
    .boxed()
}

fn arb_version() -> impl Strategy<Value = Version> {
    proptest::sample::select(Version::ALL)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn request_round_trip((v, req) in arb_version().prop_flat_map(|v| (Just(v), arb_request(v)))) {
        let mut buf = Vec::new();
        req.encode(v, &mut buf).unwrap();
        prop_assert_eq!(Request::decode(&buf, v).unwrap(), req);
    }

    #[test]
    fn response_round_trip((v, rsp) in arb_version().prop_flat_map(|v| (Just(v), arb_response(v)))) {
        let mut buf = Vec::new();
        rsp.encode(v, &mut buf).unwrap();
        let back = Response::decode(&buf, v).unwrap();
        prop_assert_eq!(&back, &rsp);
        // The borrowed path agrees with the owned one.
        match (ResponseRef::decode(&buf, v).unwrap(), &rsp) {
            (ResponseRef::Record(view), Response::Record(r)) => {
                prop_assert_eq!(&view.to_owned_values().unwrap(), &r.fields)
            }
            (ResponseRef::Success(a), Response::Success(b)) => {
                prop_assert_eq!(&a.to_success(), b);
                // Entries found in place agree with the decoded map.
                for (k, v) in b.metadata.iter() {
                    prop_assert_eq!(a.get_value(k), Some(v.clone()));
                }
                prop_assert_eq!(a.get_value("no such key"), None);
            }
            (ResponseRef::Failure(a), Response::Failure(b)) => prop_assert_eq!(&*a, b),
            (ResponseRef::Ignored, Response::Ignored) => {}
            (a, b) => prop_assert!(false, "{:?} vs {:?}", a, b),
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(v in arb_version(), bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = Request::decode(&bytes, v);
        let _ = Response::decode(&bytes, v);
        if let Ok(ResponseRef::Record(view)) = ResponseRef::decode(&bytes, v) {
            let _ = view.values();
            let _ = view.to_owned_values();
        }
        // Kept metadata is read without checking again: any bytes read as
        // missing entries, never a panic.
        let kept = SuccessRef::from_kept(&bytes);
        let _ = (kept.get("a"), kept.fields(), kept.has_more(), kept.value_decoders(["a", "b"]));
    }

    #[test]
    fn message_prefixed_bytes_never_panic(
        v in arb_version(),
        tag in proptest::sample::select(vec![0x01u8, 0x02, 0x0E, 0x0F, 0x10, 0x11, 0x12, 0x13, 0x2F, 0x3F, 0x54, 0x66, 0x6A, 0x6B, 0x70, 0x71, 0x7E, 0x7F]),
        n in 0u8..4,
        rest in proptest::collection::vec(any::<u8>(), 0..48),
    ) {
        let mut bytes = vec![0xB0 + n, tag];
        bytes.extend(rest);
        let _ = Request::decode(&bytes, v);
        let _ = Response::decode(&bytes, v);
    }

    #[test]
    fn encoded_requests_decode_under_every_field_mutation(
        (v, req) in arb_version().prop_flat_map(|v| (Just(v), arb_request(v))),
        idx in any::<prop::sample::Index>(),
        byte in any::<u8>(),
    ) {
        let mut buf = Vec::new();
        req.encode(v, &mut buf).unwrap();
        let i = idx.index(buf.len());
        buf[i] = byte;
        let _ = Request::decode(&buf, v);
        buf.truncate(i);
        let _ = Request::decode(&buf, v);
    }
}

proptest! {
    /// Pre-encoded parameters and metadata write the same bytes as the
    /// same maps given as `Map`s.
    #[test]
    fn encoded_maps_write_the_same_bytes(params in arb_params(), meta in arb_params()) {
        let v = Version::V5_4;
        let mut plain = Run::new("RETURN $x");
        plain.parameters = params.clone();
        plain.tx.tx_metadata = Some(meta.clone());
        let mut pre = Run::new("RETURN $x");
        pre.encoded_parameters = Some(EncodedMap::from_map(&params).unwrap());
        pre.tx.encoded_tx_metadata = Some(EncodedMap::from_map(&meta).unwrap());
        let (mut a, mut b) = (Vec::new(), Vec::new());
        Request::Run(plain).encode(v, &mut a).unwrap();
        Request::Run(pre).encode(v, &mut b).unwrap();
        prop_assert_eq!(&a, &b);
        let mut begin = Begin::default();
        begin.tx.encoded_tx_metadata = Some(EncodedMap::from_map(&meta).unwrap());
        let mut c = Vec::new();
        Request::Begin(begin).encode(v, &mut c).unwrap();
        let Request::Begin(back) = Request::decode(&c, v).unwrap() else { panic!("not BEGIN") };
        prop_assert_eq!(back.tx.tx_metadata, Some(meta));
    }
}

/// Keys a `SuccessRef` notes on arrival, and some it does not.
const SUCCESS_KEYS: [&str; 14] = [
    "has_more",
    "fields",
    "qid",
    "t_first",
    "result_available_after",
    "db",
    "bookmark",
    "type",
    "t_last",
    "result_consumed_after",
    "stats",
    "server",
    "has_mor",
    "dbx",
];

fn arb_success_entry() -> impl Strategy<Value = (String, Value)> {
    (
        proptest::sample::select(SUCCESS_KEYS.to_vec()).prop_map(str::to_owned),
        prop_oneof![
            arb_value(),
            any::<bool>().prop_map(Value::Boolean),
            arb_strs().prop_map(|l| Value::List(l.into_iter().map(Value::String).collect())),
        ],
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    /// SUCCESS metadata with keys repeated, known to the arrival index or
    /// not: every way of reading an entry gives its last occurrence, from
    /// a decoded message and from kept bytes alike.
    #[test]
    fn success_entries_read_their_last_occurrence(
        entries in proptest::collection::vec(arb_success_entry(), 0..8),
        pick in proptest::sample::subsequence(SUCCESS_KEYS.to_vec(), 3),
    ) {
        let mut raw = Vec::new();
        packstream::encode::write_map_header(&mut raw, entries.len()).unwrap();
        for (k, v) in &entries {
            packstream::encode::write_string(&mut raw, k).unwrap();
            packstream::encode::write_value(&mut raw, v).unwrap();
        }
        let last = |k: &str| entries.iter().rev().find(|(key, _)| key == k).map(|(_, v)| v.clone());
        let mut body = vec![0xB1, 0x70];
        body.extend_from_slice(&raw);
        let ResponseRef::Success(arrived) = ResponseRef::decode(&body, Version::V5_4).unwrap() else {
            panic!("not a SUCCESS");
        };
        let owned = Response::decode(&body, Version::V5_4).unwrap();
        let Response::Success(owned) = owned else { panic!("not a SUCCESS") };
        for s in [arrived, SuccessRef::from_kept(&raw), SuccessRef::from_map_bytes(&raw).unwrap()] {
            prop_assert_eq!(s.raw(), &raw[..]);
            for k in SUCCESS_KEYS {
                prop_assert_eq!(s.get_value(k), last(k), "key {}", k);
                prop_assert_eq!(s.get_value(k), owned.metadata.get(k).cloned());
            }
            prop_assert_eq!(s.has_more(), owned.has_more());
            prop_assert_eq!(s.fields(), owned.fields());
            prop_assert_eq!(s.qid(), owned.qid());
            prop_assert_eq!(s.bookmark(), owned.bookmark());
            prop_assert_eq!(s.db(), owned.db());
            let [a, b, c] = [pick[0], pick[1], pick[2]];
            let found = s.value_decoders([a, b, c]).map(|d| d.and_then(|mut d| d.read_value().ok()));
            prop_assert_eq!(found, [last(a), last(b), last(c)]);
            let found = s.value_decoders(["fields", "qid", "t_first", "db"]).map(|d| d.and_then(|mut d| d.read_value().ok()));
            prop_assert_eq!(found, [last("fields"), last("qid"), last("t_first"), last("db")]);
        }
    }

    /// A SUCCESS whose metadata is broken anywhere is a typed error.
    #[test]
    fn success_with_broken_metadata_is_an_error(
        entries in proptest::collection::vec(arb_success_entry(), 1..6),
        idx in any::<prop::sample::Index>(),
        bad in prop_oneof![Just(0x81u8), Just(0xFF), Just(0xC3), Just(0xDF), Just(0xA1)],
    ) {
        let mut body = vec![0xB1, 0x70];
        packstream::encode::write_map_header(&mut body, entries.len()).unwrap();
        for (k, v) in &entries {
            packstream::encode::write_string(&mut body, k).unwrap();
            packstream::encode::write_value(&mut body, v).unwrap();
        }
        let i = 2 + idx.index(body.len() - 2);
        body[i] = bad;
        // The owned decoding is the reference: both accept or both reject.
        let owned = Response::decode(&body, Version::V5_4);
        let arrived = ResponseRef::decode(&body, Version::V5_4);
        prop_assert_eq!(owned.is_ok(), arrived.is_ok(), "{:02X?}: {:?} / {:?}", body, owned, arrived);
        if let (Ok(Response::Success(o)), Ok(ResponseRef::Success(a))) = (owned, arrived) {
            // Compared as printed: a corrupted byte can make a float NaN,
            // which is never equal to itself.
            prop_assert_eq!(format!("{:?}", a.to_success()), format!("{:?}", o));
        }
    }
}

#[test]
fn success_with_non_utf8_or_non_string_key_is_an_error() {
    // {"bookmark": "\xFF"}, {1: 1}, {"\xC3": 1}
    for body in [
        cat(&[&[0xB1, 0x70, 0xA1], &s("bookmark"), &[0x81, 0xFF]]),
        vec![0xB1, 0x70, 0xA1, 0x01, 0x01],
        vec![0xB1, 0x70, 0xA1, 0x81, 0xC3, 0x01],
    ] {
        assert!(
            ResponseRef::decode(&body, Version::V5_4).is_err(),
            "{body:02X?}"
        );
    }
}

/// RUN's and PULL's metadata maps with many `extra` entries: the header
/// widens to MAP_8 and MAP_16 (the bytes equal the whole map written at
/// once), and an `extra` entry whose key is a modelled one is left out
/// (the proptests' `extra` has neither: at most 3 entries, no clash).
#[test]
fn metadata_headers_widen_with_many_extra_entries() {
    for n in [14usize, 15, 16, 255, 300] {
        let mut run = Run::new("RETURN 1");
        run.tx.db = Some("neo4j".into());
        for i in 0..n {
            run.tx
                .extra
                .insert(format!("x{i:03}"), Value::Integer(i as i64));
        }
        // A clash: the modelled `db` wins.
        run.tx.extra.insert("db", "other");
        let b = enc(&Request::Run(run.clone()), Version::V5_4);
        let mut whole = Map::new();
        whole.insert("db", "neo4j");
        for i in 0..n {
            whole.insert(format!("x{i:03}"), Value::Integer(i as i64));
        }
        let mut expect = vec![0xB3, 0x10];
        packstream::encode::write_string(&mut expect, "RETURN 1").unwrap();
        expect.push(0xA0);
        packstream::encode::write_value(&mut expect, &Value::Map(whole)).unwrap();
        assert_eq!(b, expect, "{n} extra entries");
        let mut back = run.clone();
        back.tx.extra.remove("db");
        assert_eq!(
            Request::decode(&b, Version::V5_4).unwrap(),
            Request::Run(back)
        );

        let mut pull = Pull::n(5);
        for i in 0..n {
            pull.extra
                .insert(format!("x{i:03}"), Value::Integer(i as i64));
        }
        pull.extra.insert("n", 7);
        let b = enc(&Request::Pull(pull.clone()), Version::V5_4);
        pull.extra.remove("n");
        assert_eq!(
            Request::decode(&b, Version::V5_4).unwrap(),
            Request::Pull(pull)
        );
    }
}

#[test]
fn debug_of_auth_carrying_requests_never_shows_secrets() {
    let mut params = packstream::Map::new();
    params.insert("api_key", "hunter2-secret");
    let mut auth = packstream::Map::new();
    auth.insert("scheme", "basic");
    auth.insert("principal", "neo4j");
    auth.insert("credentials", "hunter2-secret");
    auth.insert("parameters", packstream::Value::Map(params));
    auth.insert("custom_secret", "hunter2-secret");
    let mut hello = bolt_proto::message::Hello::new("app/1");
    hello.auth = Some(auth.clone());
    let requests = [
        Request::Logon(bolt_proto::message::Logon { auth: auth.clone() }),
        Request::Hello(hello),
        Request::Init(bolt_proto::message::Init {
            user_agent: "app/1".into(),
            auth: auth.clone(),
        }),
    ];
    for r in &requests {
        for shown in [format!("{r:?}"), format!("{r:#?}")] {
            assert!(!shown.contains("hunter2"), "{shown}");
            // What is safe to show still is: scheme, principal, names.
            assert!(
                shown.contains("basic") && shown.contains("neo4j") && shown.contains("api_key"),
                "{shown}"
            );
        }
    }
}
