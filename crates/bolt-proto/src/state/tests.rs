//! Unit tests of the state machine: legal and illegal sequences per version.

use super::*;
use crate::message::{Begin, Failure, Hello, Init, Logon, Pull, Route, Run, Telemetry};

fn ok() -> Response {
    Response::Success(Success::default())
}

fn more() -> Response {
    let mut s = Success::default();
    s.metadata.insert("has_more", true);
    Response::Success(s)
}

fn fail() -> Response {
    Response::Failure(Failure::new("Neo.ClientError.Statement.SyntaxError", "x"))
}

fn run() -> Request {
    Request::Run(Run::new("RETURN 1"))
}

fn pull(n: i64) -> Request {
    Request::Pull(Pull::n(n))
}

fn ready(v: Version) -> ClientState {
    let mut st = ClientState::new(v);
    if v.is_legacy() {
        st.on_send(&Request::Init(Init::default())).unwrap();
    } else {
        st.on_send(&Request::Hello(Hello::new("t"))).unwrap();
    }
    st.on_response(&ok()).unwrap();
    if v.has_logon() {
        assert_eq!(st.state(), ServerState::Authentication);
        st.on_send(&Request::Logon(Logon::default())).unwrap();
        st.on_response(&ok()).unwrap();
    }
    assert_eq!(st.state(), ServerState::Ready);
    st
}

fn illegal(st: &mut ClientState, req: &Request) {
    let before = (st.state(), st.predicted_state(), st.pending());
    match st.on_send(req) {
        Err(StateError::IllegalRequest { .. }) => {}
        other => panic!("{req:?} in {:?}: {other:?}", st.predicted_state()),
    }
    assert_eq!(before, (st.state(), st.predicted_state(), st.pending()));
}

#[test]
fn auto_commit_every_version() {
    for &v in Version::ALL {
        let mut st = ready(v);
        st.on_send(&run()).unwrap();
        st.on_send(&Request::Pull(Pull::all())).unwrap();
        assert_eq!(st.predicted_state(), ServerState::Ready);
        assert_eq!(st.on_response(&ok()).unwrap(), Some(RequestKind::Run));
        assert_eq!(st.state(), ServerState::Streaming);
        assert_eq!(st.on_record().unwrap(), RequestKind::Pull);
        assert_eq!(st.on_response(&ok()).unwrap(), Some(RequestKind::Pull));
        assert_eq!(st.state(), ServerState::Ready);
        assert_eq!(st.pending(), 0);
    }
}

#[test]
fn run_while_streaming_is_illegal() {
    for &v in Version::ALL {
        let mut st = ready(v);
        st.on_send(&run()).unwrap();
        illegal(&mut st, &run());
        if v.has_pull_n() {
            // A batched PULL may leave the stream open: still illegal.
            st.on_send(&pull(10)).unwrap();
            illegal(&mut st, &run());
            st.on_response(&ok()).unwrap();
            st.on_response(&more()).unwrap();
            assert_eq!(st.state(), ServerState::Streaming);
            st.on_send(&pull(10)).unwrap();
            st.on_response(&ok()).unwrap();
            assert_eq!(st.state(), ServerState::Ready);
            assert_eq!(st.predicted_state(), ServerState::Ready);
            st.on_send(&run()).unwrap();
        }
    }
}

#[test]
fn transactions() {
    for &v in Version::ALL.iter().filter(|v| v.has_hello()) {
        let mut st = ready(v);
        illegal(&mut st, &Request::Commit);
        illegal(&mut st, &Request::Rollback);
        illegal(&mut st, &pull(-1));
        st.on_send(&Request::Begin(Begin::default())).unwrap();
        illegal(&mut st, &Request::Begin(Begin::default()));
        st.on_send(&run()).unwrap();
        assert_eq!(st.predicted_state(), ServerState::TxStreaming);
        if v.has_pull_n() {
            // Several results may be open in a 4.0+ transaction.
            st.on_send(&run()).unwrap();
        } else {
            illegal(&mut st, &run());
            illegal(&mut st, &Request::Commit);
        }
        st.on_send(&Request::Pull(Pull::all())).unwrap();
        if v.has_pull_n() {
            assert_eq!(st.predicted_state(), ServerState::TxStreaming);
            st.on_send(&Request::Pull(Pull::all())).unwrap();
        }
        assert_eq!(st.predicted_state(), ServerState::TxReady);
        st.on_send(&Request::Commit).unwrap();
        assert_eq!(st.predicted_state(), ServerState::Ready);
        st.on_response(&ok()).unwrap(); // BEGIN
        assert_eq!(st.state(), ServerState::TxReady);
        st.on_response(&ok()).unwrap(); // RUN
        assert_eq!(st.state(), ServerState::TxStreaming);
        if v.has_pull_n() {
            st.on_response(&ok()).unwrap(); // RUN 2
        }
        st.on_record().unwrap();
        st.on_response(&ok()).unwrap(); // PULL
        if v.has_pull_n() {
            assert_eq!(st.state(), ServerState::TxStreaming);
            st.on_response(&ok()).unwrap(); // PULL 2
        }
        assert_eq!(st.state(), ServerState::TxReady);
        assert_eq!(st.on_response(&ok()).unwrap(), Some(RequestKind::Commit));
        assert_eq!(st.state(), ServerState::Ready);
    }
}

