//! Issuing tokens with a shared secret, for `wirechat-server token` and for tests. A web app
//! that signs its users in issues the same tokens itself (see the README).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{encode, EncodingKey, Header};
use serde::Serialize;

/// What a token says about its user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRequest {
    /// The user id (`sub`).
    pub sub: String,
    /// The display name (`name`).
    pub name: String,
    /// Room patterns (`rooms`) the user may use; empty for any room.
    pub rooms: Vec<String>,
    /// How long the token is valid from now (`exp`).
    pub ttl: Duration,
    /// The audience (`aud`), when the server checks one.
    pub audience: Option<String>,
}

#[derive(Serialize)]
struct Claims<'a> {
    sub: &'a str,
    name: &'a str,
    iat: u64,
    exp: u64,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    rooms: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    aud: Option<&'a str>,
}

/// An HS256 token for `request`, signed with `secret`.
pub fn mint_token(secret: &[u8], request: &TokenRequest) -> Result<String, String> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let claims = Claims {
        sub: &request.sub,
        name: &request.name,
        iat: now,
        exp: now.saturating_add(request.ttl.as_secs()),
        rooms: &request.rooms,
        aud: request.audience.as_deref(),
    };
    encode(
        &Header::default(),
        &claims,
        &EncodingKey::from_secret(secret),
    )
    .map_err(|err| err.to_string())
}
