//! The line framing of TestKit's protocol.
//!
//! TestKit sends `#request begin`, JSON (possibly over several lines),
//! `#request end`; the backend answers the same way with `#response`
//! markers. Lines outside a block are ignored. Owns reading and writing
//! frames, with a size limit; knows nothing of what the JSON means.

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt};

const REQUEST_BEGIN: &str = "#request begin";
const REQUEST_END: &str = "#request end";
/// The largest request accepted (TestKit's biggest are a few hundred KiB).
pub(crate) const MAX_FRAME: usize = 64 * 1024 * 1024;

/// Why no further frame can be read.
#[derive(Debug)]
pub(crate) enum FrameError {
    /// The peer closed the connection (between frames: a clean end).
    Closed,
    /// The peer closed the connection inside a frame.
    Truncated,
    /// A frame or line exceeded [`MAX_FRAME`].
    TooLarge,
    /// A socket error.
    Io(std::io::Error),
    /// A line was not UTF-8.
    NotUtf8,
}

impl std::fmt::Display for FrameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FrameError::Closed => f.write_str("connection closed"),
            FrameError::Truncated => f.write_str("connection closed inside a request"),
            FrameError::TooLarge => write!(f, "request larger than {MAX_FRAME} bytes"),
            FrameError::Io(e) => write!(f, "socket error: {e}"),
            FrameError::NotUtf8 => f.write_str("request is not UTF-8"),
        }
    }
}

/// Reads the next request body (the JSON text between the markers).
pub(crate) async fn read_request<R: AsyncBufRead + Unpin>(r: &mut R) -> Result<String, FrameError> {
    let mut body: Option<String> = None;
    let mut line = Vec::new();
    loop {
        line.clear();
        let used = body.as_ref().map_or(0, String::len);
        let limit = (MAX_FRAME - used.min(MAX_FRAME)) as u64 + 1;
        let n = (&mut *r)
            .take(limit)
            .read_until(b'\n', &mut line)
            .await
            .map_err(FrameError::Io)?;
        if n == 0 {
            return Err(if body.is_some() {
                FrameError::Truncated
            } else {
                FrameError::Closed
            });
        }
        if n as u64 == limit && line.last() != Some(&b'\n') {
            return Err(FrameError::TooLarge);
        }
        let text = std::str::from_utf8(&line).map_err(|_| FrameError::NotUtf8)?;
        let text = text.trim();
        match (&mut body, text) {
            (None, REQUEST_BEGIN) => body = Some(String::new()),
            (None, _) => {} // noise outside a block
            (Some(b), REQUEST_END) => return Ok(std::mem::take(b)),
            (Some(b), _) => b.push_str(text),
        }
    }
}

/// The bytes of one response frame around `json`.
pub(crate) fn response_frame(json: &str) -> String {
    format!("#response begin\n{json}\n#response end\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn all(input: &str) -> (Vec<String>, FrameError) {
        let mut r = tokio::io::BufReader::new(input.as_bytes());
        let mut out = Vec::new();
        loop {
            match read_request(&mut r).await {
                Ok(b) => out.push(b),
                Err(e) => return (out, e),
            }
        }
    }

    #[tokio::test]
    async fn frames_are_split_and_joined() {
        let (frames, end) = all("noise\n#request begin\n{\"a\":\n 1}\n#request end\n\
             #request begin\r\n{}\r\n#request end\r\n")
        .await;
        assert_eq!(frames, vec!["{\"a\":1}".to_owned(), "{}".to_owned()]);
        assert!(matches!(end, FrameError::Closed));
    }

    #[tokio::test]
    async fn early_close_is_reported() {
        let (frames, end) = all("#request begin\n{\"a\"").await;
        assert!(frames.is_empty());
        assert!(matches!(end, FrameError::Truncated));
        let (_, end) = all("").await;
        assert!(matches!(end, FrameError::Closed));
    }

    #[test]
    fn response_has_markers() {
        assert_eq!(response_frame("{}"), "#response begin\n{}\n#response end\n");
    }
}
