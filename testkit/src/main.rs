//! The Neo4j TestKit backend: a TCP server speaking TestKit's JSON
//! protocol and driving the `neo4j` facade exactly as a user would.
//!
//! Listens on `127.0.0.1:9876`; `TEST_BACKEND_HOST`/`TEST_BACKEND_PORT` or
//! `--host H --port P` change that (loopback only by default). Modules:
//! `protocol` (framing, requests, responses), `link` (writing frames,
//! ids, callbacks), `server` (connections), `handlers` (what requests
//! do), `cypher` (values), `errors`, `features` (feature list, skips).

mod cypher;
mod errors;
mod fake_time;
mod features;
mod handlers;
mod link;
mod protocol;
mod server;

use std::process::ExitCode;

const DEFAULT_HOST: &str = "127.0.0.1";
const DEFAULT_PORT: u16 = 9876;

/// Host and port from args (`--host`, `--port`) or the environment.
fn listen_address(args: &[String]) -> Result<(String, u16), String> {
    let mut host = std::env::var("TEST_BACKEND_HOST")
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| DEFAULT_HOST.to_owned());
    let mut port = match std::env::var("TEST_BACKEND_PORT") {
        Ok(p) if !p.is_empty() => p
            .parse()
            .map_err(|_| format!("TEST_BACKEND_PORT=`{p}` is not a port"))?,
        _ => DEFAULT_PORT,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--host" => host = it.next().ok_or("--host needs a value")?.clone(),
            "--port" => {
                let p = it.next().ok_or("--port needs a value")?;
                port = p.parse().map_err(|_| format!("`{p}` is not a port"))?;
            }
            "-h" | "--help" => {
                return Err(format!(
                    "usage: testkit-backend [--host H] [--port P] \
                     (default {DEFAULT_HOST}:{DEFAULT_PORT}; env TEST_BACKEND_HOST/TEST_BACKEND_PORT)"
                ))
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok((host, port))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (host, port) = match listen_address(&args) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    rt.block_on(async {
        let listener = match tokio::net::TcpListener::bind((host.as_str(), port)).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("cannot listen on {host}:{port}: {e}");
                return ExitCode::FAILURE;
            }
        };
        eprintln!("TestKit backend listening on {host}:{port}");
        match server::serve(listener).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("accept failed: {e}");
                ExitCode::FAILURE
            }
        }
    })
}
