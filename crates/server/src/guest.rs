//! Guests that come back: the `resume` token in a guest's `authed`.
//!
//! A guest's uid lives only as long as its connection, so a reconnect or a second tab would
//! be somebody else (renamed "alice (2)" next to its own lingering socket, and no longer the
//! author of its earlier messages). The server therefore hands each guest a resume token,
//! an HS256 JWT whose `sub` is the guest's uid, signed with a key only this server knows.
//! Sent back as the first `auth` of a later connection, it gives that connection the same
//! uid again.
//!
//! The key is not the operator's JWT secret, and the token carries a `guest` claim that user
//! tokens do not, so neither kind of token passes for the other.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use wirechat_protocol::{validate_uid, Authed};

use crate::identity::Identity;

/// How long a resume token signs its guest in again. Every `authed` carries a fresh one,
/// so a guest that comes back within this time keeps its uid indefinitely.
pub const RESUME_LIFETIME: Duration = Duration::from_secs(30 * 24 * 60 * 60);

/// The file in the data directory holding the key resume tokens are signed with.
pub const GUEST_KEY_FILE: &str = "guest-resume.key";

/// Bytes of the signing key: as many as HS256's hash, and what the file must hold.
pub(crate) const KEY_BYTES: usize = 32;

/// The prefix of every guest uid, which a resume token's `sub` must have.
const GUEST_PREFIX: &str = "guest-";

#[derive(Serialize, Deserialize)]
struct ResumeClaims {
    sub: String,
    exp: u64,
    /// Marks a guest's token: a token without it is never a resume, whoever signed it.
    guest: bool,
}

/// Issues and checks the resume tokens of one server's guests.
pub struct GuestPasses {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl GuestPasses {
    /// Passes signed with a fresh random key: they last as long as this process, as the
    /// history of an in-memory server does.
    pub fn ephemeral() -> io::Result<Self> {
        Ok(Self::with_key(&random_key()?))
    }

    /// Passes signed with the key in `data_dir`, made (readable by the owner only) on the
    /// first start, so that guests keep their uid across restarts.
    ///
    /// Fails, naming the file, when the key can be neither read nor made, or is too short.
    pub fn in_data_dir(data_dir: &Path) -> io::Result<Self> {
        let path = data_dir.join(GUEST_KEY_FILE);
        let key = match fs::read(&path) {
            Ok(key) => key,
            Err(err) if err.kind() == io::ErrorKind::NotFound => {
                let key = random_key()?;
                write_private(&path, &key)?;
                key
            }
            Err(err) => return Err(named(&path, "cannot read", err)),
        };
        if key.len() < KEY_BYTES {
            let reason = format!(
                "{} holds {} bytes, fewer than the {KEY_BYTES} of a key; delete it to make a \
                 new one (returning guests then start afresh)",
                path.display(),
                key.len()
            );
            return Err(io::Error::new(io::ErrorKind::InvalidData, reason));
        }
        Ok(Self::with_key(&key))
    }

    /// Passes signed with `key`, which every node sharing one Redis holds alike.
    pub(crate) fn with_key(key: &[u8]) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_aud = false;
        validation.set_required_spec_claims(&["exp", "sub"]);
        Self {
            encoding: EncodingKey::from_secret(key),
            decoding: DecodingKey::from_secret(key),
            validation,
        }
    }

    /// The `authed` for a guest: who it is, and a fresh token to come back as the same guest.
    pub fn authed(&self, guest: &Identity) -> Authed {
        let claims = ResumeClaims {
            sub: guest.uid.clone(),
            exp: (since_epoch() + RESUME_LIFETIME).as_secs(),
            guest: true,
        };
        let resume = encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|err| tracing::error!("cannot sign a guest's resume token: {err}"))
            .ok();
        Authed {
            resume,
            ..guest.authed()
        }
    }

    /// The guest a resume token signs in again; `None` for anything this server did not
    /// issue to a guest, or that expired.
    pub fn resume(&self, token: &str) -> Option<Identity> {
        let claims = decode::<ResumeClaims>(token, &self.decoding, &self.validation)
            .ok()?
            .claims;
        let is_guest = claims.guest
            && claims.sub.starts_with(GUEST_PREFIX)
            && validate_uid(&claims.sub).is_ok();
        is_guest.then(|| Identity::returning_guest(claims.sub))
    }
}

/// A fresh signing key of [`KEY_BYTES`] random bytes.
pub(crate) fn random_key() -> io::Result<Vec<u8>> {
    let mut key = vec![0; KEY_BYTES];
    getrandom::fill(&mut key).map_err(|err| io::Error::other(format!("no randomness: {err}")))?;
    Ok(key)
}

/// Writes `key` to `path` through a file that only the owner may read, renamed into place
/// once complete, so a crash never leaves half a key behind.
fn write_private(path: &Path, key: &[u8]) -> io::Result<()> {
    let partial = PathBuf::from(format!("{}.partial", path.display()));
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options.open(&partial).and_then(|mut file| {
        file.write_all(key)?;
        file.sync_all()
    });
    written
        .and_then(|()| fs::rename(&partial, path))
        .map_err(|err| named(path, "cannot create", err))
}

fn named(path: &Path, what: &str, err: io::Error) -> io::Error {
    io::Error::new(err.kind(), format!("{what} {}: {err}", path.display()))
}

fn since_epoch() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pass_signs_its_guest_in_again_and_only_with_its_key() {
        let passes = GuestPasses::ephemeral().unwrap();
        let guest = Identity::guest();
        let resume = passes.authed(&guest).resume.expect("a resume token");
        assert_eq!(passes.resume(&resume), Some(guest));
        assert_eq!(GuestPasses::ephemeral().unwrap().resume(&resume), None);
    }

    #[test]
    fn a_token_without_the_guest_mark_is_no_pass() {
        let key = random_key().unwrap();
        let passes = GuestPasses::with_key(&key);
        let claims = serde_json::json!({
            "sub": "guest-1-1",
            "exp": (since_epoch() + RESUME_LIFETIME).as_secs(),
        });
        let token = encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(&key),
        )
        .unwrap();
        assert_eq!(passes.resume(&token), None);
    }

    #[cfg(unix)]
    #[test]
    fn the_key_file_is_made_once_and_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let first = GuestPasses::in_data_dir(dir.path()).unwrap();
        let path = dir.path().join(GUEST_KEY_FILE);
        let mode = fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let guest = Identity::guest();
        let resume = first.authed(&guest).resume.unwrap();
        let again = GuestPasses::in_data_dir(dir.path()).unwrap();
        assert_eq!(again.resume(&resume), Some(guest));
    }

    #[test]
    fn a_truncated_key_file_is_refused_with_its_path() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(GUEST_KEY_FILE), b"short").unwrap();
        let err = GuestPasses::in_data_dir(dir.path())
            .err()
            .expect("refused")
            .to_string();
        assert!(err.contains(GUEST_KEY_FILE), "{err}");
    }
}
