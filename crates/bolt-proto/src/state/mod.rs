//! Client-side tracking of the Bolt server state and of pipelined requests.
//!
//! Owns [`ClientState`]: the queue matching each response to the request it
//! answers, the server state as confirmed by responses
//! ([`ClientState::state`]) and as it will be once every sent request has
//! succeeded ([`ClientState::predicted_state`]), against which new requests
//! are checked. Must not encode, decode or do I/O.
//!
//! Rules (Bolt 1–5.8):
//! - INIT / HELLO lead to READY (5.1+: HELLO leads to AUTHENTICATION, LOGON to
//!   READY, LOGOFF back); their FAILURE, and a FAILURE of RESET, make the
//!   connection DEFUNCT. GOODBYE makes it DEFUNCT at once (no response).
//! - RUN opens a result: STREAMING in auto-commit, TX_STREAMING inside
//!   BEGIN…COMMIT/ROLLBACK. In auto-commit only one result may be open; in a
//!   transaction several may (4.0+, addressed by `qid`). PULL / DISCARD close
//!   it unless SUCCESS says `has_more`. When predicting, a PULL of all (`n` =
//!   -1) is assumed to close the stream and a batched PULL to leave it open.
//!   A PULL of `n` > 0 takes at most `n` RECORDs before its summary: one
//!   more is a protocol error (so a client holds at most `n` records of
//!   a batch, whatever the server sends).
//! - FAILURE moves to FAILED: later requests are IGNORED until RESET (or
//!   ACK_FAILURE in Bolt 1–2). While a RESET is pending the state is
//!   INTERRUPTED.
//! - COMMIT / ROLLBACK are accepted with open results in 4.0+ (the server
//!   closes them), not before.
//!
//! ```
//! use bolt_proto::message::{Hello, Pull, Request, Response, Run, Success};
//! use bolt_proto::state::{ClientState, ServerState};
//! use bolt_proto::Version;
//! let mut st = ClientState::new(Version::V4_4);
//! st.on_send(&Request::Hello(Hello::new("me"))).unwrap();
//! st.on_send(&Request::Run(Run::new("RETURN 1"))).unwrap();
//! st.on_send(&Request::Pull(Pull::all())).unwrap();
//! assert_eq!(st.predicted_state(), ServerState::Ready);
//! assert!(st.on_send(&Request::Commit).is_err()); // not in a transaction
//! let ok = Response::Success(Success::default());
//! st.on_response(&ok).unwrap(); // HELLO
//! st.on_response(&ok).unwrap(); // RUN
//! assert_eq!(st.state(), ServerState::Streaming);
//! st.on_record().unwrap();
//! st.on_response(&ok).unwrap(); // PULL
//! assert_eq!(st.state(), ServerState::Ready);
//! ```

use std::collections::VecDeque;
use std::fmt;

use crate::message::{
    Request, RequestKind, Response, ResponseKind, ResponseRef, Success, SuccessRef,
};
use crate::Version;

/// The server states of the Bolt specification.
///
/// ```
/// assert_eq!(bolt_proto::state::ServerState::TxReady.to_string(), "TX_READY");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServerState {
    /// Connected, before INIT / HELLO.
    Connected,
    /// After HELLO, before LOGON (5.1+).
    Authentication,
    /// Idle, ready for work.
    Ready,
    /// An auto-commit result is open.
    Streaming,
    /// In an explicit transaction, no result open.
    TxReady,
    /// In an explicit transaction with open results.
    TxStreaming,
    /// A request failed; requests are ignored until reset.
    Failed,
    /// A RESET is on its way.
    Interrupted,
    /// The connection is unusable (GOODBYE sent, or a fatal FAILURE).
    Defunct,
}

impl fmt::Display for ServerState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ServerState::Connected => "CONNECTED",
            ServerState::Authentication => "AUTHENTICATION",
            ServerState::Ready => "READY",
            ServerState::Streaming => "STREAMING",
            ServerState::TxReady => "TX_READY",
            ServerState::TxStreaming => "TX_STREAMING",
            ServerState::Failed => "FAILED",
            ServerState::Interrupted => "INTERRUPTED",
            ServerState::Defunct => "DEFUNCT",
        })
    }
}

