//! Writes the seed corpora under `fuzz/seeds/<target>/` from real message
//! encodings: bolt-proto's own encoders, with the metadata a Neo4j 5
//! server sends (HELLO, RUN, PULL and COMMIT successes, records with graph,
//! temporal and spatial values, GQL failures), chunked like on the wire,
//! and whole session transcripts.
//!
//! Run: `cargo run --manifest-path fuzz/Cargo.toml --example make_seeds`
//! (rewrites the seed folders; the seeds are committed).

use std::path::{Path, PathBuf};

use bolt_proto::framing::ChunkEncoder;
use bolt_proto::message::{
    Begin, Failure, FailureCause, Hello, Logon, Pull, Record, Request, Response, Route, Run,
    Success, Telemetry,
};
use bolt_proto::Version;
use bytes::BytesMut;
use packstream::{Map, Structure, Value};

fn map(entries: &[(&str, Value)]) -> Map {
    let mut m = Map::new();
    for (k, v) in entries {
        m.insert(*k, v.clone());
    }
    m
}

fn s(text: &str) -> Value {
    Value::from(text)
}

fn list(items: Vec<Value>) -> Value {
    Value::List(items)
}

fn st(tag: u8, fields: Vec<Value>) -> Value {
    Value::Structure(Structure::new(tag, fields))
}

/// A Node as Bolt 5 sends it (with element id).
fn node(id: i64) -> Value {
    node_in(id, Version::V5_0)
}

/// A Node as `version` sends it (element ids from 5.0).
fn node_in(id: i64, version: Version) -> Value {
    let mut fields = vec![
        id.into(),
        list(vec![s("Person")]),
        Value::Map(map(&[("name", s("Alice")), ("age", 34.into())])),
    ];
    if version.has_element_ids() {
        fields.push(s(&format!("4:f1a2:{id}")));
    }
    st(0x4E, fields)
}

/// The values of a RECORD exercising every structure a server sends.
fn rich_fields() -> Vec<Value> {
    let rel = st(
        0x52,
        vec![
            7.into(),
            1.into(),
            2.into(),
            s("KNOWS"),
            Value::Map(map(&[("since", 2020.into())])),
            s("5:f1a2:7"),
            s("4:f1a2:1"),
            s("4:f1a2:2"),
        ],
    );
    let unbound = st(
        0x72,
        vec![7.into(), s("KNOWS"), Value::Map(Map::new()), s("5:f1a2:7")],
    );
    let path = st(
        0x50,
        vec![
            list(vec![node(1), node(2)]),
            list(vec![unbound]),
            list(vec![1.into(), 1.into()]),
        ],
    );
    vec![
        node(1),
        rel,
        path,
        st(0x44, vec![19_000.into()]), // Date
        st(0x54, vec![3_600_000_000_000i64.into(), 3600.into()]), // Time
        st(0x74, vec![3_600_000_000_000i64.into()]), // LocalTime
        st(0x49, vec![1_700_000_000.into(), 5.into(), 3600.into()]), // DateTime (UTC)
        st(
            0x69,
            vec![1_700_000_000.into(), 5.into(), s("Europe/Paris")],
        ), // DateTimeZoneId
        st(0x64, vec![1_700_000_000.into(), 5.into()]), // LocalDateTime
        st(0x45, vec![1.into(), 2.into(), 3.into(), 4.into()]), // Duration
        st(0x58, vec![4326.into(), 1.5.into(), 2.5.into()]), // Point2D
        st(0x59, vec![4979.into(), 1.5.into(), 2.5.into(), 3.5.into()]), // Point3D
        Value::Null,
        true.into(),
        (-17).into(),
        300.into(),
        70_000.into(),
        5_000_000_000i64.into(),
        f64::NAN.into(),
        Value::Bytes(vec![1, 2, 3]),
        s(&"x".repeat(300)),
        list((0..20).map(Value::from).collect()),
    ]
}

fn hello_success(version: Version) -> Success {
    let mut m = map(&[
        ("server", s("Neo4j/5.26.0")),
        ("connection_id", s("bolt-42")),
    ]);
    if version >= Version::V4_4 {
        m.insert(
            "hints",
            Value::Map(map(&[
                ("connection.recv_timeout_seconds", 120.into()),
                ("telemetry.enabled", true.into()),
            ])),
        );
    }
    if version >= Version::V4_3 && version < Version::V5_0 {
        m.insert("patch_bolt", list(vec![s("utc")]));
    }
    Success { metadata: m }
}

fn run_success(version: Version) -> Success {
    let mut m = map(&[
        ("fields", list(vec![s("n"), s("m")])),
        ("t_first", 3.into()),
    ]);
    if version >= Version::V4_0 {
        m.insert("qid", 0i64);
    }
    Success { metadata: m }
}

