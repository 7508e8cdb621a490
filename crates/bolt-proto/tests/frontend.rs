//! The borrowed request writers (`message::frontend`) write exactly the
//! bytes of the owned encoders (`Request::encode`), and refuse exactly what
//! they refuse, for every request kind at every protocol version.
//!
//! The requests are generated with every field set or not regardless of
//! the version, so the refusals (a field or message the version lacks) are
//! compared as well as the bytes.

use bolt_proto::framing::{ChunkEncoder, FramingError};
use bolt_proto::message::frontend::{self, HelloFields, Strs, TxMeta};
use bolt_proto::message::{
    AccessMode, Begin, BoltAgent, EncodeError, EncodedMap, Hello, Init, Logon, NotificationFilter,
    Pull, Request, Route, Run, Telemetry, TxExtra,
};
use bolt_proto::Version;
use packstream::{Map, Value};
use proptest::prelude::*;

/// Writes `req` with the borrowed writers. RUN's parameters go through a
/// caller-style closure encoding entry by entry when `closure` is set,
/// else through `frontend::params`.
fn write_borrowed(
    req: &Request,
    closure: bool,
    v: Version,
    buf: &mut Vec<u8>,
) -> Result<(), EncodeError> {
    match req {
        Request::Init(i) => frontend::init(&i.user_agent, &i.auth, v, buf),
        Request::Hello(h) => frontend::hello(&HelloFields::from(h), v, buf),
        Request::Logon(l) => frontend::logon(&l.auth, v, buf),
        Request::Logoff => frontend::logoff(v, buf),
        Request::Goodbye => frontend::goodbye(v, buf),
        Request::AckFailure => frontend::ack_failure(v, buf),
        Request::Reset => {
            frontend::reset(buf);
            Ok(())
        }
        Request::Run(r) => {
            let tx = TxMeta::from(&r.tx);
            match (&r.encoded_parameters, closure) {
                (Some(p), _) => frontend::run(&r.query, frontend::params(p), &tx, v, buf),
                (None, false) => {
                    frontend::run(&r.query, frontend::params(&r.parameters), &tx, v, buf)
                }
                (None, true) => frontend::run(
                    &r.query,
                    |buf: &mut Vec<u8>| {
                        packstream::encode::write_map_header(buf, r.parameters.len())?;
                        for (k, x) in r.parameters.iter() {
                            packstream::encode::write_string(buf, k)?;
                            packstream::encode::write_value(buf, x)?;
                        }
                        Ok::<_, EncodeError>(())
                    },
                    &tx,
                    v,
                    buf,
                ),
            }
        }
        Request::Begin(b) => frontend::begin(&TxMeta::from(&b.tx), v, buf),
        Request::Commit => frontend::commit(v, buf),
        Request::Rollback => frontend::rollback(v, buf),
        Request::Pull(p) => {
            assert!(p.extra.is_empty(), "the writers have no PULL extra");
            frontend::pull(p.n, p.qid, v, buf)
        }
        Request::Discard(p) => {
            assert!(p.extra.is_empty(), "the writers have no DISCARD extra");
            frontend::discard(p.n, p.qid, v, buf)
        }
        Request::Route(r) => {
            assert!(r.extra.is_empty(), "the writers have no ROUTE extra");
            frontend::route(
                &r.routing,
                Strs::from(&r.bookmarks),
                r.db.as_deref(),
                r.imp_user.as_deref(),
                v,
                buf,
            )
        }
        Request::Telemetry(t) => frontend::telemetry(t.api, v, buf),
        other => panic!("no writer for {other:?}"),
    }
}

/// Both ways agree at `v`: the same bytes, or the same error with the
/// buffer left as it was. Returns whether it was written.
fn agree(req: &Request, closure: bool, v: Version) -> Result<bool, TestCaseError> {
    let prefix = [0xDE, 0xAD];
    let mut owned = prefix.to_vec();
    let mut borrowed = prefix.to_vec();
    let a = req.encode(v, &mut owned);
    let b = write_borrowed(req, closure, v, &mut borrowed);
    match (&a, &b) {
        (Ok(()), Ok(())) => {
            prop_assert_eq!(&owned, &borrowed, "bytes differ at {} for {:?}", v, req);
            Ok(true)
        }
        (Err(x), Err(y)) => {
            prop_assert_eq!(format!("{x:?}"), format!("{y:?}"), "errors differ at {}", v);
            prop_assert_eq!(&borrowed[..], &prefix[..], "buffer changed on error");
            Ok(false)
        }
        _ => Err(TestCaseError::fail(format!(
            "at {v}: owned {a:?}, borrowed {b:?} for {req:?}"
        ))),
    }
}

// ---------------------------------------------------------------- strategies

