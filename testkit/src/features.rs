//! What the backend tells TestKit it supports (`GetFeatures`) and which
//! tests it skips (`StartTest`/`StartSubTest`).
//!
//! Every feature listed must really work through the `neo4j` facade;
//! every skip carries its reason. Prefer fixing to skipping.

/// The features declared to TestKit. Strings must be from
/// `nutkit/protocol/feature.py` (an unknown one breaks every test).
pub(crate) const FEATURES: &[&str] = &[
    // Bolt versions the driver offers (5.0-5.8, 4.2-4.4, 4.1, 3.0).
    "Feature:Bolt:3.0",
    "Feature:Bolt:4.1",
    "Feature:Bolt:4.2",
    "Feature:Bolt:4.3",
    "Feature:Bolt:4.4",
    "Feature:Bolt:5.0",
    "Feature:Bolt:5.1",
    "Feature:Bolt:5.2",
    "Feature:Bolt:5.3",
    "Feature:Bolt:5.4",
    "Feature:Bolt:5.5",
    "Feature:Bolt:5.6",
    "Feature:Bolt:5.7",
    // Auth schemes the facade builds (AuthToken::bearer/kerberos/custom).
    "Feature:Auth:Bearer",
    "Feature:Auth:Custom",
    "Feature:Auth:Kerberos",
    // ConfigBuilder::with_auth_manager, AuthTokenManagers::basic/bearer.
    "Feature:Auth:Managed",
    // SessionConfig::with_auth (LOGOFF/LOGON on Bolt 5.1+).
    "Feature:API:Session:AuthConfig",
    "Feature:API:Driver.SupportsSessionAuth",
    "Feature:API:Driver.VerifyAuthentication",
    // ExecuteQuery::auth.
    "Feature:API:Driver.ExecuteQuery:WithAuth",
    // AuthorizationExpired: the pool's connections log on again before
    // their next use; the error is retryable.
    "AuthorizationExpiredTreatment",
    // SessionConfig::with_impersonated_user (imp_user in BEGIN/RUN/ROUTE
    // from Bolt 4.4; a usage error before).
    "Feature:Impersonation",
    // RUN and its first PULL go out together (auto-commit and in
    // transactions).
    "Optimization:PullPipelining",
    // No RESET on a connection that is idle (a result consumed, a
    // transaction ended): only pooled connections reused by the
    // connectivity checks and connections left mid-work are RESET.
    "Optimization:MinimalResets",
    // GraphDatabase::bookmark_manager, SessionConfig::with_bookmark_manager.
    "Feature:API:BookmarkManager",
    // Driver::execute_query (with its default bookmark manager).
    "Feature:API:Driver.ExecuteQuery",
    "Feature:API:Driver.VerifyConnectivity",
    "Feature:API:Driver:GetServerInfo",
    "Feature:API:Driver.IsEncrypted",
    // Driver::is_encrypted answers from the immutable connection details,
    // also after close.
    "Detail:ClosedDriverIsEncrypted",
    // TLS: `encrypted` + `trust` options, `+s`/`+ssc` schemes, client
    // certificates (fixed, and a TestKit-side ClientCertificateProvider
    // through the facade's provider hook). rustls speaks TLS 1.2 and 1.3
    // only (no 1.1).
    "Feature:API:SSLConfig",
    "Feature:API:SSLSchemes",
    "Feature:API:SSLClientCertificate",
    "Feature:TLS:1.2",
    "Feature:TLS:1.3",
    "Feature:API:Driver:NotificationsConfig",
    // SessionConfig::with_notification_filter (BEGIN / RUN fields).
    "Feature:API:Session:NotificationsConfig",
    "Feature:API:Summary:GqlStatusObjects",
    "Feature:API:Result.List",
    "Feature:API:Result.Peek",
    "Feature:API:Result.Single",
    "Feature:API:Result.SingleOptional",
    "Feature:API:RetryableExceptions",
    "Feature:API:Type.Spatial",
    "Feature:API:Type.Temporal",
    // Connection acquisition is bounded as a whole (pool wait, connect,
    // handshake, HELLO; a routing driver's router connection too).
    "Feature:API:ConnectionAcquisitionTimeout",
    // ConfigBuilder::with_liveness_check_timeout: a connection idle for
    // longer is RESET before it is handed out.
    "Feature:API:Liveness.Check",
    // Pooled connections are reused (no handshake / HELLO per query).
    "Optimization:ConnectionReuse",
    // Default values (mode write, no database, fetch size 1000 as -1 ...)
    // are left out of BEGIN / RUN / PULL / HELLO.
    "Optimization:ImplicitDefaultArguments",
    // Bolt 5.1+: HELLO and LOGON go out in one write. (TestKit's auth
    // scheme tests need it with ImplicitDefaultArguments; re-auth must
    // pipeline LOGOFF + LOGON with the next message too.)
    "Optimization:AuthPipelining",
    // Bolt 4.3 / 4.4 ask for the `utc` patch in HELLO and then use the
    // UTC date-time structures.
    "Feature:Bolt:Patch:UTC",
    // HELLO SUCCESS `hints` `connection.recv_timeout_seconds` bounds
    // every read on that connection.
    "ConfHint:connection.recv_timeout_seconds",
    // BEGIN is confirmed before begin_transaction returns. Managed
    // transactions pipeline BEGIN with their first query instead (see the
    // two tx_run skips below).
    "Optimization:EagerTransactionBegin",
    // Driver::execute_query sends BEGIN, RUN and PULL in one write.
    "Optimization:ExecuteQueryPipelining",
    // RecordStream::list / collect pull the rest in one batch (n = -1).
    "Optimization:ResultListFetchAll",
    // FakeTimeInstall / Tick / Uninstall: drivers get the backend's clock
    // (neo4j::Clock), which lifetimes and liveness checks are judged by.
    "Backend:MockTime",
    // Routing diagnostics (`Driver::routing_table`,
    // `Driver::force_routing_table_update`).
    "Backend:RTFetch",
    "Backend:RTForceUpdate",
];

