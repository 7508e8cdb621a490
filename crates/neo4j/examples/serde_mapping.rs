//! Mapping query results onto Rust types with serde: whole records onto
//! structs (column name → field), nodes onto structs (properties → fields,
//! plus `labels` / `element_id` when a struct asks for them), nested
//! lists and maps, optional columns, and structs sent as parameters.
//!
//! Reads `BOLT_TEST_ARCADEDB_ADDR`, `_USER`, `_PASSWORD` and `_DATABASES`
//! (defaults: 127.0.0.1:17687, root, bolt-test-pw, testdb):
//! `cargo run -p neo4j --example serde_mapping`.

use std::collections::HashMap;

use neo4j::{params, Config, GraphDatabase, SessionConfig};
use serde::{Deserialize, Serialize};

/// A `:Book` node: its properties, and its labels.
#[derive(Debug, Deserialize, Serialize)]
struct Book {
    title: String,
    year: i64,
    tags: Vec<String>,
    /// Not a property: the node's labels (filled from the node).
    #[serde(default, skip_serializing)]
    labels: Vec<String>,
    /// A property that some books lack.
    #[serde(default)]
    subtitle: Option<String>,
}

/// A row: a node column, a plain column, a map column.
#[derive(Debug, Deserialize)]
struct Row {
    book: Book,
    author: String,
    stats: Stats,
}

#[derive(Debug, Deserialize)]
struct Stats {
    pages: i64,
    rating: f64,
}

fn env(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

#[tokio::main]
async fn main() -> Result<(), neo4j::Error> {
    let addr = env("BOLT_TEST_ARCADEDB_ADDR", "127.0.0.1:17687");
    let database = env("BOLT_TEST_ARCADEDB_DATABASES", "testdb")
        .split(',')
        .next()
        .unwrap_or("testdb")
        .to_owned();
    let config = Config::builder()
        .with_auth((
            env("BOLT_TEST_ARCADEDB_USER", "root"),
            env("BOLT_TEST_ARCADEDB_PASSWORD", "bolt-test-pw"),
        ))
        .build()?;
    let driver = GraphDatabase::driver(format!("bolt://{addr}"), config)?;
    let mut session = driver.session(SessionConfig::new().with_database(&database));

    // Structs as parameters: `to_value` turns them into maps.
    let books = neo4j::to_value(&[
        Book {
            title: "Dune".into(),
            year: 1965,
            tags: vec!["sf".into(), "classic".into()],
            labels: vec![],
            subtitle: None,
        },
        Book {
            title: "Hyperion".into(),
            year: 1989,
            tags: vec!["sf".into()],
            labels: vec![],
            subtitle: Some("Cantos I".into()),
        },
    ])?;
    session
        .execute_write(|tx| {
            let books = books.clone();
            async move {
                tx.run("MATCH (b:SerdeBook) DETACH DELETE b", params! {})
                    .await?
                    .consume()
                    .await?;
                tx.run(
                    "UNWIND $books AS b CREATE (n:SerdeBook) SET n = b",
                    params! {"books" => books},
                )
                .await?
                .consume()
                .await
            }
        })
        .await?;

    // Whole records onto `Row`: the node column becomes a `Book`.
    let mut result = session
        .run(
            "MATCH (b:SerdeBook) \
             RETURN b AS book, $who AS author, {pages: 412, rating: 4.5} AS stats \
             ORDER BY b.year",
            params! {"who" => "various"},
        )
        .await?;
    while let Some(record) = result.next().await {
        let row: Row = record?.to()?;
        println!(
            "{} ({}) {:?} labels={:?} subtitle={:?} by {}, {} pages, rated {}",
            row.book.title,
            row.book.year,
            row.book.tags,
            row.book.labels,
            row.book.subtitle,
            row.author,
            row.stats.pages,
            row.stats.rating
        );
    }
    result.consume().await?;

    // One column onto a type: `get` for single values, `from_value` for
    // anything serde can build (here a map of title → year).
    let record = session
        .run(
            "MATCH (b:SerdeBook) RETURN collect(b) AS books, count(b) AS n",
            params! {},
        )
        .await?
        .single()
        .await?;
    let n: i64 = record.get("n")?;
    let all: Vec<Book> = neo4j::from_value(record.get_value("books").cloned().unwrap_or_default())?;
    let years: HashMap<String, i64> = all.into_iter().map(|b| (b.title, b.year)).collect();
    println!("{n} books: {years:?}");

    // execute_query rows map the same way.
    let eager = driver
        .execute_query("MATCH (b:SerdeBook) WHERE b.year > $y RETURN b AS book")
        .param("y", 1980)
        .database(&database)
        .await?;
    #[derive(Deserialize)]
    struct OnlyBook {
        book: Book,
    }
    for r in &eager.records {
        let OnlyBook { book } = r.to()?;
        println!("after 1980: {}", book.title);
    }

    session.close().await?;
    driver.close().await;
    Ok(())
}
