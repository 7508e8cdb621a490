//! Authentication tokens: what the driver sends in the Bolt `HELLO`/`LOGON`
//! auth map.
//!
//! Owns [`AuthToken`] (basic, bearer, Kerberos, custom, none) and the small
//! [`AuthValue`] type for custom parameters. Secrets never appear in `Debug`
//! output. Encoding to PackStream belongs to the protocol layer; this module
//! only lists the map's fields.

use std::fmt;

/// A value in a custom auth token's `parameters` map.
///
/// The protocol layer converts it to the matching PackStream value.
///
/// ```
/// use neo4j::AuthValue;
///
/// assert_eq!(AuthValue::from("x"), AuthValue::String("x".into()));
/// assert_eq!(AuthValue::from(3), AuthValue::Integer(3));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum AuthValue {
    /// PackStream `Null`.
    Null,
    /// A boolean.
    Boolean(bool),
    /// A 64-bit signed integer.
    Integer(i64),
    /// A 64-bit float.
    Float(f64),
    /// A UTF-8 string.
    String(String),
    /// A list of values.
    List(Vec<AuthValue>),
    /// A map with string keys, in insertion order.
    Map(Vec<(String, AuthValue)>),
}

impl From<&str> for AuthValue {
    fn from(v: &str) -> Self {
        AuthValue::String(v.to_owned())
    }
}
impl From<String> for AuthValue {
    fn from(v: String) -> Self {
        AuthValue::String(v)
    }
}
impl From<bool> for AuthValue {
    fn from(v: bool) -> Self {
        AuthValue::Boolean(v)
    }
}
impl From<i64> for AuthValue {
    fn from(v: i64) -> Self {
        AuthValue::Integer(v)
    }
}
impl From<i32> for AuthValue {
    fn from(v: i32) -> Self {
        AuthValue::Integer(v.into())
    }
}
impl From<f64> for AuthValue {
    fn from(v: f64) -> Self {
        AuthValue::Float(v)
    }
}
impl<T: Into<AuthValue>> From<Vec<T>> for AuthValue {
    fn from(v: Vec<T>) -> Self {
        AuthValue::List(v.into_iter().map(Into::into).collect())
    }
}

impl From<AuthValue> for packstream::Value {
    /// ```
    /// use neo4j::AuthValue;
    /// assert_eq!(packstream::Value::from(AuthValue::from(7)), packstream::Value::Integer(7));
    /// ```
    fn from(v: AuthValue) -> Self {
        use packstream::Value;
        match v {
            AuthValue::Null => Value::Null,
            AuthValue::Boolean(b) => Value::Boolean(b),
            AuthValue::Integer(i) => Value::Integer(i),
            AuthValue::Float(f) => Value::Float(f),
            AuthValue::String(s) => Value::String(s),
            AuthValue::List(l) => Value::List(l.into_iter().map(Value::from).collect()),
            AuthValue::Map(m) => Value::Map(m.into_iter().collect()),
        }
    }
}

/// Credentials for the server, sent when a connection is opened.
///
/// Build one with [`basic_auth`](AuthToken::basic_auth),
/// [`bearer_auth`](AuthToken::bearer_auth),
/// [`kerberos_auth`](AuthToken::kerberos_auth),
/// [`custom_auth`](AuthToken::custom_auth) or [`none`](AuthToken::none), or
/// convert a `(user, password)` tuple. `Debug` hides the credentials.
///
/// ```
/// use neo4j::AuthToken;
///
/// let token: AuthToken = ("neo4j", "s3cret").into();
/// assert_eq!(token, AuthToken::basic_auth("neo4j", "s3cret"));
/// assert_eq!(token.scheme(), "basic");
/// assert!(!format!("{token:?}").contains("s3cret"));
/// ```
#[derive(Clone, PartialEq)]
pub struct AuthToken {
    scheme: String,
    principal: Option<String>,
    credentials: Option<String>,
    realm: Option<String>,
    parameters: Option<Vec<(String, AuthValue)>>,
}