/// An illegal request or an unexpected response.
///
/// ```
/// use bolt_proto::message::Request;
/// use bolt_proto::state::{ClientState, StateError};
/// let mut st = ClientState::new(bolt_proto::Version::V5_0);
/// let err = st.on_send(&Request::Commit).unwrap_err();
/// assert!(matches!(err, StateError::IllegalRequest { .. }));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// The request is not allowed in the state the server will be in.
    #[error("{request} is not allowed in state {state} (Bolt {version})")]
    IllegalRequest {
        /// The request's wire name.
        request: &'static str,
        /// The predicted server state.
        state: ServerState,
        /// The negotiated version.
        version: Version,
    },
    /// The message does not exist in the negotiated version.
    #[error("{request} is not part of Bolt {version}")]
    NotInVersion {
        /// The request's wire name.
        request: &'static str,
        /// The negotiated version.
        version: Version,
    },
    /// The connection is closed (GOODBYE sent) or defunct.
    #[error("the connection is defunct; {request} cannot be sent")]
    Defunct {
        /// The request's wire name.
        request: &'static str,
    },
    /// More RECORDs arrived for a PULL than its `n` asked for.
    #[error("more RECORDs than the {requested} the PULL asked for")]
    TooManyRecords {
        /// The PULL's `n`.
        requested: i64,
    },
    /// A response arrived that no pending request can take.
    #[error("unexpected {response:?} in state {state} (answering {answering:?})")]
    UnexpectedResponse {
        /// What arrived.
        response: ResponseKind,
        /// The confirmed server state.
        state: ServerState,
        /// The request at the head of the queue, if any.
        answering: Option<RequestKind>,
    },
}

/// A request waiting for its summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Pending {
    kind: RequestKind,
    /// PULL/DISCARD of everything (`n` = -1).
    all: bool,
    /// A PULL's `n` (0 for a PULL of all, or one sent by kind alone:
    /// no limit).
    requested: i64,
    /// RECORDs that may still come for a PULL of `requested` > 0.
    records_left: u64,
    /// The predicted state once this request (and every one before it)
    /// has succeeded: the fold of `predict` from the confirmed state.
    after: Sim,
}

/// The server's state in detail: the state and the number of open results.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Sim {
    state: ServerState,
    in_tx: bool,
    open: u32,
}

enum Outcome {
    Success { has_more: bool },
    Failure,
    Ignored,
}

impl Sim {
    const START: Sim = Sim {
        state: ServerState::Connected,
        in_tx: false,
        open: 0,
    };

    fn at(state: ServerState) -> Sim {
        Sim {
            state,
            in_tx: false,
            open: 0,
        }
    }

    fn streaming(in_tx: bool, open: u32) -> Sim {
        let state = match (in_tx, open) {
            (false, 0) => ServerState::Ready,
            (false, _) => ServerState::Streaming,
            (true, 0) => ServerState::TxReady,
            (true, _) => ServerState::TxStreaming,
        };
        Sim { state, in_tx, open }
    }

    /// Whether `kind` may be sent in this state.
    fn allows(self, kind: RequestKind, version: Version) -> bool {
        use RequestKind as K;
        use ServerState as S;
        match (self.state, kind) {
            (S::Defunct, _) => false,
            (_, K::Goodbye) => true,
            // Everything may be sent to a failed server: it is IGNORED.
            (S::Failed, _) => true,
            (S::Connected, K::Init | K::Hello) => true,
            (S::Connected, _) => false,
            (S::Authentication, K::Logon) => true,
            (S::Authentication, _) => false,
            (_, K::Reset) => true,
            (S::Ready, K::Run | K::Begin | K::Route | K::Logoff | K::Telemetry) => true,
            (S::Streaming, K::Pull | K::Discard) => true,
            (S::TxReady, K::Run | K::Commit | K::Rollback) => true,
            (S::TxStreaming, K::Pull | K::Discard) => true,
            (S::TxStreaming, K::Run | K::Commit | K::Rollback) => version.has_pull_n(),
            _ => false,
        }
    }

