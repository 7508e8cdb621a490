//! Checkout benchmark (placeholder).
fn main() {}
