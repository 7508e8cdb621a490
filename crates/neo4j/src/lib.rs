//! A fast, complete async driver for Neo4j and other Bolt-speaking graph
//! databases.
