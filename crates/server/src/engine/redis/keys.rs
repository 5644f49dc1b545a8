//! The names of everything the engine keeps in Redis. A room name is always last, or
//! length-prefixed, so no room name can make one key look like another.

/// The epoch of every room's `seq` numbering, shared by all nodes.
pub const EPOCH: &str = "wirechat:epoch";

/// The key guests' resume tokens are signed with, shared by all nodes.
pub const GUEST_KEY: &str = "wirechat:guest-key";

/// The counter the room's next `seq` is taken from.
pub fn seq(room: &str) -> String {
    format!("wirechat:seq:{room}")
}

/// The stream of the room's messages; entry ids are `<seq>-0`.
pub fn stream(room: &str) -> String {
    format!("wirechat:stream:{room}")
}

/// Records the `seq` a client-made message id was stored under.
pub fn message_id(room: &str, id: &str) -> String {
    format!("wirechat:id:{}:{room}:{id}", room.len())
}

/// The pub/sub channel of the room's messages, typing and presence changes.
pub fn channel(room: &str) -> String {
    format!("{CHANNEL_PREFIX}{room}")
}

/// What every room channel starts with.
pub const CHANNEL_PREFIX: &str = "wirechat:room:";

/// The sorted set of the room's names on every node: `<node>\n<name>`, scored by when the
/// entry expires (milliseconds since the Unix epoch) unless its node renews it.
pub fn presence(room: &str) -> String {
    format!("wirechat:presence:{room}")
}

/// The hash of which uid goes by each name in the room; a name is held only while the room's
/// presence set has a live entry for it.
pub fn names(room: &str) -> String {
    format!("wirechat:names:{room}")
}
