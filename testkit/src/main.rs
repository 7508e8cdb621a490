//! The Neo4j TestKit backend (JSON over TCP) driving the `neo4j` facade.
//! Built by a later issue.

fn main() {
    eprintln!("the TestKit backend is not built yet");
    std::process::exit(2);
}