#[test]
fn failure_ignored_and_reset() {
    for &v in Version::ALL {
        let mut st = ready(v);
        st.on_send(&run()).unwrap();
        st.on_send(&Request::Pull(Pull::all())).unwrap();
        st.on_response(&fail()).unwrap();
        assert_eq!(st.state(), ServerState::Failed);
        assert_eq!(st.predicted_state(), ServerState::Failed);
        // A SUCCESS for the PULL now is a protocol violation.
        assert!(matches!(
            st.on_response(&ok()),
            Err(StateError::UnexpectedResponse { .. })
        ));
        st.on_response(&Response::Ignored).unwrap();
        assert_eq!(st.state(), ServerState::Failed);
        let recover = if v.is_legacy() {
            Request::AckFailure
        } else {
            Request::Reset
        };
        st.on_send(&recover).unwrap();
        assert_eq!(st.predicted_state(), ServerState::Ready);
        st.on_response(&ok()).unwrap();
        assert_eq!(st.state(), ServerState::Ready);
    }
}

#[test]
fn reset_interrupts() {
    let mut st = ready(Version::V4_4);
    st.on_send(&run()).unwrap();
    st.on_send(&pull(1000)).unwrap();
    st.on_send(&Request::Reset).unwrap();
    assert_eq!(st.state(), ServerState::Interrupted);
    assert_eq!(st.predicted_state(), ServerState::Ready);
    st.on_response(&Response::Ignored).unwrap();
    st.on_response(&Response::Ignored).unwrap();
    assert_eq!(st.state(), ServerState::Interrupted);
    assert_eq!(st.expected(), Some(RequestKind::Reset));
    st.on_response(&ok()).unwrap();
    assert_eq!(st.state(), ServerState::Ready);
    // A failed RESET kills the connection.
    st.on_send(&Request::Reset).unwrap();
    st.on_response(&fail()).unwrap();
    assert_eq!(st.state(), ServerState::Defunct);
    assert!(matches!(
        st.on_send(&run()),
        Err(StateError::Defunct { .. })
    ));
}

#[test]
fn hello_failure_and_goodbye() {
    let mut st = ClientState::new(Version::V5_0);
    illegal(&mut st, &run());
    st.on_send(&Request::Hello(Hello::new("x"))).unwrap();
    st.on_response(&fail()).unwrap();
    assert_eq!(st.state(), ServerState::Defunct);

    let mut st = ready(Version::V5_4);
    st.on_send(&Request::Goodbye).unwrap();
    assert_eq!(st.state(), ServerState::Defunct);
    assert_eq!(st.pending(), 0);
    for r in [run(), Request::Reset, Request::Goodbye] {
        assert!(matches!(st.on_send(&r), Err(StateError::Defunct { .. })));
    }
}

