//! [`BoltStream`]: one byte-stream type for plain TCP and TLS connections.
//!
//! Owns only the delegation of `AsyncRead`/`AsyncWrite` and the socket
//! addresses; knows nothing about what is sent over it.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

use crate::Address;

enum Inner {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

/// A connected stream to a server, plain or encrypted, ready for bytes.
///
/// Returned by [`connect`](crate::connect). Implements tokio's
/// [`AsyncRead`] and [`AsyncWrite`]; `shutdown` sends a TLS `close_notify`
/// before closing the write half.
///
/// ```no_run
/// use bolt_net::{connect, ConnectOptions};
/// use tokio::io::AsyncWriteExt;
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let (mut stream, peer) = connect(&"localhost:7687".parse()?, &ConnectOptions::new()).await?;
/// assert_eq!(stream.peer_addr(), peer);
/// stream.write_all(&[0x60, 0x60, 0xB0, 0x17]).await?;
/// # Ok(()) }
/// ```
pub struct BoltStream {
    inner: Inner,
    local: SocketAddr,
    peer: SocketAddr,
    /// Set by [`connect`](crate::connect): see [`Self::server_address`].
    server_address: Option<Address>,
}

impl BoltStream {
    /// Wrap an already connected plain TCP stream (for servers and tests
    /// that manage their own sockets).
    ///
    /// ```no_run
    /// # async fn demo() -> std::io::Result<()> {
    /// let tcp = tokio::net::TcpStream::connect("127.0.0.1:7687").await?;
    /// let stream = bolt_net::BoltStream::from_tcp(tcp)?;
    /// assert!(!stream.is_encrypted());
    /// # Ok(()) }
    /// ```
    pub fn from_tcp(tcp: TcpStream) -> io::Result<Self> {
        let (local, peer) = (tcp.local_addr()?, tcp.peer_addr()?);
        Ok(Self {
            inner: Inner::Plain(tcp),
            local,
            peer,
            server_address: None,
        })
    }

    /// A plain stream whose addresses the caller already knows (no
    /// `getsockname` / `getpeername` calls).
    pub(crate) fn plain(tcp: TcpStream, local: SocketAddr, peer: SocketAddr) -> Self {
        Self {
            inner: Inner::Plain(tcp),
            local,
            peer,
            server_address: None,
        }
    }

    pub(crate) fn tls(tls: TlsStream<TcpStream>, local: SocketAddr, peer: SocketAddr) -> Self {
        Self {
            inner: Inner::Tls(Box::new(tls)),
            local,
            peer,
            server_address: None,
        }
    }

    /// The address [`connect`](crate::connect) reached the server by,
    /// before DNS: the custom resolver's answer that was connected to, or
    /// the address asked for when there is no resolver. `None` for a
    /// stream made with [`from_tcp`](Self::from_tcp).
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), bolt_net::NetError> {
    /// let (stream, _) = bolt_net::connect(&"localhost:7687".parse()?, &Default::default()).await?;
    /// assert_eq!(stream.server_address().map(|a| a.host()), Some("localhost"));
    /// # Ok(()) }
    /// ```
    pub fn server_address(&self) -> Option<&Address> {
        self.server_address.as_ref()
    }

    pub(crate) fn with_server_address(mut self, address: Address) -> Self {
        self.server_address = Some(address);
        self
    }

    /// The server's socket address.
    ///
    /// ```no_run
    /// # async fn demo(stream: bolt_net::BoltStream) {
    /// println!("connected to {}", stream.peer_addr());
    /// # }
    /// ```
    pub fn peer_addr(&self) -> SocketAddr {
        self.peer
    }

    /// Our side's socket address.
    ///
    /// ```no_run
    /// # async fn demo(stream: bolt_net::BoltStream) {
    /// println!("from {}", stream.local_addr());
    /// # }
    /// ```
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// Whether the stream is TLS-encrypted.
    ///
    /// ```no_run
    /// # async fn demo(stream: bolt_net::BoltStream) {
    /// if !stream.is_encrypted() { eprintln!("warning: plain-text connection"); }
    /// # }
    /// ```
    pub fn is_encrypted(&self) -> bool {
        matches!(self.inner, Inner::Tls(_))
    }

    /// The underlying TCP socket, e.g. to read socket options.
    ///
    /// ```no_run
    /// # async fn demo(stream: bolt_net::BoltStream) -> std::io::Result<()> {
    /// assert!(stream.tcp().nodelay()?);
    /// # Ok(()) }
    /// ```
    pub fn tcp(&self) -> &TcpStream {
        match &self.inner {
            Inner::Plain(s) => s,
            Inner::Tls(s) => s.get_ref().0,
        }
    }

    /// Shuts the socket down in both directions at once, without waiting
    /// (no TLS close_notify): the peer sees the connection end now, even
    /// while this value lives on. For connections found broken; later
    /// reads and writes fail.
    ///
    /// ```no_run
    /// # async fn demo(stream: bolt_net::BoltStream) {
    /// stream.shutdown_now();
    /// # }
    /// ```
    pub fn shutdown_now(&self) {
        // An error means the socket is already gone: nothing left to do.
        let _ = socket2::SockRef::from(self.tcp()).shutdown(std::net::Shutdown::Both);
    }

    /// Reads what has already arrived, without waiting and without
    /// registering for a wake-up: an error of kind `WouldBlock` when
    /// nothing is there, `Ok(0)` when the peer closed. On a plain socket
    /// that tokio already knows to be drained this costs no system call;
    /// over TLS it returns decrypted bytes the same way. For checking an
    /// idle connection.
    ///
    /// ```no_run
    /// # fn demo(mut stream: bolt_net::BoltStream) {
    /// let mut buf = [0u8; 64];
    /// match stream.try_read(&mut buf) {
    ///     Ok(0) => println!("closed by the peer"),
    ///     Ok(n) => println!("{n} unexpected bytes"),
    ///     Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => println!("quiet"),
    ///     Err(e) => println!("broken: {e}"),
    /// }
    /// # }
    /// ```
    pub fn try_read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match &mut self.inner {
            Inner::Plain(s) => s.try_read(buf),
            Inner::Tls(s) => {
                let mut cx = Context::from_waker(std::task::Waker::noop());
                let mut rb = ReadBuf::new(buf);
                match Pin::new(s.as_mut()).poll_read(&mut cx, &mut rb) {
                    Poll::Ready(Ok(())) => Ok(rb.filled().len()),
                    Poll::Ready(Err(e)) => Err(e),
                    Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
                }
            }
        }
    }
}

impl std::fmt::Debug for BoltStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BoltStream")
            .field("local", &self.local)
            .field("peer", &self.peer)
            .field("encrypted", &self.is_encrypted())
            .finish()
    }
}

impl AsyncRead for BoltStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match &mut self.get_mut().inner {
            Inner::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Inner::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for BoltStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match &mut self.get_mut().inner {
            Inner::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Inner::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match &mut self.get_mut().inner {
            Inner::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Inner::Tls(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match &self.inner {
            Inner::Plain(s) => s.is_write_vectored(),
            Inner::Tls(s) => s.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().inner {
            Inner::Plain(s) => Pin::new(s).poll_flush(cx),
            Inner::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().inner {
            Inner::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Inner::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}
