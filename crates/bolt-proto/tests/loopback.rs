//! A client half and a server half, both built from this crate, talking over
//! `tokio::io::duplex` for every supported version: handshake, HELLO (and
//! LOGON), auto-commit RUN/PULL, an explicit transaction, GOODBYE. Asserts
//! the client state machine and the decoded values on both sides.

use std::time::Duration as StdDuration;

use bolt_proto::codec::ChunkCodec;
use bolt_proto::handshake::{
    ClientHandshake, ClientProgress, ServerHandshake, ServerProgress, VersionOffer,
};
use bolt_proto::message::*;
use bolt_proto::state::{ClientState, ServerState};
use bolt_proto::structure::{BoltStruct, DateTime, StructCtx};
use bolt_proto::Version;
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use packstream::{Map, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio_util::codec::Framed;

const DT: DateTime = DateTime {
    seconds: 1_700_000_000,
    nanoseconds: 7,
    tz_offset_seconds: 3600,
};

/// What the server saw, in order.
#[derive(Debug, Default)]
struct Seen {
    kinds: Vec<RequestKind>,
    params: Vec<Map>,
    utc_patch: bool,
}

async fn server(io: DuplexStream) -> Seen {
    let mut io = io;
    // Handshake.
    let mut hs = ServerHandshake::new(Version::ALL.iter().copied());
    let mut pre = [0u8; 20];
    io.read_exact(&mut pre).await.unwrap();
    let ServerProgress::Done(neg) = hs.feed(&pre).unwrap() else {
        panic!("server handshake not done")
    };
    io.write_all(&neg.reply).await.unwrap();
    let v = neg.version;
    let mut framed = Framed::new(io, ChunkCodec::new());
    let mut seen = Seen::default();
    let mut in_tx = false;
    let mut qid = 0;
    let send = |r: Response| {
        let mut buf = Vec::new();
        r.encode(v, &mut buf).unwrap();
        Bytes::from(buf)
    };
    while let Some(body) = framed.next().await {
        let body = body.unwrap();
        let req = Request::decode(&body, v).unwrap_or_else(|e| panic!("server decode: {e}"));
        seen.kinds.push(req.kind());
        let mut md = Map::new();
        match req {
            Request::Goodbye => break,
            Request::Init(_) | Request::Hello(_) => {
                md.insert("server", "Stub/1.0");
                if let Request::Hello(h) = &req {
                    md.insert("connection_id", "bolt-1");
                    if h.patch_bolt.iter().any(|p| p == "utc") {
                        seen.utc_patch = true;
                        md.insert("patch_bolt", vec!["utc"]);
                    }
                }
            }
            Request::Run(run) => {
                seen.params.push(run.parameters.clone());
                md.insert("fields", vec!["n", "dt"]);
                if in_tx && v.has_pull_n() {
                    md.insert("qid", qid);
                    qid += 1;
                }
            }
            Request::Pull(p) => {
                let ctx = StructCtx::new(v).with_utc_patch(seen.utc_patch);
                let dt = if v >= Version::V2 {
                    BoltStruct::DateTime(DT).to_value(ctx).unwrap()
                } else {
                    Value::Null
                };
                for i in 1..=2 {
                    let mut buf = Vec::new();
                    encode_record(&[Value::Integer(i), dt.clone()], &mut buf).unwrap();
                    framed.feed(Bytes::from(buf)).await.unwrap();
                }
                assert!(p.n == -1);
                if in_tx {
                    md.insert("has_more", false);
                } else {
                    md.insert("bookmark", "bm:auto");
                }
            }
            Request::Begin(b) => {
                in_tx = true;
                assert_eq!(b.tx.bookmarks, vec!["bm:auto".to_string()]);
            }
            Request::Commit => {
                in_tx = false;
                md.insert("bookmark", "bm:tx");
            }
            Request::Logon(l) => {
                assert_eq!(l.auth.get("scheme"), Some(&Value::from("basic")));
            }
            other => panic!("unexpected request {other:?}"),
        }
        framed
            .send(send(Response::Success(Success { metadata: md })))
            .await
            .unwrap();
    }
    seen
}

struct Client {
    framed: Framed<DuplexStream, ChunkCodec>,
    st: ClientState,
    ctx: StructCtx,
}

impl Client {
    async fn send(&mut self, req: Request) {
        self.st.on_send(&req).unwrap();
        let mut buf = Vec::new();
        req.encode(self.st.version(), &mut buf).unwrap();
        self.framed.feed(Bytes::from(buf)).await.unwrap();
    }

    async fn flush(&mut self) {
        SinkExt::<Bytes>::flush(&mut self.framed).await.unwrap();
    }

    /// Reads responses until the summary of the head request; returns it
    /// and the records before it.
    async fn summary(&mut self) -> (RequestKind, Success, Vec<Vec<Value>>) {
        let mut records = Vec::new();
        loop {
            let body = self.framed.next().await.unwrap().unwrap();
            let v = self.st.version();
            match ResponseRef::decode(&body, v).unwrap() {
                ResponseRef::Record(view) => {
                    self.st.on_record().unwrap();
                    records.push(view.to_owned_values().unwrap());
                }
                ResponseRef::Success(s) => {
                    let kind = self.st.on_success_ref(&s).unwrap();
                    return (kind, s.to_success(), records);
                }
                other => panic!("unexpected {other:?}"),
            }
        }
    }

    fn check_records(&self, records: &[Vec<Value>]) {
        assert_eq!(records.len(), 2);
        for (i, r) in records.iter().enumerate() {
            assert_eq!(r[0], Value::Integer(i as i64 + 1));
            if self.st.version() >= Version::V2 {
                let dt = BoltStruct::from_value(&r[1], self.ctx).unwrap();
                assert_eq!(dt, Some(BoltStruct::DateTime(DT)));
            }
        }
    }
}

async fn client(io: DuplexStream, version: Version) -> Vec<RequestKind> {
    let mut io = io;
    let (mut hs, preamble) = ClientHandshake::new(VersionOffer::exactly(version).unwrap());
    io.write_all(&preamble).await.unwrap();
    let mut reply = [0u8; 4];
    io.read_exact(&mut reply).await.unwrap();
    let ClientProgress::Done(neg) = hs.feed(&reply).unwrap() else {
        panic!("client handshake not done")
    };
    assert_eq!(neg.version, version);
    let mut c = Client {
        framed: Framed::new(io, ChunkCodec::new()),
        st: ClientState::new(version),
        ctx: StructCtx::new(version),
    };
    let mut auth = Map::new();
    auth.insert("scheme", "basic");
    auth.insert("principal", "neo4j");
    auth.insert("credentials", "pass");

    // HELLO / INIT, pipelined with LOGON from 5.1.
    let mut sent = Vec::new();
    if version.is_legacy() {
        c.send(Request::Init(Init {
            user_agent: "loopback/1".into(),
            auth: auth.clone(),
        }))
        .await;
    } else {
        let mut hello = Hello::new("loopback/1");
        if !version.has_logon() {
            hello.auth = Some(auth.clone());
        }
        if (Version::V4_3..=Version::V4_4).contains(&version) {
            hello.patch_bolt = vec!["utc".into()];
        }
        if version.has_bolt_agent() {
            hello.bolt_agent = Some(BoltAgent {
                product: "loopback/1".into(),
                ..Default::default()
            });
        }
        c.send(Request::Hello(hello)).await;
        if version.has_logon() {
            c.send(Request::Logon(Logon { auth })).await;
        }
    }
    c.flush().await;
    let (kind, s, _) = c.summary().await;
    sent.push(kind);
    assert_eq!(s.server(), Some("Stub/1.0"));
    c.ctx = c.ctx.with_utc_patch(s.patch_bolt().contains(&"utc"));
    if version.has_logon() {
        assert_eq!(c.st.state(), ServerState::Authentication);
        let (kind, _, _) = c.summary().await;
        sent.push(kind);
    }
    assert_eq!(c.st.state(), ServerState::Ready);
    assert_eq!(c.ctx.utc(), version >= Version::V4_3);

    // Auto-commit RUN + PULL, pipelined.
    let mut run = Run::new("UNWIND [1, 2] AS n RETURN n, $dt AS dt");
    run.parameters.insert("x", vec![1, 2, 3]);
    c.send(Request::Run(run)).await;
    c.send(Request::Pull(Pull::all())).await;
    assert_eq!(c.st.predicted_state(), ServerState::Ready);
    c.flush().await;
    let (kind, s, _) = c.summary().await;
    assert_eq!(kind, RequestKind::Run);
    assert_eq!(s.fields(), Some(vec!["n", "dt"]));
    assert_eq!(c.st.state(), ServerState::Streaming);
    let (kind, s, records) = c.summary().await;
    assert_eq!(kind, RequestKind::Pull);
    c.check_records(&records);
    let bookmark = s.bookmark().unwrap().to_owned();
    assert_eq!(c.st.state(), ServerState::Ready);

    // A transaction: BEGIN / RUN / PULL / COMMIT, pipelined.
    if version.has_hello() {
        let mut begin = Begin::default();
        begin.tx.bookmarks = vec![bookmark];
        c.send(Request::Begin(begin)).await;
    } else {
        c.send(Request::Run(Run::new("BEGIN"))).await;
        c.send(Request::Pull(Pull::all())).await;
    }
    c.send(Request::Run(Run::new("RETURN 1 AS n, $dt AS dt")))
        .await;
    c.send(Request::Pull(Pull::all())).await;
    if version.has_hello() {
        assert_eq!(c.st.predicted_state(), ServerState::TxReady);
        c.send(Request::Commit).await;
    } else {
        c.send(Request::Run(Run::new("COMMIT"))).await;
        c.send(Request::Pull(Pull::all())).await;
    }
    assert_eq!(c.st.predicted_state(), ServerState::Ready);
    c.flush().await;
    if version.has_hello() {
        assert_eq!(c.summary().await.0, RequestKind::Begin);
        assert_eq!(c.st.state(), ServerState::TxReady);
        let (_, s, _) = c.summary().await;
        assert_eq!(s.qid().is_some(), version.has_pull_n());
        assert_eq!(c.st.state(), ServerState::TxStreaming);
        let (_, _, records) = c.summary().await;
        c.check_records(&records);
        assert_eq!(c.st.state(), ServerState::TxReady);
        let (kind, s, _) = c.summary().await;
        assert_eq!(kind, RequestKind::Commit);
        assert_eq!(s.bookmark(), Some("bm:tx"));
    } else {
        for _ in 0..3 {
            assert_eq!(c.summary().await.0, RequestKind::Run);
            let (_, _, records) = c.summary().await;
            c.check_records(&records);
        }
    }
    assert_eq!(c.st.state(), ServerState::Ready);
    assert_eq!(c.st.pending(), 0);

    if version.has_hello() {
        c.send(Request::Goodbye).await;
        c.flush().await;
        assert_eq!(c.st.state(), ServerState::Defunct);
    }
    drop(c.framed);
    sent
}

#[tokio::test]
async fn every_version_over_duplex() {
    for &version in Version::ALL {
        let (a, b) = tokio::io::duplex(4096);
        let run = async {
            let (seen, _) = tokio::join!(server(b), client(a, version));
            seen
        };
        let seen = tokio::time::timeout(StdDuration::from_secs(10), run)
            .await
            .unwrap_or_else(|_| panic!("Bolt {version}: timed out"));
        use RequestKind as K;
        let mut expected = vec![if version.is_legacy() {
            K::Init
        } else {
            K::Hello
        }];
        if version.has_logon() {
            expected.push(K::Logon);
        }
        expected.extend([K::Run, K::Pull]);
        if version.has_hello() {
            expected.extend([K::Begin, K::Run, K::Pull, K::Commit, K::Goodbye]);
        } else {
            expected.extend([K::Run, K::Pull, K::Run, K::Pull, K::Run, K::Pull]);
        }
        assert_eq!(seen.kinds, expected, "Bolt {version}");
        assert_eq!(
            seen.utc_patch,
            (Version::V4_3..=Version::V4_4).contains(&version)
        );
        let mut p = Map::new();
        p.insert("x", vec![1, 2, 3]);
        assert_eq!(seen.params[0], p, "Bolt {version}");
    }
}