fn pull_success(has_more: bool) -> Success {
    if has_more {
        return Success {
            metadata: map(&[("has_more", true.into())]),
        };
    }
    let notification = Value::Map(map(&[
        (
            "code",
            s("Neo.ClientNotification.Statement.CartesianProduct"),
        ),
        ("title", s("cartesian product")),
        ("description", s("...")),
        ("severity", s("WARNING")),
        ("category", s("PERFORMANCE")),
        (
            "position",
            Value::Map(map(&[
                ("offset", 0.into()),
                ("line", 1.into()),
                ("column", 1.into()),
            ])),
        ),
    ]));
    let status = Value::Map(map(&[
        ("gql_status", s("03N90")),
        ("status_description", s("info: cartesian product")),
        (
            "neo4j_code",
            s("Neo.ClientNotification.Statement.CartesianProduct"),
        ),
        (
            "diagnostic_record",
            Value::Map(map(&[
                ("_severity", s("WARNING")),
                ("_classification", s("PERFORMANCE")),
                ("OPERATION", s("")),
                ("CURRENT_SCHEMA", s("/")),
            ])),
        ),
    ]));
    Success {
        metadata: map(&[
            ("bookmark", s("FB:kcwQAAAAAAAAAAAAAAAAAAAAAAmQ")),
            ("type", s("rw")),
            ("t_last", 1.into()),
            ("db", s("neo4j")),
            (
                "stats",
                Value::Map(map(&[
                    ("nodes-created", 1.into()),
                    ("properties-set", 2.into()),
                    ("contains-updates", true.into()),
                ])),
            ),
            ("notifications", list(vec![notification])),
            ("statuses", list(vec![status])),
            (
                "plan",
                Value::Map(map(&[
                    ("operatorType", s("ProduceResults")),
                    ("identifiers", list(vec![s("n")])),
                    ("args", Value::Map(map(&[("planner", s("COST"))]))),
                    ("children", list(vec![])),
                ])),
            ),
        ]),
    }
}

fn failure(version: Version) -> Failure {
    let mut f = Failure::new(
        "Neo.ClientError.Statement.SyntaxError",
        "Invalid input 'RETRUN'",
    );
    if version.has_gql_errors() {
        f.gql_status = Some("42001".into());
        f.description = Some("error: syntax error or access rule violation".into());
        f.diagnostic_record = Some(map(&[
            ("_classification", s("CLIENT_ERROR")),
            ("OPERATION", s("")),
            ("CURRENT_SCHEMA", s("/")),
        ]));
        f.cause = Some(Box::new(FailureCause {
            message: "invalid syntax".into(),
            gql_status: "42I06".into(),
            description: "error: syntax error: invalid input".into(),
            ..FailureCause::default()
        }));
    }
    f
}

fn responses(version: Version) -> Vec<Response> {
    vec![
        Response::Success(hello_success(version)),
        Response::Success(run_success(version)),
        Response::Record(Record {
            fields: rich_fields(),
        }),
        Response::Record(Record {
            fields: vec![1.into(), s("a")],
        }),
        Response::Success(pull_success(true)),
        Response::Success(pull_success(false)),
        Response::Success(Success {
            metadata: map(&[(
                "rt",
                Value::Map(map(&[
                    ("ttl", 300.into()),
                    ("db", s("neo4j")),
                    (
                        "servers",
                        list(vec![Value::Map(map(&[
                            ("addresses", list(vec![s("127.0.0.1:7687")])),
                            ("role", s("ROUTE")),
                        ]))]),
                    ),
                ])),
            )]),
        }),
        Response::Failure(failure(version)),
        Response::Ignored,
    ]
}

fn requests(version: Version) -> Vec<Request> {
    let mut hello = Hello::new("neo4j-rust/0.1.0");
    if !version.has_logon() {
        hello.auth = Some(map(&[
            ("scheme", s("basic")),
            ("principal", s("neo4j")),
            ("credentials", s("password")),
        ]));
    }
    let mut run = Run::new("UNWIND range(1, $x) AS n RETURN n");
    run.parameters = map(&[("x", 10.into()), ("name", s("Ada"))]);
    run.tx.db = Some("neo4j".into());
    run.tx.bookmarks = vec!["FB:kcwQAAAAAAAAAAAAAAAAAAAAAAmQ".into()];
    let mut begin = Begin::default();
    begin.tx.db = Some("neo4j".into());
    let mut out = vec![
        Request::Hello(hello),
        Request::Logon(Logon {
            auth: map(&[("scheme", s("basic")), ("principal", s("neo4j"))]),
        }),
        Request::Run(run),
        Request::Pull(Pull::all()),
        Request::Pull(Pull::n(1000)),
        Request::Discard(Pull::all()),
        Request::Begin(begin),
        Request::Commit,
        Request::Rollback,
        Request::Reset,
        Request::Goodbye,
        Request::Route(Route {
            routing: map(&[("address", s("localhost:7687"))]),
            db: Some("neo4j".into()),
            ..Route::default()
        }),
        Request::Telemetry(Telemetry { api: 1 }),
    ];
    out.retain(|r| r.kind().is_available_in(version));
    out
}

