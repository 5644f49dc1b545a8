//! The transport that last worked with a server, kept per server in localStorage (shared by
//! the app's tabs) as `name@ms`, so the next page load can start with it. The session decides
//! for how long it counts.

use crate::glue::page;
use wirechat_session::{RememberedTransport, TransportKind};

fn key(server: &str) -> String {
    ["wirechat.transport:", server].concat()
}

/// The transport kept for `server`, with when it worked.
pub fn recall(server: &str) -> Option<RememberedTransport> {
    let saved = page::load(&key(server))?;
    let (name, at) = saved.split_once('@')?;
    Some(RememberedTransport {
        kind: TransportKind::from_name(name)?,
        at: at.parse().ok()?,
    })
}

/// Keeps `kind` as the transport that worked with `server` at `now`.
pub fn remember(server: &str, kind: TransportKind, now: u64) {
    page::save(&key(server), &[kind.name(), "@", &now.to_string()].concat());
}
