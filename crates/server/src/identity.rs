//! Who a connection is: a user signed in with a JWT, or a guest.
//!
//! The operator configures one key ([`SigningKey`]); only tokens signed with an algorithm of
//! that key's family are accepted, so a token cannot pick its own algorithm (`alg: none`,
//! or HS256 "signed" with an RSA or Ed25519 public key).

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{decode, Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use wirechat_protocol::{validate_name, validate_uid, Authed};

/// How long a client may take to send its `auth` frame when a token is required.
pub const SIGN_IN_TIMEOUT: Duration = Duration::from_secs(10);
/// How far clocks may disagree: a token is accepted this long after its `exp` and before
/// its `nbf`.
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(5);

/// The key tokens are verified with.
#[derive(Clone, PartialEq, Eq)]
pub enum SigningKey {
    /// A shared secret: tokens are HS256.
    Secret(Vec<u8>),
    /// An Ed25519 public key (PEM): tokens are EdDSA.
    Ed25519Pem(Vec<u8>),
    /// An RSA public key (PEM): tokens are RS256.
    RsaPem(Vec<u8>),
}

impl SigningKey {
    /// The public key in `pem`, Ed25519 or RSA, told apart by its contents.
    pub fn public_pem(pem: &[u8]) -> Result<Self, String> {
        if DecodingKey::from_ed_pem(pem).is_ok() {
            Ok(Self::Ed25519Pem(pem.to_vec()))
        } else if DecodingKey::from_rsa_pem(pem).is_ok() {
            Ok(Self::RsaPem(pem.to_vec()))
        } else {
            Err("not an Ed25519 or RSA public key in PEM".to_owned())
        }
    }

    fn algorithm(&self) -> Algorithm {
        match self {
            Self::Secret(_) => Algorithm::HS256,
            Self::Ed25519Pem(_) => Algorithm::EdDSA,
            Self::RsaPem(_) => Algorithm::RS256,
        }
    }

    fn decoding_key(&self) -> Result<DecodingKey, String> {
        match self {
            Self::Secret(secret) => Ok(DecodingKey::from_secret(secret)),
            Self::Ed25519Pem(pem) => DecodingKey::from_ed_pem(pem).map_err(|e| e.to_string()),
            Self::RsaPem(pem) => DecodingKey::from_rsa_pem(pem).map_err(|e| e.to_string()),
        }
    }
}

// Key material stays out of logs and debug output.
impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningKey({:?})", self.algorithm())
    }
}

/// How a server that requires signed-in users verifies them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthConfig {
    /// The key tokens must be signed with.
    pub key: SigningKey,
    /// When set, a token's `aud` must name it.
    pub audience: Option<String>,
    /// When set, the token is also read from this cookie of the upgrade request.
    pub cookie: Option<String>,
    /// Clock skew allowed on `exp` and `nbf`; whole seconds count. Default
    /// [`DEFAULT_LEEWAY`].
    pub leeway: Duration,
    /// How long a client may take to send `auth`. Default [`SIGN_IN_TIMEOUT`].
    pub sign_in_timeout: Duration,
}

impl AuthConfig {
    /// Tokens signed with `key`, any audience, no cookie, the default leeway and timeout.
    pub fn new(key: SigningKey) -> Self {
        Self {
            key,
            audience: None,
            cookie: None,
            leeway: DEFAULT_LEEWAY,
            sign_in_timeout: SIGN_IN_TIMEOUT,
        }
    }
}

/// The claims the server reads; `exp`, `nbf` and `aud` are checked by the JWT library.
#[derive(Deserialize)]
struct Claims {
    sub: String,
    #[serde(default)]
    name: Option<String>,
    exp: u64,
    #[serde(default)]
    rooms: Option<Vec<String>>,
}

/// Checks tokens against one configured key.
pub struct Verifier {
    key: DecodingKey,
    validation: Validation,
}