fn chunked(bodies: &[Vec<u8>], noops: bool) -> Vec<u8> {
    let enc = ChunkEncoder::new();
    let mut wire = BytesMut::new();
    for b in bodies {
        if noops {
            ChunkEncoder::write_noop(&mut wire);
        }
        enc.write_body(&mut wire, b).expect("chunk");
    }
    wire.to_vec()
}

fn encode_response(r: &Response, version: Version) -> Vec<u8> {
    let mut buf = Vec::new();
    r.encode(version, &mut buf).expect("encode response");
    buf
}

struct Seeds {
    dir: PathBuf,
    n: usize,
}

impl Seeds {
    fn new(root: &Path, target: &str) -> Seeds {
        let dir = root.join(target);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create seed dir");
        Seeds { dir, n: 0 }
    }

    fn add(&mut self, name: &str, bytes: &[u8]) {
        self.n += 1;
        let path = self.dir.join(format!("{:03}-{name}", self.n));
        std::fs::write(path, bytes).expect("write seed");
    }
}

fn version_index(v: Version) -> u8 {
    Version::ALL
        .iter()
        .position(|x| *x == v)
        .expect("known version") as u8
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds");
    let versions = [
        Version::V5_8,
        Version::V5_4,
        Version::V5_0,
        Version::V4_4,
        Version::V3_0,
        Version::V1,
    ];

    // packstream_decode: values and metadata maps.
    let mut ps = Seeds::new(&root, "packstream_decode");
    for (i, v) in rich_fields().into_iter().enumerate() {
        ps.add(&format!("value{i}"), &v.to_bytes().expect("encode"));
    }
    for r in responses(Version::V5_8) {
        if let Response::Success(s) = r {
            ps.add(
                "metadata",
                &Value::Map(s.metadata).to_bytes().expect("encode"),
            );
        }
    }
    ps.add(
        "list-of-all",
        &list(rich_fields()).to_bytes().expect("encode"),
    );
    // The legacy DC structure of early Bolt v1 servers (17 fields).
    let mut dc = vec![0xDC, 17, 0x4E];
    dc.extend(std::iter::repeat_n(0x01, 17));
    ps.add("legacy-struct8", &dc);

    // bolt_messages: every response and request at several versions.
    let mut msgs = Seeds::new(&root, "bolt_messages");
    for v in versions {
        let pick = version_index(v);
        for r in responses(v) {
            let mut seed = vec![pick];
            seed.extend(encode_response(&r, v));
            msgs.add(&format!("resp-{}{}", v.major, v.minor), &seed);
        }
        for r in requests(v) {
            let mut seed = vec![pick];
            if r.encode(v, &mut seed).is_err() {
                continue; // a field the version lacks (e.g. db before 4.0)
            }
            msgs.add(&format!("req-{}{}", v.major, v.minor), &seed);
        }
    }

    // bolt_framing: chunked response streams, with and without NOOPs, a
    // message over several chunks, a truncated stream.
    let mut fr = Seeds::new(&root, "bolt_framing");
    let bodies: Vec<Vec<u8>> = responses(Version::V5_8)
        .iter()
        .map(|r| encode_response(r, Version::V5_8))
        .collect();
    fr.add(
        "stream",
        &[[0x00, 0x01].as_slice(), &chunked(&bodies, false)].concat(),
    );
    fr.add(
        "noops",
        &[[0x00, 0x07].as_slice(), &chunked(&bodies, true)].concat(),
    );
    fr.add(
        "limited",
        &[[0xFF, 0x03].as_slice(), &chunked(&bodies, true)].concat(),
    );
    let big = list((0..3000).map(|i| s(&format!("value {i}"))).collect());
    let big = encode_response(
        &Response::Record(Record { fields: vec![big] }),
        Version::V5_8,
    );
    let wire = chunked(&[big], false);
    fr.add("multi-chunk", &[[0x00, 0x05].as_slice(), &wire].concat());
    fr.add(
        "truncated",
        &[[0x00, 0x05].as_slice(), &wire[..wire.len() / 2]].concat(),
    );

    // handshake: server answers (plain, manifest) and client choices.
    let mut hs = Seeds::new(&root, "handshake");
    let answers: [&[u8]; 6] = [
        &[0, 0, 8, 5],
        &[0, 0, 4, 4],
        &[0, 0, 0, 3],
        &[0, 0, 0, 0],
        &[0, 0, 1, 0xFF, 1, 0, 8, 8, 5, 0],
        &[0, 0, 1, 0xFF, 2, 0, 8, 8, 5, 0, 2, 4, 4, 0x81, 0x01],
    ];
    for (i, a) in answers.iter().enumerate() {
        for mode in [0u8, 2, 3] {
            let mut seed = vec![mode, 0xFF, 0xFF, 0x01, 0x00, i as u8];
            seed.extend_from_slice(a);
            hs.add("answer", &seed);
        }
    }
    hs.add("choice", &[2, 0xFF, 0xFF, 0, 0, 1, 0, 0, 8, 5, 0]);

    // session: whole transcripts after the handshake answer (see the
    // target for the meaning of byte 0).
    let mut se = Seeds::new(&root, "session");
    // Transcripts again with notification filters (bit 6), added last.
    let mut filtered = Vec::new();
    let record = |fields: Vec<Value>| Response::Record(Record { fields });
    for (opts, v) in [
        (0u8, Version::V5_8),
        (1, Version::V5_8),
        (3, Version::V5_0),
        (4, Version::V4_4),
        (6, Version::V3_0),
    ] {
        for fetch_two in [false, true] {
            let mut script: Vec<Response> = vec![Response::Success(hello_success(v))];
            if v.has_logon() {
                script.push(Response::Success(Success::default())); // LOGON
            }
            // Neo4j 5 asks for telemetry (the hint): TELEMETRY goes out
            // before the first query of each kind of API.
            let telemetry = v.has_telemetry();
            if telemetry {
                script.push(Response::Success(Success::default()));
            }
            // Auto-commit: RUN, PULL (records), then the summary.
            script.push(Response::Success(run_success(v)));
            script.push(record(vec![1.into(), node_in(1, v)]));
            script.push(record(vec![
                s("two"),
                list(vec![node_in(2, v), 2.5.into()]),
            ]));
            if fetch_two {
                script.push(Response::Success(pull_success(true)));
                script.push(record(vec![3.into(), Value::Null]));
            }
            script.push(Response::Success(pull_success(false)));
            // Explicit transaction: (TELEMETRY), BEGIN, RUN, PULL, COMMIT.
            if telemetry {
                script.push(Response::Success(Success::default()));
            }
            script.push(Response::Success(Success::default()));
            script.push(Response::Success(run_success(v)));
            script.push(record(vec![node_in(5, v), 2.into()]));
            script.push(Response::Success(pull_success(false)));
            script.push(Response::Success(Success {
                metadata: map(&[("bookmark", s("FB:kcwQAAAAAAAAAAAAAAAAAAAAAAmR"))]),
            }));
            let bodies: Vec<Vec<u8>> = script.iter().map(|r| encode_response(r, v)).collect();
            // A database name needs Bolt 4.0.
            let db = if v.major >= 4 { 16 } else { 0 };
            let mut seed = vec![opts | if fetch_two { 8 } else { 0 } | db];
            seed.extend(chunked(&bodies, false));
            se.add(&format!("transcript-{}{}", v.major, v.minor), &seed);
            if !fetch_two && matches!(opts, 0 | 4) {
                seed[0] |= 64;
                filtered.push((format!("notifications-{}{}", v.major, v.minor), seed));
            }
        }
        // A failing query: FAILURE, IGNORED, then RESET's SUCCESS.
        let mut script = vec![Response::Success(hello_success(v))];
        if v.has_logon() {
            script.push(Response::Success(Success::default()));
        }
        script.push(Response::Failure(failure(v)));
        script.push(Response::Ignored);
        script.push(Response::Success(Success::default()));
        let bodies: Vec<Vec<u8>> = script.iter().map(|r| encode_response(r, v)).collect();
        let mut seed = vec![opts];
        seed.extend(chunked(&bodies, true));
        se.add(&format!("failure-{}{}", v.major, v.minor), &seed);
    }
    for (name, seed) in filtered {
        se.add(&name, &seed);
    }
    for (name, seeds) in [
        ("packstream_decode", ps.n),
        ("bolt_messages", msgs.n),
        ("bolt_framing", fr.n),
        ("handshake", hs.n),
        ("session", se.n),
    ] {
        println!("{name}: {seeds} seeds");
    }
}
