//! Config options with visible effects, against ArcadeDB (plain and TLS)
//! and a local stub server that records HELLO.

mod common;
mod queries;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use neo4j::{params, Config, Error, GraphDatabase, ServerAddress, TrustStrategy};
use queries::run_consumed;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
#[ignore = "needs a server: cargo xtask test"]
async fn pool_size_caps_and_acquisition_times_out() {
    let d = driver_with(
        builder()
            .with_max_connection_pool_size(1)
            .with_connection_acquisition_timeout(Duration::from_millis(300)),
    );
    let mut a = d.session(session_cfg().with_fetch_size(1));
    let mut held = a
        .run("UNWIND range(1, 10) AS x RETURN x", params! {})
        .await
        .unwrap();
    held.next().await.unwrap().unwrap();
    let mut b = d.session(session_cfg());
    let t = Instant::now();
    let e = b.run("RETURN 1", params! {}).await.unwrap_err();
    assert!(matches!(e, Error::ConnectionAcquisitionTimeout(_)), "{e:?}");
    assert!(e
        .to_string()
        .contains("failed to obtain a connection from the pool"));
    assert!(
        t.elapsed() >= Duration::from_millis(290),
        "{:?}",
        t.elapsed()
    );
    held.consume().await.unwrap();
    run_consumed(&mut b, "RETURN 1").await;
    d.close().await;
}

#[tokio::test]
#[ignore = "needs a server: cargo xtask test"]
async fn lifetime_replaces_connections() {
    // A lifetime long enough that two quick queries fit in it even on a
    // loaded CI machine, short enough to wait out.
    let d = driver_with(builder().with_max_connection_lifetime(Duration::from_secs(3)));
    let mut s = d.session(session_cfg());
    run_consumed(&mut s, "RETURN 1").await;
    assert_eq!(d.pool_metrics()[0].1.created, 1);
    run_consumed(&mut s, "RETURN 1").await;
    assert_eq!(d.pool_metrics()[0].1.created, 1, "reused while young");
    tokio::time::sleep(Duration::from_millis(3500)).await;
    run_consumed(&mut s, "RETURN 1").await;
    assert_eq!(
        d.pool_metrics()[0].1.created,
        2,
        "replaced after its lifetime"
    );
    d.close().await;
}

#[tokio::test]
#[ignore = "needs a server: cargo xtask test"]
async fn resolver_gets_the_seed_address() {
    let real: std::net::SocketAddr = addr().parse().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen2 = seen.clone();
    let cfg = builder()
        .with_resolver(move |a: &ServerAddress| {
            seen2.lock().unwrap().push(a.clone());
            vec![ServerAddress::new(real.ip().to_string(), real.port())]
        })
        .build()
        .unwrap();
    let d = GraphDatabase::driver("bolt://foo:9999", cfg).unwrap();
    d.verify_connectivity().await.unwrap();
    assert_eq!(seen.lock().unwrap()[0], ServerAddress::new("foo", 9999));
    d.close().await;
}

#[tokio::test]
#[ignore = "needs a server: cargo xtask test"]
async fn wrong_password_is_an_authentication_error() {
    let d = driver_with(Config::builder().with_auth(("root", "wrong-password")));
    let e = d.verify_connectivity().await.unwrap_err();
    assert!(matches!(e, Error::Authentication { .. }), "{e:?}");
    d.close().await;
}

#[tokio::test]
#[ignore = "needs a server: cargo xtask test"]
async fn unreachable_server_is_service_unavailable() {
    let cfg = builder()
        .with_connection_timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let d = GraphDatabase::driver("bolt://127.0.0.1:1", cfg).unwrap();
    let e = d.verify_connectivity().await.unwrap_err();
    assert!(
        matches!(e, Error::ServiceUnavailable(_)) && e.is_retryable(),
        "{e:?}"
    );
}

fn tls_addr() -> String {
    env("BOLT_TEST_ARCADEDB_TLS_ADDR", "127.0.0.1:17688")
}