impl Verifier {
    /// A verifier for `config`; fails when the key cannot be used.
    pub fn new(config: &AuthConfig) -> Result<Self, String> {
        // One algorithm, the key's: a token naming any other is refused before its
        // signature is looked at.
        let mut validation = Validation::new(config.key.algorithm());
        validation.leeway = config.leeway.as_secs();
        validation.validate_nbf = true;
        match &config.audience {
            Some(audience) => {
                validation.set_audience(&[audience]);
                // Without this, a token with no `aud` at all would pass the check.
                validation.set_required_spec_claims(&["exp", "sub", "aud"]);
            }
            None => {
                validation.validate_aud = false;
                validation.set_required_spec_claims(&["exp", "sub"]);
            }
        }
        Ok(Self {
            key: config.key.decoding_key()?,
            validation,
        })
    }

    /// The identity a token proves, or why it does not. The reason never quotes the token.
    pub fn verify(&self, token: &str) -> Result<Identity, String> {
        let claims = decode::<Claims>(token, &self.key, &self.validation)
            .map_err(|err| format!("The token was refused: {err}."))?
            .claims;
        validate_uid(&claims.sub).map_err(|reason| format!("The token's sub: {reason}"))?;
        let name = claims.name.unwrap_or_else(|| claims.sub.clone());
        validate_name(&name).map_err(|reason| format!("The token's name: {reason}"))?;
        Ok(Identity {
            uid: claims.sub,
            name: Some(name),
            exp_ms: Some(claims.exp.saturating_mul(1000)),
            rooms: claims.rooms.map(RoomPatterns),
        })
    }
}

/// Who a connection is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The user id sent in `authed` and on every message.
    pub uid: String,
    /// The display name from the token; `None` for a guest, who names itself per room.
    pub name: Option<String>,
    /// When the identity expires, in ms since the Unix epoch; `None` for a guest.
    pub exp_ms: Option<u64>,
    /// The rooms the user may use; `None` for any room.
    pub rooms: Option<RoomPatterns>,
}

impl Identity {
    /// A guest with a uid no other connection of this process has.
    pub fn guest() -> Self {
        Self {
            uid: guest_uid(),
            name: None,
            exp_ms: None,
            rooms: None,
        }
    }

    /// The `authed` frame telling the client who it is.
    pub fn authed(&self) -> Authed {
        Authed {
            uid: self.uid.clone(),
            name: self.name.clone().unwrap_or_default(),
            exp: self.exp_ms,
            resume: None,
        }
    }

    /// Whether the user may join and read `room`.
    pub fn may_use(&self, room: &str) -> bool {
        self.rooms.as_ref().is_none_or(|rooms| rooms.allow(room))
    }

    /// How long until the identity expires, leeway included; `None` when it never does.
    pub fn remaining(&self, leeway: Duration) -> Option<Duration> {
        let exp = self.exp_ms?;
        let deadline = Duration::from_millis(exp) + leeway;
        Some(deadline.saturating_sub(since_epoch()))
    }
}

/// Room patterns from a token's `rooms` claim: `support` names one room, `team-*` every
/// room starting with `team-`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomPatterns(Vec<String>);

impl RoomPatterns {
    /// Whether a pattern matches `room`.
    pub fn allow(&self, room: &str) -> bool {
        self.0
            .iter()
            .any(|pattern| match pattern.strip_suffix('*') {
                Some(prefix) => room.starts_with(prefix),
                None => pattern == room,
            })
    }
}

fn since_epoch() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

/// `guest-<start>-<n>`: the process's start time keeps ids of one run apart from those of
/// earlier runs, whose messages may still be in the stored history.
fn guest_uid() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    static START: std::sync::OnceLock<u128> = std::sync::OnceLock::new();
    let start = START.get_or_init(|| since_epoch().as_micros());
    format!("guest-{start:x}-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_patterns_match_names_and_prefixes() {
        let rooms = RoomPatterns(vec!["support".into(), "team-*".into()]);
        assert!(rooms.allow("support"));
        assert!(rooms.allow("team-red"));
        assert!(!rooms.allow("supporters"));
        assert!(!rooms.allow("lobby"));
    }

    #[test]
    fn guests_get_distinct_valid_uids() {
        let (a, b) = (Identity::guest(), Identity::guest());
        assert_ne!(a.uid, b.uid);
        assert!(validate_uid(&a.uid).is_ok());
    }

    #[test]
    fn key_material_stays_out_of_debug_output() {
        let key = SigningKey::Secret(b"hunter2".to_vec());
        assert!(!format!("{key:?}").contains("hunter2"));
    }
}
