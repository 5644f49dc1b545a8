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

/// The room's kept messages by id: a hash of id to `seq`, trimmed with the stream.
pub fn ids(room: &str) -> String {
    format!("wirechat:ids:{room}")
}

/// The current text of each kept message: a hash by `seq`. The stream entries hold none,
/// so a delete that removes it here leaves the text nowhere in Redis.
pub fn texts(room: &str) -> String {
    format!("wirechat:text:{room}")
}

/// When each edited message was last edited (ms): a hash by `seq`.
pub fn edited(room: &str) -> String {
    format!("wirechat:edited:{room}")
}

/// When each deleted message was deleted (ms): a hash by `seq`.
pub fn deleted(room: &str) -> String {
    format!("wirechat:deleted:{room}")
}

/// The reactions of each message as history shows them (JSON): a hash by `seq`.
pub fn reactions(room: &str) -> String {
    format!("wirechat:reactions:{room}")
}

/// What the key of who reacted how to one message starts with; its `seq` follows.
pub fn reactors_prefix(room: &str) -> String {
    format!("wirechat:reactors:{}:{room}:", room.len())
}

/// How far each user has read the room: a hash of uid to `seq`.
pub fn reads(room: &str) -> String {
    format!("wirechat:reads:{room}")
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