impl AuthToken {
    /// Basic user name and password authentication (scheme `basic`).
    ///
    /// ```
    /// let t = neo4j::AuthToken::basic_auth("neo4j", "password");
    /// assert_eq!(t.principal(), Some("neo4j"));
    /// ```
    pub fn basic_auth(user: impl Into<String>, password: impl Into<String>) -> Self {
        AuthToken {
            scheme: "basic".into(),
            principal: Some(user.into()),
            credentials: Some(password.into()),
            realm: None,
            parameters: None,
        }
    }

    /// Basic authentication against a named realm (for servers with several
    /// auth providers). An empty realm is the same as no realm.
    ///
    /// ```
    /// let t = neo4j::AuthToken::basic_auth_with_realm("neo4j", "password", "ldap");
    /// assert_eq!(t.realm(), Some("ldap"));
    /// ```
    pub fn basic_auth_with_realm(
        user: impl Into<String>,
        password: impl Into<String>,
        realm: impl Into<String>,
    ) -> Self {
        let realm = realm.into();
        AuthToken {
            realm: (!realm.is_empty()).then_some(realm),
            ..Self::basic_auth(user, password)
        }
    }

    /// Single sign-on with a bearer token, e.g. an OIDC access token (scheme
    /// `bearer`).
    ///
    /// ```
    /// let t = neo4j::AuthToken::bearer_auth("eyJhbGciOi...");
    /// assert_eq!(t.scheme(), "bearer");
    /// assert!(!format!("{t:?}").contains("eyJ"));
    /// ```
    pub fn bearer_auth(token: impl Into<String>) -> Self {
        AuthToken {
            scheme: "bearer".into(),
            principal: None,
            credentials: Some(token.into()),
            realm: None,
            parameters: None,
        }
    }

    /// Kerberos authentication with a base64-encoded service ticket (scheme
    /// `kerberos`, empty principal).
    ///
    /// ```
    /// let t = neo4j::AuthToken::kerberos_auth("YIIB...");
    /// assert_eq!(t.scheme(), "kerberos");
    /// assert_eq!(t.principal(), Some(""));
    /// ```
    pub fn kerberos_auth(base64_ticket: impl Into<String>) -> Self {
        AuthToken {
            scheme: "kerberos".into(),
            principal: Some(String::new()),
            credentials: Some(base64_ticket.into()),
            realm: None,
            parameters: None,
        }
    }

    /// A token for a custom server-side auth plugin. Fields given as `None`
    /// (and an empty `parameters` list) are left out of the auth map.
    ///
    /// ```
    /// use neo4j::{AuthToken, AuthValue};
    ///
    /// let t = AuthToken::custom_auth(
    ///     Some("alice"),
    ///     Some("key-123"),
    ///     None::<String>,
    ///     "my-plugin",
    ///     [("tenant", AuthValue::from("acme"))],
    /// );
    /// assert_eq!(t.scheme(), "my-plugin");
    /// assert_eq!(t.parameters().unwrap()[0].0, "tenant");
    /// ```
    pub fn custom_auth<K: Into<String>>(
        principal: Option<impl Into<String>>,
        credentials: Option<impl Into<String>>,
        realm: Option<impl Into<String>>,
        scheme: impl Into<String>,
        parameters: impl IntoIterator<Item = (K, AuthValue)>,
    ) -> Self {
        let parameters: Vec<(String, AuthValue)> =
            parameters.into_iter().map(|(k, v)| (k.into(), v)).collect();
        AuthToken {
            scheme: scheme.into(),
            principal: principal.map(Into::into),
            credentials: credentials.map(Into::into),
            realm: realm.map(Into::into),
            parameters: (!parameters.is_empty()).then_some(parameters),
        }
    }

    /// No authentication (scheme `none`), for servers with auth disabled.
    ///
    /// ```
    /// assert_eq!(neo4j::AuthToken::none().scheme(), "none");
    /// ```
    pub fn none() -> Self {
        AuthToken {
            scheme: "none".into(),
            principal: None,
            credentials: None,
            realm: None,
            parameters: None,
        }
    }

