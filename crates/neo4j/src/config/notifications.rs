//! Notification filters: which server notifications (warnings, hints,
//! deprecations...) the server should send back with results.
//!
//! Owns [`NotificationFilter`], [`MinimumSeverity`] and
//! [`NotificationCategory`] with their Bolt spellings. Sending them (Bolt
//! 5.2+ `HELLO`/`BEGIN`/`RUN` fields) belongs to the protocol layer.

/// The least severe notification the server should send.
///
/// ```
/// assert_eq!(neo4j::MinimumSeverity::Warning.as_bolt_str(), "WARNING");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MinimumSeverity {
    /// Send no notifications at all.
    Off,
    /// Only warnings.
    Warning,
    /// Warnings and informational notifications.
    Information,
}

impl MinimumSeverity {
    /// The value sent to the server.
    ///
    /// ```
    /// assert_eq!(neo4j::MinimumSeverity::Off.as_bolt_str(), "OFF");
    /// ```
    pub fn as_bolt_str(self) -> &'static str {
        match self {
            MinimumSeverity::Off => "OFF",
            MinimumSeverity::Warning => "WARNING",
            MinimumSeverity::Information => "INFORMATION",
        }
    }
}

/// A notification category (also a GQL notification classification; the
/// two share their names).
///
/// ```
/// assert_eq!(neo4j::NotificationCategory::Deprecation.as_bolt_str(), "DEPRECATION");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NotificationCategory {
    /// Query plan hints that could not be honoured.
    Hint,
    /// Unknown labels, relationship types, properties...
    Unrecognized,
    /// Unsupported or experimental features.
    Unsupported,
    /// Potential performance problems.
    Performance,
    /// Deprecated features.
    Deprecation,
    /// Everything that fits no other category.
    Generic,
    /// Security-related notifications.
    Security,
    /// Cluster topology changes.
    Topology,
    /// Schema (index/constraint) notifications.
    Schema,
}

impl NotificationCategory {
    /// The value sent to the server.
    ///
    /// ```
    /// assert_eq!(neo4j::NotificationCategory::Hint.as_bolt_str(), "HINT");
    /// ```
    pub fn as_bolt_str(self) -> &'static str {
        use NotificationCategory::*;
        match self {
            Hint => "HINT",
            Unrecognized => "UNRECOGNIZED",
            Unsupported => "UNSUPPORTED",
            Performance => "PERFORMANCE",
            Deprecation => "DEPRECATION",
            Generic => "GENERIC",
            Security => "SECURITY",
            Topology => "TOPOLOGY",
            Schema => "SCHEMA",
        }
    }
}

/// Which notifications the server should send. The default leaves the choice
/// to the server.
///
/// Disabled categories and disabled classifications are the same setting
/// under its pre-GQL and GQL names; the driver sends their union.
///
/// ```
/// use neo4j::{MinimumSeverity, NotificationCategory, NotificationFilter};
///
/// let f = NotificationFilter::default()
///     .with_minimum_severity(MinimumSeverity::Warning)
///     .with_disabled_categories([NotificationCategory::Hint]);
/// assert_eq!(f.minimum_severity(), Some(MinimumSeverity::Warning));
/// assert!(NotificationFilter::default().is_server_default());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NotificationFilter {
    minimum_severity: Option<MinimumSeverity>,
    disabled_categories: Vec<NotificationCategory>,
    disabled_classifications: Vec<NotificationCategory>,
    /// Whether disabled categories were given at all: an explicitly empty
    /// list is sent (it re-enables every category the server would
    /// disable), an unset one is not.
    categories_set: bool,
}

impl NotificationFilter {
    /// A filter that turns all notifications off.
    ///
    /// ```
    /// let f = neo4j::NotificationFilter::disable_all();
    /// assert_eq!(f.minimum_severity(), Some(neo4j::MinimumSeverity::Off));
    /// ```
    pub fn disable_all() -> Self {
        NotificationFilter::default().with_minimum_severity(MinimumSeverity::Off)
    }

    /// Sets the minimum severity.
    ///
    /// ```
    /// let f = neo4j::NotificationFilter::default()
    ///     .with_minimum_severity(neo4j::MinimumSeverity::Information);
    /// assert!(!f.is_server_default());
    /// ```
    pub fn with_minimum_severity(mut self, severity: MinimumSeverity) -> Self {
        self.minimum_severity = Some(severity);
        self
    }

    /// Adds categories the server should not send.
    ///
    /// ```
    /// use neo4j::{NotificationCategory as C, NotificationFilter};
    /// let f = NotificationFilter::default().with_disabled_categories([C::Hint, C::Generic]);
    /// assert_eq!(f.disabled_categories(), &[C::Hint, C::Generic]);
    /// ```
    pub fn with_disabled_categories(
        mut self,
        categories: impl IntoIterator<Item = NotificationCategory>,
    ) -> Self {
        push_unique(&mut self.disabled_categories, categories);
        self.categories_set = true;
        self
    }

