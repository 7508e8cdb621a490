//! Quickstart: connect, create a small graph, query it with parameters,
//! map rows to a struct with serde, print the summary counters.
//!
//! Reads `NEO4J_URI`, `NEO4J_USERNAME`, `NEO4J_PASSWORD` and
//! `NEO4J_DATABASE` (defaults: bolt://127.0.0.1:7687, neo4j, password,
//! neo4j). Run with `cargo xtask demo` (a local Neo4j, or
//! `--server arcadedb`), or against your own server:
//! `NEO4J_URI=neo4j://host:7687 NEO4J_PASSWORD=... cargo run -p neo4j --example quickstart`.

use neo4j::{params, Config, GraphDatabase, SessionConfig};
use serde::{Deserialize, Serialize};

/// A row of the query below.
#[derive(Debug, Deserialize)]
struct Person {
    name: String,
    age: i64,
    friends: i64,
}

/// A person to create, sent as a parameter.
#[derive(Serialize)]
struct NewPerson<'a> {
    name: &'a str,
    age: i64,
}

fn env(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

#[tokio::main]
async fn main() -> Result<(), neo4j::Error> {
    let uri = env("NEO4J_URI", "bolt://127.0.0.1:7687");
    let user = env("NEO4J_USERNAME", "neo4j");
    let password = env("NEO4J_PASSWORD", "password");
    let database = env("NEO4J_DATABASE", "neo4j");

    let config = Config::builder().with_auth((user, password)).build()?;
    let driver = GraphDatabase::driver(uri, config)?;
    driver.verify_connectivity().await?;
    let info = driver.server_info().await?;
    println!(
        "connected to {} at {} (Bolt {}.{})",
        info.agent, info.address, info.protocol_version.0, info.protocol_version.1
    );

    let mut session = driver.session(SessionConfig::new().with_database(&database));

    let people = neo4j::to_value(&[
        NewPerson {
            name: "Alice",
            age: 34,
        },
        NewPerson {
            name: "Bob",
            age: 27,
        },
        NewPerson {
            name: "Carol",
            age: 41,
        },
    ])?;
    // Start clean, then create people and friendships in one write
    // transaction (retried on transient errors).
    let summary = session
        .execute_write(|tx| {
            let people = people.clone();
            async move {
                tx.run("MATCH (p:QuickstartPerson) DETACH DELETE p", params! {})
                    .await?
                    .consume()
                    .await?;
                tx.run(
                    "UNWIND $people AS p CREATE (:QuickstartPerson {name: p.name, age: p.age})",
                    params! {"people" => people},
                )
                .await?
                .consume()
                .await?;
                tx.run(
                    "MATCH (a:QuickstartPerson {name: $a}), (b:QuickstartPerson {name: $b}) \
                 CREATE (a)-[:KNOWS]->(b)",
                    params! {"a" => "Alice", "b" => "Bob"},
                )
                .await?
                .consume()
                .await
            }
        })
        .await?;
    println!(
        "created: relationships {}, properties {}",
        summary.counters().relationships_created,
        summary.counters().properties_set
    );

    // Query with a parameter and map each record to a struct.
    let mut result = session
        .run(
            "MATCH (p:QuickstartPerson) WHERE p.age >= $min_age \
             OPTIONAL MATCH (p)-[k:KNOWS]-() \
             RETURN p.name AS name, p.age AS age, count(k) AS friends \
             ORDER BY name",
            params! {"min_age" => 30},
        )
        .await?;
    while let Some(record) = result.next().await {
        let p: Person = record?.to()?;
        println!("{} ({}) knows {} people", p.name, p.age, p.friends);
    }
    let summary = result.consume().await?;
    println!(
        "query type {:?}, available after {:?}, database {:?}",
        summary.query_type(),
        summary.result_available_after(),
        summary.database()
    );

    // The same in one call.
    let eager = driver
        .execute_query("MATCH (p:QuickstartPerson) RETURN count(p) AS n")
        .database(&database)
        .routing(neo4j::RoutingControl::Read)
        .run()
        .await?;
    println!("{} people", eager.records[0].get::<i64>("n")?);

    session.close().await?;
    driver.close().await;
    Ok(())
}