    /// The state after `p` got `outcome`; `None` if the outcome cannot be.
    fn step(self, p: Pending, outcome: Outcome, version: Version) -> Option<Sim> {
        use RequestKind as K;
        use ServerState as S;
        let fatal = matches!(p.kind, K::Init | K::Hello | K::Logon | K::Reset);
        match outcome {
            Outcome::Ignored => Some(self),
            Outcome::Failure if fatal => Some(Sim::at(S::Defunct)),
            Outcome::Failure => Some(match self.state {
                S::Defunct => self,
                _ => Sim::at(S::Failed),
            }),
            Outcome::Success { has_more } => {
                let next = match (self.state, p.kind) {
                    (S::Defunct, _) | (_, K::Goodbye) => Sim::at(S::Defunct),
                    (_, K::Reset) => Sim::at(S::Ready),
                    (S::Failed, K::AckFailure) => Sim::at(S::Ready),
                    (S::Failed, _) => return None,
                    (S::Connected, K::Hello) if version.has_logon() => Sim::at(S::Authentication),
                    (S::Connected, K::Init | K::Hello) => Sim::at(S::Ready),
                    (S::Authentication, K::Logon) => Sim::at(S::Ready),
                    (S::Ready, K::Logoff) => Sim::at(S::Authentication),
                    (S::Ready, K::Route | K::Telemetry) => self,
                    (S::Ready, K::Begin) => Sim::streaming(true, 0),
                    (S::Ready, K::Run) => Sim::streaming(false, 1),
                    (S::TxReady | S::TxStreaming, K::Run) => {
                        Sim::streaming(true, self.open.saturating_add(1))
                    }
                    (S::TxReady | S::TxStreaming, K::Commit | K::Rollback) => Sim::at(S::Ready),
                    (S::Streaming | S::TxStreaming, K::Pull | K::Discard) => {
                        if has_more {
                            self
                        } else {
                            Sim::streaming(self.in_tx, self.open.saturating_sub(1))
                        }
                    }
                    _ => return None,
                };
                Some(next)
            }
        }
    }

    /// The state after `p`, assuming success (or IGNORED when failed).
    fn predict(self, p: Pending, version: Version) -> Sim {
        let outcome = if self.state == ServerState::Failed
            && !matches!(
                p.kind,
                RequestKind::Reset | RequestKind::AckFailure | RequestKind::Goodbye
            ) {
            Outcome::Ignored
        } else {
            Outcome::Success {
                has_more: matches!(p.kind, RequestKind::Pull | RequestKind::Discard) && !p.all,
            }
        };
        self.step(p, outcome, version).unwrap_or(self)
    }
}

/// Tracks one client connection: server state and pending responses.
///
/// Call [`on_send`](Self::on_send) for each request written (it refuses
/// illegal ones without changing anything) and
/// [`on_response`](Self::on_response) (or the `on_record` / `on_success` /
/// `on_failure` / `on_ignored` shortcuts) for each response read.
///
/// ```
/// use bolt_proto::message::{Request, Response};
/// use bolt_proto::state::{ClientState, ServerState};
/// let mut st = ClientState::new(bolt_proto::Version::V5_0);
/// st.on_send(&Request::Goodbye).unwrap();
/// assert_eq!(st.state(), ServerState::Defunct);
/// assert!(st.on_send(&Request::Reset).is_err());
/// ```
#[derive(Debug, Clone)]
pub struct ClientState {
    version: Version,
    confirmed: Sim,
    predicted: Sim,
    pending: VecDeque<Pending>,
    resets: usize,
}

impl ClientState {
    /// A fresh connection after the handshake (state CONNECTED).
    ///
    /// ```
    /// let st = bolt_proto::state::ClientState::new(bolt_proto::Version::V3_0);
    /// assert_eq!(st.state(), bolt_proto::state::ServerState::Connected);
    /// ```
    pub fn new(version: Version) -> Self {
        ClientState {
            version,
            confirmed: Sim::START,
            predicted: Sim::START,
            pending: VecDeque::new(),
            resets: 0,
        }
    }

    /// The negotiated version.
    ///
    /// ```
    /// let st = bolt_proto::state::ClientState::new(bolt_proto::Version::V3_0);
    /// assert_eq!(st.version(), bolt_proto::Version::V3_0);
    /// ```
    pub fn version(&self) -> Version {
        self.version
    }

    /// The server state as confirmed by the responses read so far
    /// (INTERRUPTED while a RESET is pending).
    ///
    /// ```
    /// use bolt_proto::{message::Request, state::*};
    /// let mut st = ClientState::new(bolt_proto::Version::V1);
    /// st.on_send(&Request::Init(Default::default())).unwrap();
    /// st.on_send(&Request::Reset).unwrap();
    /// assert_eq!(st.state(), ServerState::Interrupted);
    /// ```
    pub fn state(&self) -> ServerState {
        if self.resets > 0 && self.confirmed.state != ServerState::Defunct {
            ServerState::Interrupted
        } else {
            self.confirmed.state
        }
    }

