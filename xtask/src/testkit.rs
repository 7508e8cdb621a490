//! `cargo xtask testkit`.
use crate::util::Res;
/// Runs TestKit.
pub fn cli(_args: &[String]) -> Res {
    Ok(())
}
