//! The Bolt handshake, just enough to tell that a server is up and which
//! protocol version it picks. Shared with the smoke tests in
//! `xtask/tests/servers.rs` (included there by path), so it uses std only.
//!
//! It must not grow into a Bolt client: that is the `bolt-proto` crate's job.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// The four bytes every Bolt connection starts with.
pub const MAGIC: [u8; 4] = [0x60, 0x60, 0xB0, 0x17];

/// Offer for ArcadeDB: 5.4 down to 5.0 (one range slot), 4.4, 3.0.
pub const ARCADEDB_OFFER: [[u8; 4]; 4] = [[0, 4, 4, 5], [0, 0, 4, 4], [0, 0, 0, 3], [0; 4]];

/// Offer for Neo4j 5.26 and 2026.x: 5.8 down to 5.0, 4.4 (6.0 is offered
/// only through the handshake manifest, which this module does not speak).
pub const NEO4J5_OFFER: [[u8; 4]; 4] = [[0, 8, 8, 5], [0, 0, 4, 4], [0; 4], [0; 4]];

/// Offer for Neo4j 3.1: Bolt v1 only.
pub const NEO4J31_OFFER: [[u8; 4]; 4] = [[0, 0, 0, 1], [0; 4], [0; 4], [0; 4]];

/// Sends the magic and `offer` on `stream` and reads the server's 4-byte
/// answer: `[0, 0, minor, major]`, or all zeros when no offer fits.
pub fn exchange<S: Read + Write>(stream: &mut S, offer: &[[u8; 4]; 4]) -> io::Result<[u8; 4]> {
    let mut hello = Vec::with_capacity(20);
    hello.extend_from_slice(&MAGIC);
    for slot in offer {
        hello.extend_from_slice(slot);
    }
    stream.write_all(&hello)?;
    stream.flush()?;
    let mut answer = [0u8; 4];
    stream.read_exact(&mut answer)?;
    Ok(answer)
}

/// Connects to `addr` over plain TCP and runs [`exchange`], every step
/// bounded by `timeout`.
pub fn over_tcp(addr: SocketAddr, offer: &[[u8; 4]; 4], timeout: Duration) -> io::Result<[u8; 4]> {
    let mut stream = TcpStream::connect_timeout(&addr, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    exchange(&mut stream, offer)
}

/// `(major, minor)` of a handshake answer.
pub fn version(answer: [u8; 4]) -> (u8, u8) {
    (answer[3], answer[2])
}

/// True if `answer` names a version inside `offer` (ranges included).
pub fn picked_from(answer: [u8; 4], offer: &[[u8; 4]; 4]) -> bool {
    let (major, minor) = version(answer);
    if answer[0] != 0 || answer[1] != 0 || major == 0 {
        return false;
    }
    offer.iter().any(|slot| {
        let (o_major, o_minor, range) = (slot[3], slot[2], slot[1]);
        o_major == major && minor <= o_minor && minor >= o_minor.saturating_sub(range)
    })
}