fn arb_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Boolean),
        any::<i64>().prop_map(Value::Integer),
        any::<f64>().prop_map(Value::Float),
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

/// Maps whose keys may clash with modelled entries (which win).
fn arb_map() -> impl Strategy<Value = Map> {
    let key = prop_oneof![
        "[a-z_]{1,8}",
        Just("db".to_owned()),
        Just("mode".to_owned()),
        Just("bookmarks".to_owned()),
        Just("routing".to_owned()),
        Just("user_agent".to_owned()),
        Just("notifications_minimum_severity".to_owned()),
        Just("notifications_x".to_owned()),
        Just("credentials".to_owned()),
    ];
    proptest::collection::vec((key, arb_value()), 0..4).prop_map(|kv| kv.into_iter().collect())
}

fn arb_strs() -> impl Strategy<Value = Vec<String>> {
    proptest::collection::vec("[a-zA-Z0-9:]{0,10}", 0..3)
}

fn arb_notifications() -> impl Strategy<Value = NotificationFilter> {
    prop_oneof![
        2 => Just(NotificationFilter::default()),
        1 => (
            proptest::option::of("[A-Z]{1,8}"),
            proptest::option::of(arb_strs()),
        )
            .prop_map(|(minimum_severity, disabled_categories)| NotificationFilter {
                minimum_severity,
                disabled_categories,
            }),
    ]
}

fn arb_tx() -> impl Strategy<Value = TxExtra> {
    let full = (
        arb_strs(),
        proptest::option::of(any::<i64>()),
        proptest::option::of(arb_map()),
        any::<bool>(),
        proptest::option::of("[a-z]{1,8}"),
        proptest::option::of("[a-z]{1,8}"),
        arb_notifications(),
        arb_map(),
        any::<bool>(),
    )
        .prop_map(
            |(bookmarks, tx_timeout, meta, read, db, imp_user, notifications, extra, enc)| {
                let (tx_metadata, encoded_tx_metadata) = match meta {
                    Some(m) if enc => (None, Some(EncodedMap::from_map(&m).unwrap())),
                    m => (m, None),
                };
                TxExtra {
                    bookmarks,
                    tx_timeout,
                    tx_metadata,
                    encoded_tx_metadata,
                    mode: if read {
                        AccessMode::Read
                    } else {
                        AccessMode::Write
                    },
                    db,
                    imp_user,
                    notifications,
                    extra,
                }
            },
        );
    // Often empty: the common explicit-transaction RUN and the only
    // legacy one.
    prop_oneof![1 => Just(TxExtra::default()), 3 => full]
}