#[test]
fn version_gating() {
    let mut st = ready(Version::V4_2);
    assert!(matches!(
        st.on_send(&Request::Route(Route::default())),
        Err(StateError::NotInVersion { .. })
    ));
    let mut st = ready(Version::V5_3);
    assert!(matches!(
        st.on_send(&Request::Telemetry(Telemetry { api: 0 })),
        Err(StateError::NotInVersion { .. })
    ));
    let mut st = ready(Version::V5_4);
    st.on_send(&Request::Telemetry(Telemetry { api: 0 }))
        .unwrap();
    st.on_send(&Request::Route(Route::default())).unwrap();
    st.on_send(&Request::Logoff).unwrap();
    assert_eq!(st.predicted_state(), ServerState::Authentication);
    illegal(&mut st, &run());
    st.on_send(&Request::Logon(Logon::default())).unwrap();
    for _ in 0..4 {
        st.on_response(&ok()).unwrap();
    }
    assert_eq!(st.state(), ServerState::Ready);
    let mut st = ready(Version::V1);
    assert!(matches!(
        st.on_send(&Request::Begin(Begin::default())),
        Err(StateError::NotInVersion { .. })
    ));
}

#[test]
fn a_pull_takes_at_most_n_records() {
    for &v in Version::ALL.iter().filter(|v| v.has_pull_n()) {
        let mut st = ready(v);
        st.on_send(&run()).unwrap();
        st.on_send(&pull(3)).unwrap();
        st.on_response(&ok()).unwrap();
        for _ in 0..3 {
            st.on_record().unwrap();
        }
        assert_eq!(
            st.on_record(),
            Err(StateError::TooManyRecords { requested: 3 })
        );
        // The next PULL counts afresh; a run is refused whole.
        st.on_response(&more()).unwrap();
        st.on_send(&pull(3)).unwrap();
        assert!(st.on_records(4).is_err());
        st.on_records(3).unwrap();
        assert!(st.on_records(1).is_err());
        st.on_response(&more()).unwrap();
        // A PULL of all has no limit.
        st.on_send(&pull(-1)).unwrap();
        st.on_records(1 << 20).unwrap();
        st.on_records(usize::MAX / 2).unwrap();
        st.on_response(&ok()).unwrap();
        assert_eq!(st.state(), ServerState::Ready);
    }
}

#[test]
fn unexpected_responses() {
    let mut st = ready(Version::V4_4);
    assert!(st.on_response(&ok()).is_err());
    assert!(st.on_record().is_err());
    st.on_send(&run()).unwrap();
    // A RECORD before the RUN's SUCCESS belongs to no PULL.
    assert!(st.on_record().is_err());
    st.on_response(&ok()).unwrap();
    st.on_send(&Request::Discard(Pull::all())).unwrap();
    // RECORDs do not answer DISCARD.
    assert!(st.on_record().is_err());
    st.on_response(&ok()).unwrap();
    assert_eq!(st.state(), ServerState::Ready);
}

/// The predictions kept per pending request (`Pending::after`, updated
/// only when an answer was not the predicted one) always equal a fresh
/// fold of `predict` from the confirmed state, whatever is sent and
/// answered.
mod kept_predictions {
    use super::*;
    use crate::message::Discard;
    use proptest::prelude::*;

    fn fresh(st: &ClientState) -> (Vec<Sim>, Sim) {
        let mut s = st.confirmed;
        let afters = st
            .pending
            .iter()
            .map(|&p| {
                s = s.predict(p, st.version);
                s
            })
            .collect();
        (afters, s)
    }

    fn request(i: u8) -> Request {
        match i % 9 {
            0 => run(),
            1 => pull(-1),
            2 => pull(10),
            3 => Request::Discard(Discard::n(-1)),
            4 => Request::Begin(Begin::default()),
            5 => Request::Commit,
            6 => Request::Rollback,
            7 => Request::Reset,
            _ => Request::Hello(Hello::new("x")),
        }
    }

    fn response(i: u8) -> Response {
        match i % 4 {
            0 => ok(),
            1 => more(),
            2 => fail(),
            _ => Response::Ignored,
        }
    }

    proptest! {
        #[test]
        fn equal_a_fresh_fold(steps in proptest::collection::vec((any::<bool>(), any::<u8>()), 0..60),
                              v in 0usize..3) {
            let version = [Version::V4_4, Version::V5_4, Version::V3_0][v];
            let mut st = ready(version);
            for (send, i) in steps {
                if send {
                    let _ = st.on_send(&request(i));
                } else {
                    let _ = st.on_response(&response(i));
                }
                let (afters, predicted) = fresh(&st);
                let kept: Vec<Sim> = st.pending.iter().map(|p| p.after).collect();
                prop_assert_eq!(kept, afters);
                prop_assert_eq!(st.predicted, predicted);
            }
        }
    }
}