    /// The state once every sent request has succeeded; new requests are
    /// checked against it.
    ///
    /// ```
    /// use bolt_proto::{message::{Request, Begin, Hello}, state::*};
    /// let mut st = ClientState::new(bolt_proto::Version::V4_0);
    /// st.on_send(&Request::Hello(Hello::new("x"))).unwrap();
    /// st.on_send(&Request::Begin(Begin::default())).unwrap();
    /// assert_eq!(st.predicted_state(), ServerState::TxReady);
    /// ```
    pub fn predicted_state(&self) -> ServerState {
        self.predicted.state
    }

    /// How many requests await their summary.
    ///
    /// ```
    /// assert_eq!(bolt_proto::state::ClientState::new(bolt_proto::Version::V1).pending(), 0);
    /// ```
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// The request the next response answers.
    ///
    /// ```
    /// use bolt_proto::{message::{Request, RequestKind, Hello}, state::*};
    /// let mut st = ClientState::new(bolt_proto::Version::V5_0);
    /// st.on_send(&Request::Hello(Hello::new("x"))).unwrap();
    /// assert_eq!(st.expected(), Some(RequestKind::Hello));
    /// ```
    pub fn expected(&self) -> Option<RequestKind> {
        self.pending.front().map(|p| p.kind)
    }

    /// Whether an explicit transaction is open (as predicted).
    ///
    /// ```
    /// assert!(!bolt_proto::state::ClientState::new(bolt_proto::Version::V4_4).in_transaction());
    /// ```
    pub fn in_transaction(&self) -> bool {
        self.predicted.in_tx
    }

    /// Records a request about to be written. Refuses, without changing
    /// anything, a request the version lacks or the predicted state forbids.
    ///
    /// ```
    /// use bolt_proto::{message::{Request, Run}, state::*};
    /// let mut st = ClientState::new(bolt_proto::Version::V4_4);
    /// // RUN before HELLO:
    /// assert!(st.on_send(&Request::Run(Run::new("RETURN 1"))).is_err());
    /// ```
    pub fn on_send(&mut self, req: &Request) -> Result<(), StateError> {
        let (all, requested) = match req {
            Request::Pull(p) => (p.n < 0, p.n.max(0)),
            Request::Discard(p) => (p.n < 0, 0),
            _ => (false, 0),
        };
        self.send(req.kind(), all, requested)
    }

    /// Whether a request of `kind` may be sent now, without recording it:
    /// the refusal [`on_send`](Self::on_send) would give, checked before
    /// the request is written (a writer that fails then leaves nothing to
    /// undo).
    ///
    /// ```
    /// use bolt_proto::{message::{Hello, Request, RequestKind}, state::*};
    /// let mut st = ClientState::new(bolt_proto::Version::V5_0);
    /// assert!(st.check_send(RequestKind::Run).is_err()); // before HELLO
    /// st.on_send(&Request::Hello(Hello::new("x"))).unwrap();
    /// assert!(st.check_send(RequestKind::Run).is_ok());
    /// assert!(st.check_send(RequestKind::Commit).is_err()); // no transaction
    /// assert!(st.check_send(RequestKind::Telemetry).is_err()); // 5.4+
    /// assert_eq!(st.pending(), 1); // nothing recorded
    /// ```
    pub fn check_send(&self, kind: RequestKind) -> Result<(), StateError> {
        let version = self.version;
        let request = kind.wire_name(version);
        if !kind.is_available_in(version) {
            return Err(StateError::NotInVersion { request, version });
        }
        if self.predicted.state == ServerState::Defunct {
            return Err(StateError::Defunct { request });
        }
        if !self.predicted.allows(kind, version) {
            return Err(StateError::IllegalRequest {
                request,
                state: self.predicted.state,
                version,
            });
        }
        Ok(())
    }

    /// [`on_send`](Self::on_send) from the kind alone; `all` tells whether a
    /// PULL / DISCARD takes everything (`n` = -1).
    ///
    /// ```
    /// use bolt_proto::{message::RequestKind, state::*};
    /// let mut st = ClientState::new(bolt_proto::Version::V1);
    /// st.on_send_kind(RequestKind::Init, false).unwrap();
    /// assert_eq!(st.pending(), 1);
    /// ```
    pub fn on_send_kind(&mut self, kind: RequestKind, all: bool) -> Result<(), StateError> {
        self.send(kind, all, 0)
    }

