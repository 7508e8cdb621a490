//! A [`ResultSummary`] as TestKit's `Summary` data (every key
//! `nutkit.protocol.Summary` reads, nothing else).

use neo4j::result::{GqlStatusObject, Notification, QueryType, ResultSummary, ServerInfo};
use neo4j::{NotificationCategory, Value};
use serde_json::{json, Map, Value as Json};

use crate::cypher::from_value;

/// `ServerInfo` data: address `host:port`, agent, protocol `major.minor`.
pub(crate) fn server_info(s: &ServerInfo) -> Json {
    json!({
        "address": format!("{}:{}", s.address.host(), s.address.port()),
        "agent": s.agent,
        "protocolVersion": format!("{}.{}", s.protocol_version.0, s.protocol_version.1),
    })
}

/// A value as plain JSON (plans and profiles are compared as plain dicts).
fn plain(v: &Value) -> Json {
    match v {
        Value::Null => Json::Null,
        Value::Boolean(b) => json!(b),
        Value::Integer(i) => json!(i),
        Value::Float(f) => json!(f),
        Value::String(s) => json!(s),
        Value::List(l) => Json::Array(l.iter().map(plain).collect()),
        Value::Map(m) => Json::Object(m.iter().map(|(k, v)| (k.to_owned(), plain(v))).collect()),
        other => from_value(other),
    }
}

/// A GQL status object as TestKit's `GqlStatusObject` data: plain JSON,
/// except the diagnostic record (Cypher values).
fn gql_status_object(g: &GqlStatusObject) -> Json {
    let position = match g.position() {
        Some(p) => json!({"column": p.column, "line": p.line, "offset": p.offset}),
        None => Json::Null,
    };
    let record: Map<String, Json> = g
        .diagnostic_record
        .iter()
        .map(|(k, v)| (k.to_owned(), from_value(v)))
        .collect();
    json!({
        "gqlStatus": g.gql_status,
        "statusDescription": g.status_description,
        "position": position,
        "classification": classification(g.classification()),
        "rawClassification": g.raw_classification(),
        "severity": g.severity().as_str(),
        "rawSeverity": g.raw_severity(),
        "diagnosticRecord": record,
        "isNotification": g.is_notification(),
    })
}

/// A parsed classification as TestKit spells it.
fn classification(c: Option<NotificationCategory>) -> &'static str {
    c.map(NotificationCategory::as_bolt_str)
        .unwrap_or("UNKNOWN")
}

/// A notification with raw and parsed severity and category.
fn notification(n: &Notification) -> Json {
    let mut o = Map::new();
    o.insert("severity".into(), json!(n.severity));
    o.insert("description".into(), json!(n.description));
    o.insert("code".into(), json!(n.code));
    o.insert("title".into(), json!(n.title));
    if let Some(p) = &n.position {
        o.insert(
            "position".into(),
            json!({"column": p.column, "offset": p.offset, "line": p.line}),
        );
    }
    o.insert("rawSeverityLevel".into(), json!(n.severity));
    o.insert("severityLevel".into(), json!(n.severity_level().as_str()));
    o.insert(
        "rawCategory".into(),
        json!(n.category.as_deref().unwrap_or("")),
    );
    o.insert("category".into(), json!(classification(n.category_level())));
    Json::Object(o)
}

/// The `Summary` data.
pub(crate) fn summary(s: &ResultSummary) -> Json {
    let c = s.counters();
    let params: Map<String, Json> = s
        .query()
        .params()
        .as_map()
        .iter()
        .map(|(k, v)| (k.to_owned(), from_value(v)))
        .collect();
    let notifications = match s.notifications() {
        None => Json::Null,
        Some(list) => Json::Array(list.iter().map(notification).collect()),
    };
    let ms = |d: Option<std::time::Duration>| d.map(|d| d.as_millis() as u64);
    json!({
        "serverInfo": server_info(s.server()),
        "counters": {
            "constraintsAdded": c.constraints_added,
            "constraintsRemoved": c.constraints_removed,
            "containsSystemUpdates": c.contains_system_updates(),
            "containsUpdates": c.contains_updates(),
            "indexesAdded": c.indexes_added,
            "indexesRemoved": c.indexes_removed,
            "labelsAdded": c.labels_added,
            "labelsRemoved": c.labels_removed,
            "nodesCreated": c.nodes_created,
            "nodesDeleted": c.nodes_deleted,
            "propertiesSet": c.properties_set,
            "relationshipsCreated": c.relationships_created,
            "relationshipsDeleted": c.relationships_deleted,
            "systemUpdates": c.system_updates,
        },
        "database": s.database(),
        "notifications": notifications,
        "gqlStatusObjects": s.gql_status_objects().iter().map(gql_status_object).collect::<Vec<_>>(),
        "plan": s.plan().map(plain),
        "profile": s.profile().map(plain),
        "query": {"text": s.query().text(), "parameters": params},
        "queryType": s.query_type().map(|t| match t {
            QueryType::ReadOnly => "r",
            QueryType::ReadWrite => "rw",
            QueryType::WriteOnly => "w",
            QueryType::SchemaWrite => "s",
        }),
        "resultAvailableAfter": ms(s.result_available_after()),
        "resultConsumedAfter": ms(s.result_consumed_after()),
    })
}