async fn tls_works(uri: String, b: neo4j::ConfigBuilder) -> Result<(), Error> {
    let d = GraphDatabase::driver(uri, b.build().unwrap())?;
    let r = async {
        let mut s = d.session(session_cfg());
        let x: i64 = s
            .run("RETURN 7 AS x", params! {})
            .await?
            .single()
            .await?
            .get("x")?;
        assert_eq!(x, 7);
        s.close().await
    }
    .await;
    d.close().await;
    r
}

#[tokio::test]
#[ignore = "needs a server: cargo xtask test"]
async fn tls_modes() {
    let port = tls_addr().rsplit(':').next().unwrap().to_owned();
    // +ssc: any certificate.
    tls_works(format!("bolt+ssc://{}", tls_addr()), builder())
        .await
        .unwrap();
    // Pinned DER certificate.
    let der = std::fs::read(env("BOLT_TEST_ARCADEDB_TLS_CERT_DER", "")).unwrap();
    tls_works(
        format!("bolt://{}", tls_addr()),
        builder().with_der_encoded_server_certificate(der),
    )
    .await
    .unwrap();
    // Custom CA (the self-signed certificate), host name checked: localhost.
    let pem = env("BOLT_TEST_ARCADEDB_TLS_CERT_PEM", "");
    tls_works(
        format!("bolt://localhost:{port}"),
        builder()
            .with_encrypted(true)
            .with_trust(TrustStrategy::TrustCustomCaSignedCertificates(vec![
                pem.into()
            ])),
    )
    .await
    .unwrap();
    // System CAs do not trust a self-signed certificate: a security
    // error, not retried.
    let e = tls_works(format!("bolt+s://localhost:{port}"), builder())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Security { .. }), "{e:?}");
    assert!(!e.is_retryable());
    // Plain Bolt against the TLS port fails cleanly too.
    let e = tls_works(
        format!("bolt://{}", tls_addr()),
        builder().with_connection_timeout(Duration::from_secs(3)),
    )
    .await
    .unwrap_err();
    assert!(matches!(e, Error::ServiceUnavailable(_)), "{e:?}");
}

/// A one-shot Bolt 5.4 listener that returns the raw HELLO message body.
async fn capture_hello() -> (u16, tokio::task::JoinHandle<Vec<u8>>) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    let h = tokio::spawn(async move {
        let (mut sock, _) = l.accept().await.unwrap();
        let mut pre = [0u8; 20];
        sock.read_exact(&mut pre).await.unwrap();
        sock.write_all(&[0, 0, 4, 5]).await.unwrap();
        let mut body = Vec::new();
        loop {
            let mut len = [0u8; 2];
            sock.read_exact(&mut len).await.unwrap();
            let n = u16::from_be_bytes(len) as usize;
            if n == 0 {
                break;
            }
            let mut chunk = vec![0u8; n];
            sock.read_exact(&mut chunk).await.unwrap();
            body.extend(chunk);
        }
        body
    });
    (port, h)
}

#[tokio::test]
async fn hello_carries_user_agent_and_bolt_agent() {
    let (port, h) = capture_hello().await;
    let cfg = Config::builder()
        .with_auth(("u", "secret"))
        .with_user_agent("my-app/1.2")
        .with_connection_timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let d = GraphDatabase::driver(format!("bolt://127.0.0.1:{port}"), cfg).unwrap();
    let _ = tokio::time::timeout(Duration::from_secs(5), d.verify_connectivity()).await;
    let body = tokio::time::timeout(Duration::from_secs(5), h)
        .await
        .unwrap()
        .unwrap();
    let req = bolt_proto::message::Request::decode(&body, bolt_proto::Version::V5_4).unwrap();
    let bolt_proto::message::Request::Hello(hello) = req else {
        panic!("{req:?}")
    };
    assert_eq!(hello.user_agent, "my-app/1.2");
    let agent = hello.bolt_agent.unwrap();
    assert!(agent.product.starts_with("neo4j-rust/"), "{agent:?}");
    assert!(agent.language.unwrap().starts_with("Rust/"));
    assert!(hello.auth.is_none(), "5.1+ sends credentials in LOGON");
}