    /// The auth scheme (`basic`, `bearer`, `kerberos`, `none` or a custom one).
    ///
    /// ```
    /// assert_eq!(neo4j::AuthToken::basic_auth("u", "p").scheme(), "basic");
    /// ```
    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    /// The principal (user name), if the token has one.
    ///
    /// ```
    /// assert_eq!(neo4j::AuthToken::bearer_auth("t").principal(), None);
    /// ```
    pub fn principal(&self) -> Option<&str> {
        self.principal.as_deref()
    }

    /// The realm, if one was given.
    ///
    /// ```
    /// assert_eq!(neo4j::AuthToken::basic_auth("u", "p").realm(), None);
    /// ```
    pub fn realm(&self) -> Option<&str> {
        self.realm.as_deref()
    }

    /// The custom parameters, if any were given.
    ///
    /// ```
    /// assert!(neo4j::AuthToken::none().parameters().is_none());
    /// ```
    pub fn parameters(&self) -> Option<&[(String, AuthValue)]> {
        self.parameters.as_deref()
    }

    /// The fields of the Bolt auth map, in the order `scheme`, `principal`,
    /// `credentials`, `realm`, `parameters`, leaving out absent ones and
    /// empty `credentials` / `realm` (defaults need not be sent, as in the
    /// official drivers; an empty `principal` is kept: servers before 4.4
    /// require the field).
    ///
    /// This **contains the secret in clear**; it exists for the protocol
    /// layer and for tests. Do not log it.
    ///
    /// ```
    /// use neo4j::{AuthToken, AuthValue};
    ///
    /// let fields = AuthToken::bearer_auth("tok").to_bolt_fields();
    /// assert_eq!(fields, vec![
    ///     ("scheme", AuthValue::from("bearer")),
    ///     ("credentials", AuthValue::from("tok")),
    /// ]);
    /// ```
    pub fn to_bolt_fields(&self) -> Vec<(&'static str, AuthValue)> {
        let mut out = vec![("scheme", AuthValue::String(self.scheme.clone()))];
        if let Some(p) = &self.principal {
            out.push(("principal", AuthValue::String(p.clone())));
        }
        if let Some(c) = self.credentials.as_ref().filter(|c| !c.is_empty()) {
            out.push(("credentials", AuthValue::String(c.clone())));
        }
        if let Some(r) = self.realm.as_ref().filter(|r| !r.is_empty()) {
            out.push(("realm", AuthValue::String(r.clone())));
        }
        if let Some(params) = &self.parameters {
            out.push(("parameters", AuthValue::Map(params.clone())));
        }
        out
    }

    /// The Bolt auth map as a PackStream [`Map`](packstream::Map), fields as
    /// in [`to_bolt_fields`](Self::to_bolt_fields). Contains the secret in
    /// clear.
    ///
    /// ```
    /// let map = neo4j::AuthToken::basic_auth("neo4j", "pw").to_bolt_map();
    /// assert_eq!(map.get("principal"), Some(&packstream::Value::from("neo4j")));
    /// assert_eq!(map.keys().collect::<Vec<_>>(), ["scheme", "principal", "credentials"]);
    /// ```
    pub fn to_bolt_map(&self) -> packstream::Map {
        self.to_bolt_fields()
            .into_iter()
            .map(|(k, v)| (k, packstream::Value::from(v)))
            .collect()
    }
}

impl AuthToken {
    /// The token a Bolt auth map describes (the inverse of
    /// [`to_bolt_map`](Self::to_bolt_map)); `None` without a string
    /// `scheme`.
    pub(crate) fn from_bolt_map(map: &packstream::Map) -> Option<AuthToken> {
        let s = |k: &str| {
            map.get(k)
                .and_then(packstream::Value::as_str)
                .map(str::to_owned)
        };
        let parameters = match map.get("parameters") {
            Some(packstream::Value::Map(m)) => Some(
                m.iter()
                    .map(|(k, v)| (k.to_owned(), auth_value(v)))
                    .collect(),
            ),
            _ => None,
        };
        Some(AuthToken {
            scheme: s("scheme")?,
            principal: s("principal"),
            credentials: s("credentials"),
            realm: s("realm"),
            parameters,
        })
    }
}

