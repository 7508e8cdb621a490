//! The proxy between a raw-socket client and a tiny scripted server.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use bolt_proto::message::{Pull, Request, Run};
use bolt_proto::Version;

use super::*;

const PREAMBLE: [u8; 20] = [
    0x60, 0x60, 0xB0, 0x17, 0, 0, 1, 0xFF, 0, 0, 4, 5, 0, 0, 0, 4, 0, 0, 0, 3,
];
const SUCCESS: &[u8] = &[0, 3, 0xB1, 0x70, 0xA0, 0, 0];
const RECORD: &[u8] = &[0, 4, 0xB1, 0x71, 0x91, 0x01, 0, 0];

fn frame(req: Request) -> Vec<u8> {
    let mut body = Vec::new();
    req.encode(Version::V5_4, &mut body).unwrap();
    let mut out = vec![(body.len() >> 8) as u8, body.len() as u8];
    out.extend_from_slice(&body);
    out.extend_from_slice(&[0, 0]);
    out
}

fn run() -> Vec<u8> {
    frame(Request::Run(Run::new("RETURN 1")))
}
fn pull() -> Vec<u8> {
    frame(Request::Pull(Pull::n(3)))
}
fn commit() -> Vec<u8> {
    frame(Request::Commit)
}

/// A server speaking Bolt 5.4 (or by manifest, 5.8): every request gets a
/// SUCCESS, PULL three RECORDs first. Records what tags it received.
async fn server(manifest: bool) -> (String, Arc<Mutex<Vec<u8>>>) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap().to_string();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen2 = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = l.accept().await else {
                return;
            };
            let seen = seen2.clone();
            tokio::spawn(async move {
                let mut pre = [0u8; 20];
                if s.read_exact(&mut pre).await.is_err() {
                    return;
                }
                if manifest {
                    s.write_all(&[0, 0, 1, 0xFF, 1, 0, 8, 8, 5, 0])
                        .await
                        .unwrap();
                    let mut choice = [0u8; 5];
                    if s.read_exact(&mut choice).await.is_err() {
                        return;
                    }
                } else {
                    s.write_all(&[0, 0, 4, 5]).await.unwrap();
                }
                loop {
                    // One message of one chunk: header, body, 00 00.
                    let mut head = [0u8; 2];
                    if s.read_exact(&mut head).await.is_err() {
                        return;
                    }
                    let n = usize::from(u16::from_be_bytes(head));
                    if n == 0 {
                        continue;
                    }
                    let mut body = vec![0u8; n + 2];
                    if s.read_exact(&mut body).await.is_err() {
                        return;
                    }
                    seen.lock().unwrap().push(body[1]);
                    let mut out = Vec::new();
                    if body[1] == 0x3F {
                        for _ in 0..3 {
                            out.extend_from_slice(RECORD);
                        }
                    }
                    out.extend_from_slice(SUCCESS);
                    if s.write_all(&out).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (addr, seen)
}

async fn proxy(upstream: &str, plan: &str) -> (Proxy, Arc<Mutex<Vec<String>>>) {
    let log = Arc::new(Mutex::new(Vec::new()));
    let log2 = log.clone();
    let p = Proxy::builder(upstream)
        .plan(plan.parse().unwrap())
        .observe(move |e| log2.lock().unwrap().push(e.to_string()))
        .bind("127.0.0.1:0")
        .await
        .unwrap();
    (p, log)
}

async fn client(p: &Proxy) -> TcpStream {
    let mut c = TcpStream::connect(p.local_addr()).await.unwrap();
    c.write_all(&PREAMBLE).await.unwrap();
    let mut answer = [0u8; 4];
    c.read_exact(&mut answer).await.unwrap();
    assert_eq!(answer, [0, 0, 4, 5]);
    c
}

/// Reads until EOF, an error or `wait` of silence: the bytes and how it
/// ended.
async fn read_all(c: &mut TcpStream, wait: Duration) -> (Vec<u8>, &'static str) {
    let mut out = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout(wait, c.read(&mut buf)).await {
            Err(_) => return (out, "silent"),
            Ok(Ok(0)) => return (out, "eof"),
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionReset => return (out, "reset"),
            Ok(Err(_)) => return (out, "error"),
        }
    }
}

const SHORT: Duration = Duration::from_millis(300);

#[tokio::test]
async fn without_faults_bytes_pass_unchanged_and_messages_are_logged() {
    let (up, seen) = server(false).await;
    let (p, log) = proxy(&up, "").await;
    let mut c = client(&p).await;
    c.write_all(&[run(), vec![0, 0], pull()].concat())
        .await
        .unwrap();
    let (got, end) = read_all(&mut c, SHORT).await;
    assert_eq!(end, "silent");
    assert_eq!(got, [SUCCESS, RECORD, RECORD, RECORD, SUCCESS].concat());
    assert_eq!(*seen.lock().unwrap(), [0x10, 0x3F]);
    let log = log.lock().unwrap().join("\n");
    assert!(log.contains("handshake: Bolt 5.4"), "{log}");
    assert!(log.contains("C>S Run"), "{log}");
    assert!(log.contains("S>C [PULL] Record"), "{log}");
    assert!(p.fired().is_empty());
    p.shutdown().await;
}

#[tokio::test]
async fn close_instead_of_a_request_closes_both_sides_before_the_server_sees_it() {
    let (up, seen) = server(false).await;
    let (p, _) = proxy(&up, "close@PULL").await;
    let mut c = client(&p).await;
    c.write_all(&run()).await.unwrap();
    assert_eq!(read_all(&mut c, SHORT).await, (SUCCESS.to_vec(), "silent"));
    c.write_all(&pull()).await.unwrap();
    assert_eq!(
        read_all(&mut c, Duration::from_secs(5)).await,
        (vec![], "eof")
    );
    assert_eq!(*seen.lock().unwrap(), [0x10]);
    assert_eq!(p.fired().len(), 1);
    assert_eq!(p.fired()[0].conn, 1);
}

#[tokio::test]
async fn reset_sends_rst() {
    let (up, _) = server(false).await;
    let (p, _) = proxy(&up, "reset@RUN").await;
    let mut c = client(&p).await;
    c.write_all(&run()).await.unwrap();
    let (got, end) = read_all(&mut c, Duration::from_secs(5)).await;
    assert_eq!((got.len(), end), (0, "reset"));
}

#[tokio::test]
async fn stall_keeps_the_connection_open_and_silent_until_the_client_leaves() {
    let (up, seen) = server(false).await;
    let (p, _) = proxy(&up, "stall@COMMIT.reply").await;
    let mut c = client(&p).await;
    c.write_all(&[commit(), run()].concat()).await.unwrap();
    let (got, end) = read_all(&mut c, SHORT).await;
    assert_eq!((got.len(), end), (0, "silent"));
    // The server did get the COMMIT (and, still forwarded before the
    // answer came back, perhaps the RUN).
    assert_eq!(seen.lock().unwrap()[0], 0x12);
    let started = Instant::now();
    drop(c);
    tokio::time::timeout(Duration::from_secs(5), p.shutdown())
        .await
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn truncate_sends_part_of_the_message_then_closes() {
    let (up, _) = server(false).await;
    let (p, _) = proxy(&up, "truncate@RECORD:2").await;
    let mut c = client(&p).await;
    c.write_all(&[run(), pull()].concat()).await.unwrap();
    let (got, end) = read_all(&mut c, Duration::from_secs(5)).await;
    assert_eq!(end, "eof");
    assert_eq!(got, [SUCCESS, RECORD, &RECORD[..4]].concat());
}

#[tokio::test]
async fn drip_and_delay_deliver_everything_late() {
    let (up, _) = server(false).await;
    let (p, _) = proxy(&up, "drip=20ms@PULL.SUCCESS, delay=300ms@RUN").await;
    let mut c = client(&p).await;
    let started = Instant::now();
    c.write_all(&[run(), pull()].concat()).await.unwrap();
    let (got, end) = read_all(&mut c, Duration::from_secs(1)).await;
    assert_eq!(end, "silent");
    assert_eq!(got, [SUCCESS, RECORD, RECORD, RECORD, SUCCESS].concat());
    // 300 ms of delay, then 7 bytes 20 ms apart (and 1 s of silence).
    assert!(started.elapsed() >= Duration::from_millis(300 + 6 * 20 + 1000));
    assert_eq!(p.fired().len(), 2);
}

#[tokio::test]
async fn faults_apply_to_the_connections_they_name() {
    let (up, _) = server(false).await;
    let (p, _) = proxy(&up, "close@RUN#2, reset@PULL#once").await;
    let mut first = client(&p).await;
    first.write_all(&run()).await.unwrap();
    let (got, _) = read_all(&mut first, SHORT).await;
    assert_eq!(got, SUCCESS, "#2 is not the first connection");
    let mut second = client(&p).await;
    second.write_all(&run()).await.unwrap();
    assert_eq!(read_all(&mut second, SHORT).await, (vec![], "eof"));
    first.write_all(&pull()).await.unwrap();
    assert_eq!(read_all(&mut first, SHORT).await, (vec![], "reset"));
    let mut third = client(&p).await;
    third.write_all(&pull()).await.unwrap();
    let (got, _) = read_all(&mut third, SHORT).await;
    assert_eq!(got.len(), 3 * RECORD.len() + SUCCESS.len(), "once is spent");
    let fired: Vec<_> = p
        .fired()
        .iter()
        .map(|f| (f.conn, f.spec.to_string()))
        .collect();
    assert_eq!(
        fired,
        [
            (2, "close@RUN#2".to_owned()),
            (1, "reset@PULL#once".to_owned())
        ]
    );
    assert_eq!(p.connections(), 3);
}

#[tokio::test]
async fn a_manifest_handshake_is_followed_to_the_messages() {
    let (up, seen) = server(true).await;
    let (p, log) = proxy(&up, "close@PULL").await;
    let mut c = TcpStream::connect(p.local_addr()).await.unwrap();
    c.write_all(&PREAMBLE).await.unwrap();
    let mut manifest = [0u8; 10];
    c.read_exact(&mut manifest).await.unwrap();
    // The choice, then RUN and PULL in one write: the choice must not be
    // taken for a message.
    c.write_all(&[&[0, 0, 8, 5, 0][..], &run()].concat())
        .await
        .unwrap();
    assert_eq!(read_all(&mut c, SHORT).await, (SUCCESS.to_vec(), "silent"));
    c.write_all(&pull()).await.unwrap();
    assert_eq!(
        read_all(&mut c, Duration::from_secs(5)).await,
        (vec![], "eof")
    );
    assert_eq!(*seen.lock().unwrap(), [0x10]);
    let log = log.lock().unwrap().join("\n");
    assert!(log.contains("handshake: Bolt 5.8 (manifest)"), "{log}");
}

#[tokio::test]
async fn faults_at_the_handshake() {
    let (up, _) = server(false).await;
    for (plan, want) in [
        ("close@handshake", (0, "eof")),
        ("reset@handshake", (0, "reset")),
        ("truncate@handshake", (2, "eof")),
        ("stall@handshake", (0, "silent")),
    ] {
        let (p, _) = proxy(&up, plan).await;
        let mut c = TcpStream::connect(p.local_addr()).await.unwrap();
        c.write_all(&PREAMBLE).await.unwrap();
        let (got, end) = read_all(&mut c, SHORT).await;
        assert_eq!((got.len(), end), want, "{plan}");
    }
}

#[tokio::test]
async fn a_client_that_is_not_bolt_is_forwarded_raw() {
    let (up, _) = server(false).await;
    let (p, log) = proxy(&up, "close@RUN").await;
    let mut c = TcpStream::connect(p.local_addr()).await.unwrap();
    // 20 bytes of "preamble", then bytes the fake server reads as one
    // message of one chunk.
    c.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    let mut answer = [0u8; 4];
    c.read_exact(&mut answer).await.unwrap();
    assert_eq!(answer, [0, 0, 4, 5]);
    drop(c);
    p.shutdown().await;
    assert!(!log.lock().unwrap().is_empty());
}

#[tokio::test]
async fn an_unreachable_upstream_closes_the_client() {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let gone = l.local_addr().unwrap().to_string();
    drop(l);
    let (p, log) = proxy(&gone, "").await;
    let mut c = TcpStream::connect(p.local_addr()).await.unwrap();
    let _ = c.write_all(&PREAMBLE).await;
    let (_, end) = read_all(&mut c, Duration::from_secs(5)).await;
    assert_ne!(end, "silent");
    assert!(log.lock().unwrap().join("\n").contains("upstream failed"));
}

#[tokio::test]
async fn a_stalled_connection_closes_the_server_side_when_the_client_leaves() {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let up = l.local_addr().unwrap().to_string();
    let (eof_tx, eof_rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let (mut s, _) = l.accept().await.unwrap();
        let mut pre = [0u8; 20];
        s.read_exact(&mut pre).await.unwrap();
        s.write_all(&[0, 0, 4, 5]).await.unwrap();
        // Read (the RUN never comes) until the proxy closes this side.
        let mut buf = [0u8; 64];
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
        let _ = eof_tx.send(());
    });
    let (p, _) = proxy(&up, "stall@RUN").await;
    let mut c = client(&p).await;
    c.write_all(&run()).await.unwrap();
    assert_eq!(read_all(&mut c, SHORT).await, (vec![], "silent"));
    drop(c);
    tokio::time::timeout(Duration::from_secs(5), eof_rx)
        .await
        .expect("the server side was closed")
        .unwrap();
}
