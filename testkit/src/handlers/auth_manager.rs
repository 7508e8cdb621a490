//! Auth token managers whose callbacks ask TestKit: `NewAuthTokenManager`
//! (get-auth and handle-security-exception callbacks), and the driver's
//! ready-made basic and bearer managers with TestKit as their provider
//! (`NewBasicAuthTokenManager`, `NewBearerAuthTokenManager`).
//!
//! Owns no state: the handler keeps the managers by id.

use std::sync::Arc;
use std::time::Duration;

use neo4j::{AuthToken, AuthTokenManager, AuthTokenManagers, BoxFuture, Error, ExpiringAuthToken};
use serde_json::{json, Value as Json};

use crate::link::Link;
use crate::protocol::requests::Request;
use crate::protocol::responses::Response;
use crate::protocol::Id;

use super::driver::auth_token;

/// TestKit's `AuthorizationToken` for `t`, with only the fields the token
/// has (TestKit compares tokens by their attributes).
pub(crate) fn token_json(t: &AuthToken) -> Json {
    let mut data = serde_json::Map::new();
    for (k, v) in t.to_bolt_fields() {
        data.insert(k.to_owned(), auth_value_json(&v));
    }
    json!({"name": "AuthorizationToken", "data": data})
}

fn auth_value_json(v: &neo4j::AuthValue) -> Json {
    use neo4j::AuthValue as V;
    match v {
        V::Null => Json::Null,
        V::Boolean(b) => json!(b),
        V::Integer(i) => json!(i),
        V::Float(f) => json!(f),
        V::String(s) => json!(s),
        V::List(l) => Json::Array(l.iter().map(auth_value_json).collect()),
        V::Map(m) => Json::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), auth_value_json(v)))
                .collect(),
        ),
        _ => Json::Null,
    }
}

/// Runs a blocking TestKit callback off the async workers.
async fn ask(
    link: &Arc<Link>,
    make: impl FnOnce(Id) -> Response + Send + 'static,
) -> Result<Request, Error> {
    let link = Arc::clone(link);
    tokio::task::spawn_blocking(move || link.callback_blocking(make))
        .await
        .map_err(|e| Error::Usage(format!("auth callback task failed: {e}")))?
        .map_err(Error::Usage)
}

fn bad_token(e: impl std::fmt::Debug) -> Error {
    Error::Usage(format!("TestKit sent an unusable auth token: {e:?}"))
}

/// A manager whose both methods are TestKit callbacks.
struct TestkitManager {
    link: Arc<Link>,
    id: Id,
}

impl std::fmt::Debug for TestkitManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestkitManager")
            .field("id", &self.id)
            .finish()
    }
}

impl AuthTokenManager for TestkitManager {
    fn get_token(&self) -> BoxFuture<'_, Result<AuthToken, Error>> {
        Box::pin(async move {
            let manager = self.id;
            match ask(&self.link, move |id| {
                Response::AuthTokenManagerGetAuthRequest {
                    id,
                    auth_token_manager_id: manager,
                }
            })
            .await?
            {
                Request::AuthTokenManagerGetAuthCompleted { auth, .. } => {
                    auth_token(&auth).map_err(bad_token)
                }
                other => Err(Error::Usage(format!(
                    "get-auth callback answered with {other:?}"
                ))),
            }
        })
    }

    fn handle_security_error<'a>(
        &'a self,
        token: &'a AuthToken,
        error: &'a Error,
    ) -> BoxFuture<'a, bool> {
        Box::pin(async move {
            let manager = self.id;
            let auth = token_json(token);
            let code = error.code().unwrap_or_default().to_owned();
            let answer = ask(&self.link, move |id| {
                Response::AuthTokenManagerHandleSecurityExceptionRequest {
                    id,
                    auth_token_manager_id: manager,
                    auth,
                    error_code: code,
                }
            })
            .await;
            match answer {
                Ok(Request::AuthTokenManagerHandleSecurityExceptionCompleted {
                    handled, ..
                }) => handled,
                other => {
                    eprintln!("handle-security-exception callback answered with {other:?}");
                    false
                }
            }
        })
    }
}

/// `NewAuthTokenManager`.
pub(crate) fn new_manager(link: &Arc<Link>, id: Id) -> Arc<dyn AuthTokenManager> {
    Arc::new(TestkitManager {
        link: Arc::clone(link),
        id,
    })
}

/// `NewBasicAuthTokenManager`: the driver's basic manager asking TestKit
/// for each new token.
pub(crate) fn new_basic(link: &Arc<Link>, id: Id) -> Arc<dyn AuthTokenManager> {
    let link = Arc::clone(link);
    AuthTokenManagers::basic(move || {
        let link = Arc::clone(&link);
        async move {
            match ask(&link, move |rid| Response::BasicAuthTokenProviderRequest {
                id: rid,
                basic_auth_token_manager_id: id,
            })
            .await?
            {
                Request::BasicAuthTokenProviderCompleted { auth, .. } => {
                    auth_token(&auth).map_err(bad_token)
                }
                other => Err(Error::Usage(format!(
                    "basic auth provider callback answered with {other:?}"
                ))),
            }
        }
    })
}

/// `NewBearerAuthTokenManager`: the driver's bearer manager asking
/// TestKit for each new token and its lifetime, judging expiry by the
/// backend's clock (TestKit may freeze and move it).
pub(crate) fn new_bearer(
    link: &Arc<Link>,
    id: Id,
    clock: Arc<dyn neo4j::Clock>,
) -> Arc<dyn AuthTokenManager> {
    let link = Arc::clone(link);
    let provider = move || {
        let link = Arc::clone(&link);
        async move {
            match ask(&link, move |rid| Response::BearerAuthTokenProviderRequest {
                id: rid,
                bearer_auth_token_manager_id: id,
            })
            .await?
            {
                Request::BearerAuthTokenProviderCompleted { auth, .. } => {
                    let data = auth.get("data").unwrap_or(&auth);
                    let token =
                        auth_token(data.get("auth").unwrap_or(&Json::Null)).map_err(bad_token)?;
                    let t = ExpiringAuthToken::new(token);
                    Ok(match data.get("expiresInMs").and_then(Json::as_u64) {
                        Some(ms) => t.expiring_in(Duration::from_millis(ms)),
                        None => t,
                    })
                }
                other => Err(Error::Usage(format!(
                    "bearer auth provider callback answered with {other:?}"
                ))),
            }
        }
    };
    AuthTokenManagers::bearer_with_clock(provider, clock)
}
