//! The sans-IO core of the wirechat client.
//!
//! Nothing here touches a socket, a timer or the DOM. The browser glue turns socket events,
//! timers and user actions into [`Input`]s stamped with the current time, calls
//! [`Session::handle`], and carries out the [`Command`]s it gets back. That keeps every rule
//! about reconnecting, resuming, confirming and deduplicating testable natively with a
//! simulated clock.

mod backoff;
pub mod catchup;
pub mod mentions;
mod message_state;
mod outbox;
mod people;
mod session;
mod store;

pub use backoff::{BackoffConfig, Jitter};
pub use catchup::CatchUp;
pub use message_state::Change;
pub use outbox::{AdoptGuard, Outbox, OutboxItem, SavedOutbox, SavedOutboxes};
pub use people::RoomPeople;
pub use session::{
    ActionError, ActionRefusal, ClosedReason, Command, Identity, Input, LinkFigures,
    RememberedTransport, SearchState, SeenClose, ServerList, ServerMode, Session, SessionConfig,
    SignInProblem, Stats, Status, TransportKind, TransportReason, CLOSES_KEPT, MOVE_ON_AFTER,
    READ_AFTER_MS,
};
pub use store::{Delivery, Entry, Inserted, RoomLog};
