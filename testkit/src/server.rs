//! The TCP server: one TestKit connection per test, each served by its
//! own tasks and state, dropped when the connection ends.
//!
//! Per connection: a reader task parses frames and routes callback
//! answers (`...Completed`) to the waiting callback, a writer task writes
//! frames, and the handler runs requests one at a time. The handler is
//! never the one reading, so a driver call can issue a callback and wait
//! for TestKit's answer while it is in progress.

use std::sync::Arc;

use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use crate::handlers::Backend;
use crate::link::Link;
use crate::protocol::framing::{read_request, FrameError};
use crate::protocol::requests::{parse, Request};
use crate::protocol::responses::Response;

/// Accepts connections forever.
pub(crate) async fn serve(listener: TcpListener) -> std::io::Result<()> {
    let mut n = 0u64;
    loop {
        let (stream, peer) = listener.accept().await?;
        n += 1;
        let conn = n;
        eprintln!("connection {conn} from {peer}");
        tokio::spawn(async move {
            handle_connection(stream).await;
            eprintln!("connection {conn} closed");
        });
    }
}

/// Serves one TestKit connection until it closes.
async fn handle_connection(stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    let (read, mut write) = stream.into_split();
    let (out_tx, mut out_rx) = mpsc::unbounded_channel::<String>();
    let link = Link::new(out_tx);

    let writer = tokio::spawn(async move {
        while let Some(frame) = out_rx.recv().await {
            if write.write_all(frame.as_bytes()).await.is_err() {
                break;
            }
            let _ = write.flush().await;
        }
    });

    let (req_tx, mut req_rx) = mpsc::unbounded_channel::<Request>();
    let reader_link = Arc::clone(&link);
    let reader = tokio::spawn(async move {
        let mut r = BufReader::new(read);
        loop {
            let body = match read_request(&mut r).await {
                Ok(b) => b,
                Err(FrameError::Closed) => break,
                Err(e) => {
                    eprintln!("connection ended: {e}");
                    break;
                }
            };
            match parse(&body) {
                Ok(req) => match req.completes() {
                    Some(id) => {
                        if !reader_link.complete(id, req) {
                            eprintln!("answer to unknown or expired callback {id}");
                        }
                    }
                    None => {
                        if req_tx.send(req).is_err() {
                            break;
                        }
                    }
                },
                Err(e) if e.is_unknown_request() => {
                    reader_link.send(&Response::backend_error(format!(
                        "Feature not supported: unknown request {}",
                        e.name.as_deref().unwrap_or("?")
                    )))
                }
                Err(e) => reader_link.send(&Response::backend_error(format!(
                    "cannot parse request {}: {}",
                    e.name.as_deref().unwrap_or("(no name)"),
                    e.message
                ))),
            }
        }
        // Wake callbacks that wait for an answer that cannot come.
        reader_link.abandon_callbacks();
    });

    let mut backend = Backend::new(Arc::clone(&link));
    while let Some(req) = req_rx.recv().await {
        let resp = backend.handle(req).await;
        link.send(&resp);
    }
    backend.shutdown().await;
    reader.abort();
    drop(link);
    writer.abort();
}