    /// [`on_send_kind`](Self::on_send_kind); `requested`: a PULL's `n`
    /// when it limits the RECORDs (> 0), else 0.
    fn send(&mut self, kind: RequestKind, all: bool, requested: i64) -> Result<(), StateError> {
        self.check_send(kind)?;
        if kind == RequestKind::Goodbye {
            // No response comes: the connection is closed from here on.
            self.confirmed = Sim::at(ServerState::Defunct);
            self.predicted = self.confirmed;
            self.pending.clear();
            self.resets = 0;
            return Ok(());
        }
        if kind == RequestKind::Reset {
            self.resets += 1;
        }
        let mut p = Pending {
            kind,
            all,
            requested,
            records_left: if requested > 0 {
                requested.unsigned_abs()
            } else {
                u64::MAX
            },
            after: self.predicted,
        };
        self.predicted = self.predicted.predict(p, self.version);
        p.after = self.predicted;
        self.pending.push_back(p);
        Ok(())
    }

    /// Records a response read; returns the request a summary completes
    /// (`None` for a RECORD).
    ///
    /// ```
    /// use bolt_proto::{message::{Request, RequestKind, Response}, state::*};
    /// let mut st = ClientState::new(bolt_proto::Version::V1);
    /// assert!(st.on_response(&Response::Ignored).is_err()); // nothing pending
    /// ```
    pub fn on_response(&mut self, resp: &Response) -> Result<Option<RequestKind>, StateError> {
        match resp {
            Response::Record(_) => self.on_record().map(|_| None),
            Response::Success(s) => self.on_success(s).map(Some),
            Response::Failure(_) => self.on_failure().map(Some),
            Response::Ignored => self.on_ignored().map(Some),
        }
    }

    /// [`on_response`](Self::on_response) for a borrowed response.
    ///
    /// ```
    /// use bolt_proto::{message::ResponseRef, state::*};
    /// let mut st = ClientState::new(bolt_proto::Version::V1);
    /// assert!(st.on_response_ref(&ResponseRef::Ignored).is_err());
    /// ```
    pub fn on_response_ref(
        &mut self,
        resp: &ResponseRef<'_>,
    ) -> Result<Option<RequestKind>, StateError> {
        match resp {
            ResponseRef::Record(_) => self.on_record().map(|_| None),
            ResponseRef::Success(s) => self.on_success_ref(s).map(Some),
            ResponseRef::Failure(_) => self.on_failure().map(Some),
            ResponseRef::Ignored => self.on_ignored().map(Some),
        }
    }

    fn unexpected(&self, response: ResponseKind) -> StateError {
        StateError::UnexpectedResponse {
            response,
            state: self.state(),
            answering: self.expected(),
        }
    }

    /// Records a RECORD: it must belong to a pending PULL on an open stream,
    /// within the PULL's `n`. Returns the PULL's kind.
    ///
    /// ```
    /// let mut st = bolt_proto::state::ClientState::new(bolt_proto::Version::V4_4);
    /// assert!(st.on_record().is_err());
    /// ```
    pub fn on_record(&mut self) -> Result<RequestKind, StateError> {
        self.on_records(1)
    }

    /// Records `count` RECORDs at once ([`on_record`](Self::on_record)
    /// for a run of them, checked once). Refuses, without counting any,
    /// a run that would exceed the PULL's `n`.
    ///
    /// ```
    /// use bolt_proto::message::{Hello, Pull, Request, Response, Run, Success};
    /// use bolt_proto::state::{ClientState, StateError};
    /// let mut st = ClientState::new(bolt_proto::Version::V4_4);
    /// st.on_send(&Request::Hello(Hello::new("me"))).unwrap();
    /// st.on_send(&Request::Run(Run::new("UNWIND range(1, 9) AS x RETURN x"))).unwrap();
    /// st.on_send(&Request::Pull(Pull::n(2))).unwrap();
    /// let ok = Response::Success(Success::default());
    /// st.on_response(&ok).unwrap(); // HELLO
    /// st.on_response(&ok).unwrap(); // RUN
    /// assert!(matches!(st.on_records(3), Err(StateError::TooManyRecords { requested: 2 })));
    /// st.on_records(2).unwrap();
    /// assert!(st.on_record().is_err());
    /// ```
    pub fn on_records(&mut self, count: usize) -> Result<RequestKind, StateError> {
        let streaming = matches!(
            self.confirmed.state,
            ServerState::Streaming | ServerState::TxStreaming
        );
        match self.pending.front_mut() {
            Some(p) if p.kind == RequestKind::Pull && streaming => {
                let count = u64::try_from(count).unwrap_or(u64::MAX);
                match p.records_left.checked_sub(count) {
                    Some(left) => {
                        p.records_left = left;
                        Ok(p.kind)
                    }
                    None => Err(StateError::TooManyRecords {
                        requested: p.requested,
                    }),
                }
            }
            _ => Err(self.unexpected(ResponseKind::Record)),
        }
    }

