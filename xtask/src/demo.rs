//! `cargo xtask demo`.
use crate::util::Res;
/// Runs the demo.
pub fn run() -> Res {
    Ok(())
}
