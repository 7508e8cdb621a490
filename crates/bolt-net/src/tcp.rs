//! TCP: connect to one socket address before a deadline and set the socket
//! options (`TCP_NODELAY` always, `SO_KEEPALIVE` as configured, via socket2).
//!
//! Knows nothing about names, resolution or TLS.

use std::net::SocketAddr;
use std::time::Duration;

use socket2::SockRef;
use tokio::net::TcpStream;
use tokio::time::Instant;

use crate::error::{connect_error, NetError, Phase};

/// Connect to `address`, failing with [`NetError::TimedOut`] (phase
/// [`Phase::Connect`]) at `deadline`.
pub(crate) async fn connect(
    address: SocketAddr,
    deadline: Instant,
    timeout: Duration,
    keep_alive: bool,
) -> Result<TcpStream, NetError> {
    let stream = match tokio::time::timeout_at(deadline, TcpStream::connect(address)).await {
        Err(_) => {
            return Err(NetError::TimedOut {
                phase: Phase::Connect,
                address,
                timeout,
            })
        }
        Ok(Err(e)) => return Err(connect_error(e, address)),
        Ok(Ok(s)) => s,
    };
    let io = |source| NetError::Io { address, source };
    stream.set_nodelay(true).map_err(io)?;
    SockRef::from(&stream)
        .set_keepalive(keep_alive)
        .map_err(io)?;
    Ok(stream)
}