    /// Adds GQL classifications the server should not send (the GQL name of
    /// [`with_disabled_categories`](Self::with_disabled_categories)).
    ///
    /// ```
    /// use neo4j::{NotificationCategory as C, NotificationFilter};
    /// let f = NotificationFilter::default().with_disabled_classifications([C::Performance]);
    /// assert_eq!(f.disabled_classifications(), &[C::Performance]);
    /// ```
    pub fn with_disabled_classifications(
        mut self,
        classifications: impl IntoIterator<Item = NotificationCategory>,
    ) -> Self {
        push_unique(&mut self.disabled_classifications, classifications);
        self.categories_set = true;
        self
    }

    /// The minimum severity, or `None` for the server's default.
    ///
    /// ```
    /// assert_eq!(neo4j::NotificationFilter::default().minimum_severity(), None);
    /// ```
    pub fn minimum_severity(&self) -> Option<MinimumSeverity> {
        self.minimum_severity
    }

    /// The disabled categories, in the order added.
    ///
    /// ```
    /// assert!(neo4j::NotificationFilter::default().disabled_categories().is_empty());
    /// ```
    pub fn disabled_categories(&self) -> &[NotificationCategory] {
        &self.disabled_categories
    }

    /// The disabled classifications, in the order added.
    ///
    /// ```
    /// assert!(neo4j::NotificationFilter::default().disabled_classifications().is_empty());
    /// ```
    pub fn disabled_classifications(&self) -> &[NotificationCategory] {
        &self.disabled_classifications
    }

    /// Union of disabled categories and classifications, without repeats:
    /// what goes on the wire.
    ///
    /// ```
    /// use neo4j::{NotificationCategory as C, NotificationFilter};
    /// let f = NotificationFilter::default()
    ///     .with_disabled_categories([C::Hint])
    ///     .with_disabled_classifications([C::Hint, C::Schema]);
    /// assert_eq!(f.all_disabled(), vec![C::Hint, C::Schema]);
    /// ```
    pub fn all_disabled(&self) -> Vec<NotificationCategory> {
        let mut out = self.disabled_categories.clone();
        push_unique(&mut out, self.disabled_classifications.iter().copied());
        out
    }

    /// True when nothing is set, so the server decides (nothing is sent).
    /// An explicitly empty list of disabled categories is a setting (all
    /// categories enabled).
    ///
    /// ```
    /// use neo4j::NotificationFilter;
    /// assert!(NotificationFilter::default().is_server_default());
    /// assert!(!NotificationFilter::default().with_disabled_categories([]).is_server_default());
    /// ```
    pub fn is_server_default(&self) -> bool {
        self == &NotificationFilter::default()
    }
}

fn push_unique(
    into: &mut Vec<NotificationCategory>,
    items: impl IntoIterator<Item = NotificationCategory>,
) {
    for item in items {
        if !into.contains(&item) {
            into.push(item);
        }
    }
}

impl NotificationFilter {
    /// The filter in bolt-proto's terms (HELLO, BEGIN and RUN fields).
    pub(crate) fn to_bolt(&self) -> bolt_proto::message::NotificationFilter {
        if self.is_server_default() {
            return bolt_proto::message::NotificationFilter::default();
        }
        let disabled = self.all_disabled();
        bolt_proto::message::NotificationFilter {
            minimum_severity: self.minimum_severity().map(|s| s.as_bolt_str().to_owned()),
            disabled_categories: self.categories_set.then(|| {
                disabled
                    .iter()
                    .map(|c| c.as_bolt_str().to_owned())
                    .collect()
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_are_dropped() {
        let f = NotificationFilter::default()
            .with_disabled_categories([NotificationCategory::Hint, NotificationCategory::Hint]);
        assert_eq!(f.disabled_categories(), &[NotificationCategory::Hint]);
    }

    #[test]
    fn spellings() {
        assert_eq!(MinimumSeverity::Information.as_bolt_str(), "INFORMATION");
        assert_eq!(
            NotificationCategory::Unrecognized.as_bolt_str(),
            "UNRECOGNIZED"
        );
        assert_eq!(NotificationCategory::Topology.as_bolt_str(), "TOPOLOGY");
    }
}

#[cfg(test)]
mod wire_tests {
    use super::*;

    #[test]
    fn empty_category_list_is_sent_only_when_set() {
        let unset = NotificationFilter::disable_all().to_bolt();
        assert_eq!(unset.minimum_severity.as_deref(), Some("OFF"));
        assert_eq!(unset.disabled_categories, None);
        let empty = NotificationFilter::default()
            .with_disabled_categories([])
            .to_bolt();
        assert_eq!(empty.minimum_severity, None);
        assert_eq!(empty.disabled_categories, Some(Vec::new()));
        assert!(NotificationFilter::default().to_bolt().is_empty());
    }
}