/// Tests skipped, by pattern (`*` matches any run of characters), with
/// the reason TestKit shows. First match wins.
const SKIPS: &[(&str, &str)] = &[
    (
        "stub.tx_run.test_tx_run.TestTxRun.test_eager_begin_on_tx_func_run_with_*",
        "by design: a managed transaction sends BEGIN with its first query in one write (2 round \
         trips per one-query write transaction, not 3), so a failing BEGIN is reported by that \
         query inside the transaction function rather than before it runs; the retry rules then \
         apply as to any failure there (explicit transactions do wait for BEGIN)",
    ),
    (
        "tls.test_explicit_options.TestExplicitSslOptions.test_explicit_config_and_scheme_config",
        "TestKit checks the error text only for javascript/java/dotnet and fails any other driver; \
         ours does refuse +s/+ssc with explicit encrypted/trust (a ConfigError naming \
         encryption and trust, tested in crates/neo4j driver::connector)",
    ),
    (
        "stub.server_side_routing.test_server_side_routing.TestServerSideRouting.test_direct_connection_with_url_params",
        "TestKit bug for drivers it has no error mapping for: the test reads the unbound local `driver` \
         (UnboundLocalError) after the expected error; the driver does refuse a bolt:// URI with query \
         parameters (routing context) with Error::InvalidUri (neo4j crate: uri tests)",
    ),
    (
        "stub.driver_parameters.test_connection_acquisition_timeout_ms.TestConnectionAcquisitionTimeoutMs.test_does_not_encompass_router_route_response",
        "by design (reliability issue, routing defect): a routing-table refresh, the router's ROUTE \
         answer included, is bounded by the connection acquisition timeout, so no session waits on \
         a silent router past it (Error::ConnectionAcquisitionTimeout, the router forgotten for \
         that database); the official drivers let the ROUTE answer run past it, which this test \
         checks",
    ),
    (
        "stub.driver_parameters.test_connection_acquisition_timeout_ms.TestConnectionAcquisitionTimeoutMs.test_router_handshake_has_own_timeout_in_time",
        "by design (reliability issue, defect 11 in docs/reliability.md): one connection \
         acquisition timeout bounds a session's whole wait (routing refresh, router handshake \
         and the reader's pool together), so a session never waits past it; the official drivers \
         give the router's handshake and the reader's its own timeout each, which this test \
         checks (4 s + 4 s of delays against 6 s)",
    ),
    // tests/neo4j (the real-server suite, `cargo xtask testkit neo4j`).
    (
        "neo4j.test_summary.TestSummary.test_protocol_version_information",
        "TestKit (branch 5.0) limit: its table of the newest Bolt version per server \
         (ServerInfo.max_protocol_version) ends with 5.6 for Neo4j 5.23 and later, but Neo4j 5.26 \
         and 2026.x speak Bolt 5.8, which the driver offers and negotiates; the test expects 5.6",
    ),
    (
        "neo4j.test_tx_func_run.TestTxFuncRun.test_iteration_nested",
        "driver API: a managed transaction serves one result at a time (ManagedTransaction::run \
         holds the transaction until its result is dropped, so the backend ends the earlier result \
         before the next query); explicit transactions keep several results open and pull each by \
         its qid (tests.neo4j.test_tx_run's nested and interwoven tests pass)",
    ),
];