fn auth_value(v: &packstream::Value) -> AuthValue {
    use packstream::Value;
    match v {
        Value::Boolean(b) => AuthValue::Boolean(*b),
        Value::Integer(i) => AuthValue::Integer(*i),
        Value::Float(f) => AuthValue::Float(*f),
        Value::String(s) => AuthValue::String(s.clone()),
        Value::List(l) => AuthValue::List(l.iter().map(auth_value).collect()),
        Value::Map(m) => AuthValue::Map(
            m.iter()
                .map(|(k, v)| (k.to_owned(), auth_value(v)))
                .collect(),
        ),
        _ => AuthValue::Null,
    }
}

impl fmt::Debug for AuthToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("AuthToken");
        d.field("scheme", &self.scheme);
        if let Some(p) = &self.principal {
            d.field("principal", p);
        }
        if self.credentials.is_some() {
            d.field("credentials", &"<redacted>");
        }
        if let Some(r) = &self.realm {
            d.field("realm", r);
        }
        if let Some(params) = &self.parameters {
            // Parameter names are shown, values may be secrets.
            let keys: Vec<&str> = params.iter().map(|(k, _)| k.as_str()).collect();
            d.field("parameters", &keys);
        }
        d.finish()
    }
}

impl From<(&str, &str)> for AuthToken {
    /// `(user, password)` becomes [`AuthToken::basic_auth`].
    ///
    /// ```
    /// let t: neo4j::AuthToken = ("neo4j", "pw").into();
    /// assert_eq!(t.scheme(), "basic");
    /// ```
    fn from((user, password): (&str, &str)) -> Self {
        AuthToken::basic_auth(user, password)
    }
}

impl From<(String, String)> for AuthToken {
    /// `(user, password)` becomes [`AuthToken::basic_auth`].
    ///
    /// ```
    /// let t: neo4j::AuthToken = (String::from("neo4j"), String::from("pw")).into();
    /// assert_eq!(t.principal(), Some("neo4j"));
    /// ```
    fn from((user, password): (String, String)) -> Self {
        AuthToken::basic_auth(user, password)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn empty_credentials_and_realm_are_not_sent_empty_principal_is() {
        let t = super::AuthToken::custom_auth(
            Some(""),
            Some(""),
            Some(""),
            "minimal-scheme",
            std::iter::empty::<(String, super::AuthValue)>(),
        );
        let keys: Vec<&str> = t.to_bolt_fields().into_iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["scheme", "principal"]);
    }

    use super::*;

    fn s(v: &str) -> AuthValue {
        AuthValue::String(v.into())
    }

    #[test]
    fn basic_fields() {
        assert_eq!(
            AuthToken::basic_auth("u", "p").to_bolt_fields(),
            vec![
                ("scheme", s("basic")),
                ("principal", s("u")),
                ("credentials", s("p"))
            ]
        );
        assert_eq!(
            AuthToken::basic_auth_with_realm("u", "p", "r").to_bolt_fields(),
            vec![
                ("scheme", s("basic")),
                ("principal", s("u")),
                ("credentials", s("p")),
                ("realm", s("r"))
            ]
        );
        assert_eq!(
            AuthToken::basic_auth_with_realm("u", "p", ""),
            AuthToken::basic_auth("u", "p")
        );
    }

    #[test]
    fn kerberos_bearer_none_fields() {
        assert_eq!(
            AuthToken::kerberos_auth("tkt").to_bolt_fields(),
            vec![
                ("scheme", s("kerberos")),
                ("principal", s("")),
                ("credentials", s("tkt"))
            ]
        );
        assert_eq!(
            AuthToken::none().to_bolt_fields(),
            vec![("scheme", s("none"))]
        );
        assert_eq!(
            AuthToken::bearer_auth("b").to_bolt_fields(),
            vec![("scheme", s("bearer")), ("credentials", s("b"))]
        );
    }

