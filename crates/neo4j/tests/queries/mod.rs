//! Query steps the driver tests share, against stub servers and real ones
//! alike: run a query and consume it or take its single record, begin a
//! transaction. Each panics on an error (use the driver's API directly
//! where a test expects one).
#![allow(dead_code)]

use neo4j::{params, Error, ManagedTransaction, Record, ResultSummary, Session, Transaction};

/// Runs `query` as an auto-commit transaction of `s` and consumes its
/// result.
pub async fn run_consumed(s: &mut Session, query: impl Into<String>) -> ResultSummary {
    s.run(query, params! {})
        .await
        .unwrap()
        .consume()
        .await
        .unwrap()
}

/// Runs `query` in `tx` and consumes its result.
pub async fn tx_run_consumed(tx: &Transaction<'_>, query: impl Into<String>) -> ResultSummary {
    tx.run(query, params! {})
        .await
        .unwrap()
        .consume()
        .await
        .unwrap()
}

/// The single record `query` returns as an auto-commit transaction of `s`.
pub async fn single(s: &mut Session, query: impl Into<String>) -> Record {
    s.run(query, params! {})
        .await
        .unwrap()
        .single()
        .await
        .unwrap()
}

/// The integer column `key` of the single record `query` returns in a
/// managed transaction (errors go back to the retry loop).
pub async fn managed_single(tx: &ManagedTransaction, query: &str, key: &str) -> Result<i64, Error> {
    tx.run(query, params! {})
        .await?
        .single()
        .await?
        .get::<i64>(key)
}

/// Begins an explicit transaction with the default configuration.
pub async fn begin(s: &mut Session) -> Transaction<'_> {
    s.begin_transaction(neo4j::TransactionConfig::new())
        .await
        .unwrap()
}

/// How many nodes carry `label`, counted in a managed read transaction of
/// `s`.
pub async fn managed_count(s: &mut Session, label: &str) -> i64 {
    let query = format!("MATCH (n:{label}) RETURN count(n) AS c");
    s.execute_read(|tx| {
        let query = query.clone();
        async move { managed_single(&tx, &query, "c").await }
    })
    .await
    .unwrap()
}
