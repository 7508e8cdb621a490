//! The per-connection link to TestKit: writing frames, handing out ids,
//! and callbacks (the backend asks TestKit something while a request is in
//! progress and waits for the matching `...Completed` request).
//!
//! Owns no driver state. The reader task routes `...Completed` requests
//! here by `requestId`; everything else goes to the handler.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc;

use crate::protocol::framing::response_frame;
use crate::protocol::requests::Request;
use crate::protocol::responses::Response;
use crate::protocol::Id;

/// How long a callback waits for TestKit's answer (TestKit itself gives up
/// on a response after 10 s, so anything longer means it is gone).
pub(crate) const CALLBACK_DEADLINE: Duration = Duration::from_secs(30);

enum Waiter {
    Blocking(std::sync::mpsc::SyncSender<Request>),
}

/// Shared by the reader, the handler and callbacks running inside the
/// driver (possibly on other threads).
pub(crate) struct Link {
    out: mpsc::UnboundedSender<String>,
    pending: Mutex<HashMap<Id, Waiter>>,
    next_id: AtomicU64,
}

impl Link {
    /// A link writing frames into `out`.
    pub(crate) fn new(out: mpsc::UnboundedSender<String>) -> Arc<Link> {
        Arc::new(Link {
            out,
            pending: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(1),
        })
    }

    /// A fresh id, unique on this connection.
    pub(crate) fn next_id(&self) -> Id {
        Id(self.next_id.fetch_add(1, Ordering::Relaxed))
    }

    /// Writes one response frame (silently dropped once the connection is
    /// gone).
    pub(crate) fn send(&self, r: &Response) {
        let _ = self.out.send(response_frame(&r.to_json()));
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, HashMap<Id, Waiter>> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Hands a `...Completed` request to the callback waiting for it.
    /// Returns false when nobody waits (late or bogus answer).
    pub(crate) fn complete(&self, id: Id, req: Request) -> bool {
        match self.pending().remove(&id) {
            Some(Waiter::Blocking(tx)) => tx.send(req).is_ok(),
            None => false,
        }
    }

    /// Sends the callback request `make(id)` and waits for TestKit's answer,
    /// at most [`CALLBACK_DEADLINE`]. For the driver's synchronous hooks
    /// (the address resolver): blocks this thread, never the reader.
    pub(crate) fn callback_blocking(
        &self,
        make: impl FnOnce(Id) -> Response,
    ) -> Result<Request, String> {
        let id = self.next_id();
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.pending().insert(id, Waiter::Blocking(tx));
        self.send(&make(id));
        let wait = || rx.recv_timeout(CALLBACK_DEADLINE);
        // On a multi-threaded runtime, let other tasks move off this worker.
        let got = match tokio::runtime::Handle::try_current() {
            Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
                tokio::task::block_in_place(wait)
            }
            _ => wait(),
        };
        self.pending().remove(&id);
        got.map_err(|e| match e {
            std::sync::mpsc::RecvTimeoutError::Timeout => {
                format!("TestKit did not answer a callback within {CALLBACK_DEADLINE:?}")
            }
            std::sync::mpsc::RecvTimeoutError::Disconnected => {
                "the TestKit connection closed during a callback".to_owned()
            }
        })
    }

    /// Fails every waiting callback (the connection is closing).
    pub(crate) fn abandon_callbacks(&self) {
        self.pending().clear();
    }
}
