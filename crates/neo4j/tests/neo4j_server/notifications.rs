//! Notifications and GQL status objects (Bolt 5.6+) as the server sends
//! them, and notification filters (driver and session level) that make the
//! server leave categories or severities out.

use neo4j::{
    params, MinimumSeverity, NotificationCategory, NotificationFilter, ResultSummary, Session,
    SessionConfig,
};

use crate::{db_cfg, label, on_each};

const CARTESIAN: &str = "MATCH (a), (b) RETURN a, b LIMIT 0";
const CARTESIAN_CODE: &str = "Neo.ClientNotification.Statement.CartesianProduct";
const UNKNOWN_LABEL_CODE: &str = "Neo.ClientNotification.Statement.UnknownLabelWarning";

async fn summary(s: &mut Session, query: &str) -> ResultSummary {
    s.run(query, params! {})
        .await
        .unwrap()
        .consume()
        .await
        .unwrap()
}

fn codes(summary: &ResultSummary) -> Vec<String> {
    summary
        .notifications()
        .unwrap_or_default()
        .iter()
        .map(|n| n.code.clone())
        .collect()
}

/// A query with a cartesian product (performance, information) and an
/// unknown label (unrecognized, warning).
fn both_query() -> String {
    format!(
        "MATCH (a:{}), (b) RETURN a, b LIMIT 0",
        label("NeverCreated")
    )
}

#[tokio::test]
#[ignore = "needs a server: cargo xtask test"]
async fn a_cartesian_product_is_reported_as_notification_and_gql_status() {
    on_each(async |t| {
        let d = t.driver();
        let mut s = d.session(db_cfg());
        let sum = summary(&mut s, CARTESIAN).await;
        let notes = sum.notifications().expect("notifications");
        let n = notes
            .iter()
            .find(|n| n.code == CARTESIAN_CODE)
            .unwrap_or_else(|| panic!("{notes:#?}"));
        assert_eq!(n.severity, "INFORMATION");
        assert_eq!(n.category_level(), Some(NotificationCategory::Performance));
        assert!(!n.title.is_empty() && !n.description.is_empty(), "{n:?}");
        let pos = n.position.expect("a position");
        assert_eq!((pos.line, pos.column), (1, 1), "{pos:?}");
        // The same as a GQL status object, after the outcome.
        let gql = sum.gql_status_objects();
        eprintln!("{gql:#?}");
        assert_eq!(gql[0].gql_status, "02000", "no data: {gql:#?}");
        let g = gql
            .iter()
            .find(|g| g.neo4j_code.as_deref() == Some(CARTESIAN_CODE))
            .unwrap_or_else(|| panic!("{gql:#?}"));
        assert_eq!(g.gql_status, "03N90");
        assert!(g.is_notification());
        assert_eq!(g.raw_severity(), Some("INFORMATION"));
        assert_eq!(g.classification(), Some(NotificationCategory::Performance));
        assert_eq!(g.position().map(|p| (p.line, p.column)), Some((1, 1)));
        // A query with records and nothing to say: one "success" status.
        let mut r = s.run("RETURN 1 AS x", params! {}).await.unwrap();
        r.next().await.unwrap().unwrap();
        let sum = r.consume().await.unwrap();
        assert_eq!(sum.notifications().unwrap_or_default(), &[]);
        let gql: Vec<&str> = sum
            .gql_status_objects()
            .iter()
            .map(|g| g.gql_status.as_str())
            .collect();
        assert_eq!(gql, ["00000"]);
        s.close().await.unwrap();
        d.close().await;
    })
    .await;
}

#[tokio::test]
#[ignore = "needs a server: cargo xtask test"]
async fn an_unknown_label_is_a_warning_of_category_unrecognized() {
    on_each(async |t| {
        let d = t.driver();
        let mut s = d.session(db_cfg());
        let sum = summary(&mut s, &both_query()).await;
        let notes = sum.notifications().unwrap_or_default();
        let n = notes
            .iter()
            .find(|n| n.code == UNKNOWN_LABEL_CODE)
            .unwrap_or_else(|| panic!("{notes:#?}"));
        assert_eq!(n.severity, "WARNING");
        assert_eq!(n.category_level(), Some(NotificationCategory::Unrecognized));
        assert!(codes(&sum).contains(&CARTESIAN_CODE.to_owned()));
        // In the server's order: the outcome, then warnings, then
        // information.
        let gql: Vec<(&str, Option<&str>, Option<&str>)> = sum
            .gql_status_objects()
            .iter()
            .map(|g| {
                (
                    g.gql_status.as_str(),
                    g.raw_severity(),
                    g.raw_classification(),
                )
            })
            .collect();
        assert_eq!(
            gql,
            [
                ("02000", None, None),
                ("01N50", Some("WARNING"), Some("UNRECOGNIZED")),
                ("03N90", Some("INFORMATION"), Some("PERFORMANCE")),
            ]
        );
        s.close().await.unwrap();
        d.close().await;
    })
    .await;
}

#[tokio::test]
#[ignore = "needs a server: cargo xtask test"]
async fn filters_leave_out_the_disabled_categories_and_severities() {
    on_each(async |t| {
        let q = both_query();
        // Driver level: performance off.
        let d = t.driver_by(
            "bolt",
            t.builder().with_notification_filter(
                NotificationFilter::default()
                    .with_disabled_categories([NotificationCategory::Performance]),
            ),
        );
        let mut s = d.session(db_cfg());
        let sum = summary(&mut s, &q).await;
        assert_eq!(codes(&sum), [UNKNOWN_LABEL_CODE], "driver: no performance");
        assert!(sum
            .gql_status_objects()
            .iter()
            .all(|g| g.gql_status != "03N90"));
        s.close().await.unwrap();

        // Session level overrides the driver's: only warnings and up.
        let mut s = d.session(db_cfg().with_notification_filter(
            NotificationFilter::default().with_minimum_severity(MinimumSeverity::Warning),
        ));
        let sum = summary(&mut s, &q).await;
        assert_eq!(codes(&sum), [UNKNOWN_LABEL_CODE], "session: warnings only");
        s.close().await.unwrap();

        // The GQL name of the same filter.
        let mut s = d.session(
            db_cfg().with_notification_filter(
                NotificationFilter::default()
                    .with_disabled_classifications([NotificationCategory::Unrecognized]),
            ),
        );
        let sum = summary(&mut s, &q).await;
        assert_eq!(codes(&sum), [CARTESIAN_CODE], "session: no unrecognized");
        s.close().await.unwrap();

        // Everything off: notifications empty, only the outcome's status.
        let mut s = d.session(db_cfg().with_notification_filter(NotificationFilter::disable_all()));
        let sum = summary(&mut s, &q).await;
        assert!(codes(&sum).is_empty(), "{:?}", codes(&sum));
        let gql: Vec<&str> = sum
            .gql_status_objects()
            .iter()
            .map(|g| g.gql_status.as_str())
            .collect();
        assert_eq!(gql, ["02000"]);
        s.close().await.unwrap();

        // Re-enabling every category at session level brings both back.
        let mut s = d.session(
            SessionConfig::new()
                .with_database("neo4j")
                .with_notification_filter(
                    NotificationFilter::default()
                        .with_minimum_severity(MinimumSeverity::Information)
                        .with_disabled_categories([]),
                ),
        );
        let mut both = codes(&summary(&mut s, &q).await);
        both.sort();
        assert_eq!(both, [CARTESIAN_CODE, UNKNOWN_LABEL_CODE]);
        s.close().await.unwrap();
        d.close().await;
    })
    .await;
}