/// Tests whose subtests the backend decides on one by one (TestKit then
/// sends `StartSubTest` with each subtest's arguments).
const SUBTEST_CHECKED: &[&str] =
    &["neo4j.datatypes.test_temporal_types.TestDataTypes.test_should_echo_all_timezone_ids"];

/// Whether the backend answers `RunSubTests` to `StartTest` for `test_name`.
pub(crate) fn checks_subtests(test_name: &str) -> bool {
    SUBTEST_CHECKED.contains(&test_name)
}

/// The reason to skip one subtest, if it is skipped.
///
/// The time-zone echo test expects back the offset it sent, which TestKit
/// takes from pytz; pytz rounds offsets to whole minutes (every zone's
/// local mean time before its first standard time, and e.g.
/// Africa/Monrovia's -0:44:30 until 1972). The server (Java's time-zone
/// data) and the backend (chrono-tz) both have the exact offset, so the
/// driver echoes the same wall clock with the exact offset and TestKit's
/// comparison of the offsets fails. Those subtests only are skipped; the
/// others (the great majority) run.
pub(crate) fn subtest_skip_reason(
    test_name: &str,
    args: &serde_json::Map<String, serde_json::Value>,
) -> Option<String> {
    if !checks_subtests(test_name) {
        return None;
    }
    let (zone, given, exact) = crate::cypher::offset_disagreement(args.get("dt")?)?;
    Some(format!(
        "TestKit's expected offset comes from pytz, which rounds to whole minutes: {given} s for \
         {zone} here, where the time-zone database (Java's on the server, chrono-tz here) has \
         {exact} s (local mean time); the server answers with the exact offset"
    ))
}

/// Whether `text` matches `pattern` with `*` wildcards.
fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || !text[first.len()..].ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

/// The reason to skip `test_name`, if it is skipped.
pub(crate) fn skip_reason(test_name: &str) -> Option<&'static str> {
    SKIPS
        .iter()
        .find(|(p, _)| glob(p, test_name))
        .map(|(_, r)| *r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globbing() {
        assert!(glob("a.*", "a.b.c"));
        assert!(glob("*.c", "a.b.c"));
        assert!(glob("a*b*c", "a-x-b-y-c"));
        assert!(!glob("a*b*c", "a-x-c-y-b"));
        assert!(glob("exact", "exact"));
        assert!(!glob("exact", "exact2"));
    }

    #[test]
    fn skips_have_reasons() {
        for (p, r) in SKIPS {
            assert!(!p.is_empty() && r.len() > 10, "{p}");
        }
        assert!(skip_reason("stub.session_run.test_session_run.TestSessionRun.test_x").is_none());
    }

    #[test]
    fn features_are_unique() {
        let mut f = FEATURES.to_vec();
        f.sort_unstable();
        f.dedup();
        assert_eq!(f.len(), FEATURES.len());
    }
}