    /// Records a SUCCESS (reads `has_more` for PULL / DISCARD).
    ///
    /// ```
    /// use bolt_proto::{message::{Request, Hello, Success}, state::*};
    /// let mut st = ClientState::new(bolt_proto::Version::V5_1);
    /// st.on_send(&Request::Hello(Hello::new("x"))).unwrap();
    /// st.on_success(&Success::default()).unwrap();
    /// assert_eq!(st.state(), ServerState::Authentication);
    /// ```
    pub fn on_success(&mut self, s: &Success) -> Result<RequestKind, StateError> {
        self.complete(
            ResponseKind::Success,
            Outcome::Success {
                has_more: s.has_more(),
            },
        )
    }

    /// [`on_success`](Self::on_success) for a borrowed SUCCESS.
    ///
    /// ```
    /// use bolt_proto::{message::{Request, Hello, SuccessRef}, state::*};
    /// let mut st = ClientState::new(bolt_proto::Version::V5_1);
    /// st.on_send(&Request::Hello(Hello::new("x"))).unwrap();
    /// st.on_success_ref(&SuccessRef::default()).unwrap();
    /// assert_eq!(st.state(), ServerState::Authentication);
    /// ```
    pub fn on_success_ref(&mut self, s: &SuccessRef<'_>) -> Result<RequestKind, StateError> {
        // `has_more` only means something to a PULL / DISCARD: not looked
        // up in other answers.
        let streams = matches!(
            self.pending.front(),
            Some(p) if matches!(p.kind, RequestKind::Pull | RequestKind::Discard)
        );
        self.complete(
            ResponseKind::Success,
            Outcome::Success {
                has_more: streams && s.has_more(),
            },
        )
    }

    /// Records a FAILURE.
    ///
    /// ```
    /// use bolt_proto::{message::{Request, Hello}, state::*};
    /// let mut st = ClientState::new(bolt_proto::Version::V4_4);
    /// st.on_send(&Request::Hello(Hello::new("x"))).unwrap();
    /// st.on_failure().unwrap();
    /// assert_eq!(st.state(), ServerState::Defunct);
    /// ```
    pub fn on_failure(&mut self) -> Result<RequestKind, StateError> {
        self.complete(ResponseKind::Failure, Outcome::Failure)
    }

    /// Records an IGNORED (the state does not change).
    ///
    /// ```
    /// let mut st = bolt_proto::state::ClientState::new(bolt_proto::Version::V4_4);
    /// assert!(st.on_ignored().is_err());
    /// ```
    pub fn on_ignored(&mut self) -> Result<RequestKind, StateError> {
        self.complete(ResponseKind::Ignored, Outcome::Ignored)
    }

    fn complete(
        &mut self,
        kind: ResponseKind,
        outcome: Outcome,
    ) -> Result<RequestKind, StateError> {
        let Some(&p) = self.pending.front() else {
            return Err(self.unexpected(kind));
        };
        let next = self
            .confirmed
            .step(p, outcome, self.version)
            .ok_or_else(|| self.unexpected(kind))?;
        self.pending.pop_front();
        if p.kind == RequestKind::Reset {
            self.resets = self.resets.saturating_sub(1);
        }
        self.confirmed = next;
        // The usual case: the answer was the one predicted, so the
        // predictions after it stand. Otherwise re-predict from what is
        // now known.
        if next != p.after {
            let mut s = next;
            for q in self.pending.iter_mut() {
                s = s.predict(*q, self.version);
                q.after = s;
            }
            self.predicted = s;
        }
        Ok(p.kind)
    }
}

#[cfg(test)]
mod tests;
