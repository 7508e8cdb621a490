//! [`ConfigError`]: an invalid option value or a conflict between options.
//!
//! Owns only the error type; the checks live next to the options they check.

use std::fmt;

/// A configuration option had an invalid value or conflicted with another
/// option or with the URI scheme. [`option`](ConfigError::option) names it.
///
/// ```
/// use neo4j::Config;
///
/// let err = Config::builder().with_max_connection_pool_size(0).build().unwrap_err();
/// assert_eq!(err.option(), "max_connection_pool_size");
/// assert!(err.to_string().contains("max_connection_pool_size"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    option: &'static str,
    problem: String,
}

impl ConfigError {
    pub(crate) fn new(option: &'static str, problem: impl Into<String>) -> Self {
        ConfigError {
            option,
            problem: problem.into(),
        }
    }

    /// The name of the offending option (as in the
    /// [`ConfigBuilder`](crate::ConfigBuilder) or
    /// [`SessionConfig`](crate::SessionConfig) method, without `with_`).
    ///
    /// ```
    /// let err = neo4j::Config::builder().with_fetch_size(0).build().unwrap_err();
    /// assert_eq!(err.option(), "fetch_size");
    /// ```
    pub fn option(&self) -> &'static str {
        self.option
    }

    /// What is wrong with it.
    ///
    /// ```
    /// let err = neo4j::Config::builder().with_fetch_size(0).build().unwrap_err();
    /// assert!(err.problem().contains("-1"));
    /// ```
    pub fn problem(&self) -> &str {
        &self.problem
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid configuration option `{}`: {}",
            self.option, self.problem
        )
    }
}

impl std::error::Error for ConfigError {}