    #[test]
    fn custom_fields_and_omissions() {
        let t = AuthToken::custom_auth(
            Some("me"),
            None::<&str>,
            Some("realm"),
            "plug",
            [
                ("n", AuthValue::from(1)),
                ("l", AuthValue::from(vec![true])),
            ],
        );
        assert_eq!(
            t.to_bolt_fields(),
            vec![
                ("scheme", s("plug")),
                ("principal", s("me")),
                ("realm", s("realm")),
                (
                    "parameters",
                    AuthValue::Map(vec![
                        ("n".into(), AuthValue::Integer(1)),
                        ("l".into(), AuthValue::List(vec![AuthValue::Boolean(true)]))
                    ])
                )
            ]
        );
        let empty = AuthToken::custom_auth(
            None::<&str>,
            None::<&str>,
            None::<&str>,
            "x",
            Vec::<(String, AuthValue)>::new(),
        );
        assert_eq!(empty.to_bolt_fields(), vec![("scheme", s("x"))]);
    }

    #[test]
    fn debug_redacts_every_secret() {
        for t in [
            AuthToken::basic_auth("user", "SECRET1"),
            AuthToken::bearer_auth("SECRET1"),
            AuthToken::kerberos_auth("SECRET1"),
            AuthToken::custom_auth(
                Some("user"),
                Some("SECRET1"),
                None::<&str>,
                "c",
                [("k", AuthValue::from("SECRET1"))],
            ),
        ] {
            let dbg = format!("{t:?}");
            assert!(!dbg.contains("SECRET1"), "{dbg}");
            assert!(dbg.contains("<redacted>"), "{dbg}");
        }
        assert!(format!("{:?}", AuthToken::basic_auth("user", "p")).contains("user"));
    }

    #[test]
    fn packstream_map_matches_fields() {
        use packstream::Value;
        let t = AuthToken::custom_auth(
            Some("p"),
            Some("c"),
            Some("r"),
            "s",
            [
                ("m", AuthValue::Map(vec![("x".into(), AuthValue::Null)])),
                ("f", AuthValue::Float(1.5)),
            ],
        );
        let map = t.to_bolt_map();
        assert_eq!(
            map.keys().collect::<Vec<_>>(),
            ["scheme", "principal", "credentials", "realm", "parameters"]
        );
        let Some(Value::Map(params)) = map.get("parameters") else {
            panic!("{map:?}")
        };
        assert_eq!(params.get("f"), Some(&Value::Float(1.5)));
        let Some(Value::Map(inner)) = params.get("m") else {
            panic!("{params:?}")
        };
        assert_eq!(inner.get("x"), Some(&Value::Null));
    }

    #[test]
    fn bolt_map_round_trips() {
        for t in [
            AuthToken::basic_auth_with_realm("u", "p", "r"),
            AuthToken::bearer_auth("b"),
            AuthToken::none(),
            AuthToken::custom_auth(
                Some("p"),
                Some("c"),
                None::<&str>,
                "s",
                [
                    ("b", AuthValue::from(true)),
                    ("l", AuthValue::from(vec![1, 2])),
                    ("f", AuthValue::from(0.5)),
                ],
            ),
        ] {
            assert_eq!(AuthToken::from_bolt_map(&t.to_bolt_map()), Some(t));
        }
        assert_eq!(AuthToken::from_bolt_map(&packstream::Map::new()), None);
    }

    #[test]
    fn tuples_are_basic() {
        let a: AuthToken = ("u", "p").into();
        let b: AuthToken = ("u".to_string(), "p".to_string()).into();
        assert_eq!(a, b);
        assert_eq!(a, AuthToken::basic_auth("u", "p"));
    }
}