fn arb_hello() -> impl Strategy<Value = Hello> {
    let agent = proptest::option::of(
        (
            "[a-z/0-9.]{1,10}",
            proptest::option::of("[a-z]{1,5}"),
            proptest::option::of("[a-z]{1,5}"),
            proptest::option::of("[a-z]{1,5}"),
        )
            .prop_map(
                |(product, platform, language, language_details)| BoltAgent {
                    product,
                    platform,
                    language,
                    language_details,
                },
            ),
    );
    (
        "[a-z/0-9.]{0,12}",
        proptest::option::of(arb_map()),
        proptest::option::of(arb_map()),
        prop_oneof![Just(vec![]), arb_strs()],
        arb_notifications(),
        agent,
        arb_map(),
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
}

fn arb_pull() -> impl Strategy<Value = Pull> {
    (
        prop_oneof![Just(-1i64), any::<i64>()],
        proptest::option::of(any::<i64>()),
    )
        .prop_map(|(n, qid)| Pull {
            n,
            qid,
            extra: Map::new(),
        })
}

fn arb_request() -> impl Strategy<Value = Request> {
    prop_oneof![
        1 => Just(Request::Reset),
        1 => Just(Request::Goodbye),
        1 => Just(Request::AckFailure),
        1 => Just(Request::Commit),
        1 => Just(Request::Rollback),
        1 => Just(Request::Logoff),
        1 => ("[a-z]{0,8}", arb_map()).prop_map(|(user_agent, auth)| Request::Init(Init {
            user_agent,
            auth
        })),
        1 => arb_hello().prop_map(Request::Hello),
        1 => arb_map().prop_map(|auth| Request::Logon(Logon { auth })),
        4 => ("[ -~]{0,30}", arb_map(), any::<bool>(), arb_tx()).prop_map(
            |(query, parameters, enc, tx)| {
                let (parameters, encoded_parameters) = if enc {
                    (Map::new(), Some(EncodedMap::from_map(&parameters).unwrap()))
                } else {
                    (parameters, None)
                };
                Request::Run(Run {
                    query,
                    parameters,
                    encoded_parameters,
                    tx,
                })
            }
        ),
        2 => arb_tx().prop_map(|tx| Request::Begin(Begin { tx })),
        1 => arb_pull().prop_map(Request::Pull),
        1 => arb_pull().prop_map(Request::Discard),
        1 => (
            arb_map(),
            arb_strs(),
            proptest::option::of("[a-z]{1,8}"),
            proptest::option::of("[a-z]{1,8}"),
        )
            .prop_map(|(routing, bookmarks, db, imp_user)| Request::Route(Route {
                routing,
                bookmarks,
                db,
                imp_user,
                extra: Map::new(),
            })),
        1 => any::<i64>().prop_map(|api| Request::Telemetry(Telemetry { api })),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    /// Every generated request, at every version.
    #[test]
    fn same_bytes_as_owned_encoders(req in arb_request(), closure in any::<bool>()) {
        for &v in Version::ALL {
            agree(&req, closure, v)?;
        }
    }
}

// ---------------------------------------------------------------- tables

/// Every kind is written by some version, and refused by the versions
/// that lack it (checked against the owned encoders by `agree`).
#[test]
fn every_kind_at_every_version() {
    let full_tx = TxExtra {
        bookmarks: vec!["bm:1".into(), "bm:2".into()],
        tx_timeout: Some(1500),
        tx_metadata: Some([("app", Value::from("x"))].into_iter().collect()),
        mode: AccessMode::Read,
        db: Some("movies".into()),
        imp_user: Some("bob".into()),
        notifications: NotificationFilter {
            minimum_severity: Some("WARNING".into()),
            disabled_categories: Some(vec!["HINT".into(), "UNSUPPORTED".into()]),
        },
        ..TxExtra::default()
    };
    let mut params = Map::new();
    params.insert("a", 1);
    params.insert("b", "two");
    params.insert("c", Value::List(vec![Value::from(3.0)]));
    let mut auth = Map::new();
    auth.insert("scheme", "basic");
    auth.insert("principal", "neo4j");
    auth.insert("credentials", "secret");
    let mut routing = Map::new();
    routing.insert("address", "localhost:7687");
    let requests = [
        Request::Reset,
        Request::Goodbye,
        Request::AckFailure,
        Request::Commit,
        Request::Rollback,
        Request::Logoff,
        Request::Init(Init {
            user_agent: "me/1".into(),
            auth: auth.clone(),
        }),
        Request::Hello(Hello::new("me/1")),
        Request::Hello(Hello {
            auth: Some(auth.clone()),
            routing: Some(routing.clone()),
            ..Hello::new("me/1")
        }),
        Request::Hello(Hello {
            routing: Some(routing.clone()),
            patch_bolt: vec!["utc".into()],
            ..Hello::new("me/1")
        }),
        Request::Hello(Hello {
            routing: Some(routing.clone()),
            notifications: full_tx.notifications.clone(),
            bolt_agent: Some(BoltAgent {
                product: "neo4j-rust/0.1".into(),
                platform: Some("linux".into()),
                language: Some("rust".into()),
                language_details: None,
            }),
            ..Hello::new("me/1")
        }),
        Request::Logon(Logon { auth: auth.clone() }),
        // Empty parameters and metadata.
        Request::Run(Run::new("RETURN 1")),
        // Three parameters, auto-commit metadata of every kind.
        Request::Run(Run {
            parameters: params.clone(),
            tx: full_tx.clone(),
            ..Run::new("RETURN $a, $b, $c")
        }),
        Request::Run(Run {
            tx: TxExtra {
                db: Some("neo4j".into()),
                bookmarks: vec!["bm".into()],
                ..TxExtra::default()
            },
            ..Run::new("RETURN 1")
        }),
        Request::Begin(Begin::default()),
        Request::Begin(Begin {
            tx: full_tx.clone(),
        }),
        Request::Begin(Begin {
            tx: TxExtra {
                imp_user: Some("bob".into()),
                ..TxExtra::default()
            },
        }),
        Request::Pull(Pull::all()),
        Request::Pull(Pull::n(1000)),
        Request::Pull(Pull {
            qid: Some(3),
            ..Pull::n(1000)
        }),
        Request::Discard(Pull::all()),
        Request::Discard(Pull {
            qid: Some(0),
            ..Pull::all()
        }),
        Request::Route(Route {
            routing: routing.clone(),
            ..Route::default()
        }),
        Request::Route(Route {
            routing: routing.clone(),
            bookmarks: vec!["bm".into()],
            db: Some("neo4j".into()),
            imp_user: Some("bob".into()),
            extra: Map::new(),
        }),
        Request::Telemetry(Telemetry { api: 2 }),
    ];
    for req in &requests {
        let mut written_somewhere = false;
        for &v in Version::ALL {
            for closure in [false, true] {
                written_somewhere |= agree(req, closure, v).unwrap();
            }
        }
        assert!(written_somewhere, "no version writes {req:?}");
    }
}

/// Either error of writing a framed message.
#[derive(Debug)]
enum Failed {
    #[allow(dead_code)] // read by Debug
    Encode(EncodeError),
    #[allow(dead_code)]
    Framing(FramingError),
}

impl From<EncodeError> for Failed {
    fn from(e: EncodeError) -> Self {
        Failed::Encode(e)
    }
}

impl From<FramingError> for Failed {
    fn from(e: FramingError) -> Self {
        Failed::Framing(e)
    }
}

/// A query over one chunk: the body is the same, and so is the chunked
/// form (split at 65,535 bytes, one end marker).
#[test]
fn large_queries() {
    for len in [65_535 - 20, 65_535, 65_536, 70_000, 200_000] {
        let query = "x".repeat(len);
        let mut params = Map::new();
        params.insert("big", "y".repeat(len / 2));
        let req = Request::Run(Run {
            parameters: params.clone(),
            tx: TxExtra {
                db: Some("neo4j".into()),
                ..TxExtra::default()
            },
            ..Run::new(query.clone())
        });
        for &v in Version::ALL {
            let written = agree(&req, false, v).unwrap();
            assert_eq!(written, v.has_pull_n(), "db needs 4.0");
        }
        let v = Version::V5_8;
        let enc = ChunkEncoder::new();
        let mut owned = Vec::new();
        enc.write_message_vec(&mut owned, |b| Ok::<_, Failed>(req.encode(v, b)?))
            .unwrap();
        let mut borrowed = Vec::new();
        enc.write_message_vec(&mut borrowed, |b| {
            frontend::run::<Failed>(
                &query,
                frontend::params(&params),
                &TxMeta {
                    db: Some("neo4j"),
                    ..TxMeta::default()
                },
                v,
                b,
            )
        })
        .unwrap();
        assert_eq!(owned, borrowed);
        assert_eq!(owned[..2], [0xFF, 0xFF], "first chunk is full");
        assert_eq!(owned[owned.len() - 2..], [0, 0]);
    }
}

/// The borrowed metadata can also hold string slices, where the caller
/// keeps `&str`s (e.g. notification categories spelled by an enum).
#[test]
fn string_slices_write_like_strings() {
    let cats = ["HINT", "DEPRECATION"];
    let owned: Vec<String> = cats.iter().map(|s| s.to_string()).collect();
    for &v in Version::ALL {
        let a = TxMeta {
            bookmarks: Strs::from(&["bm:9"][..]),
            notifications: frontend::Notifications {
                minimum_severity: Some("OFF"),
                disabled_categories: Some(Strs::from(&cats[..])),
            },
            ..TxMeta::default()
        };
        let bm = vec!["bm:9".to_owned()];
        let b = TxMeta {
            bookmarks: Strs::from(&bm),
            notifications: frontend::Notifications {
                minimum_severity: Some("OFF"),
                disabled_categories: Some(Strs::from(&owned)),
            },
            ..TxMeta::default()
        };
        let (mut x, mut y) = (Vec::new(), Vec::new());
        let rx = frontend::begin(&a, v, &mut x);
        let ry = frontend::begin(&b, v, &mut y);
        assert_eq!(rx.is_ok(), ry.is_ok());
        assert_eq!(rx.is_ok(), v.has_notification_filters());
        assert_eq!(x, y);
    }
}

/// A parameter writer's own error comes back unchanged, and nothing is
/// written.
#[test]
fn parameter_writer_errors_are_the_callers() {
    #[derive(Debug, PartialEq)]
    enum Mine {
        Refused(&'static str),
        Encode(String),
    }
    impl From<EncodeError> for Mine {
        fn from(e: EncodeError) -> Self {
            Mine::Encode(e.to_string())
        }
    }
    let mut buf = vec![7];
    let r = frontend::run(
        "RETURN $x",
        |b: &mut Vec<u8>| {
            b.extend_from_slice(&[0xA1, 0x81]); // half a map
            Err(Mine::Refused("x"))
        },
        &TxMeta::default(),
        Version::V5_8,
        &mut buf,
    );
    assert_eq!(r, Err(Mine::Refused("x")));
    assert_eq!(buf, [7]);
    // A version error reaches the caller through its From<EncodeError>.
    let r = frontend::run(
        "RETURN 1",
        frontend::no_params,
        &TxMeta {
            db: Some("x"),
            ..TxMeta::default()
        },
        Version::V3_0,
        &mut buf,
    );
    assert!(matches!(r, Err(Mine::Encode(_))));
    assert_eq!(buf, [7]);
}
