//! The session's integration tests, one module per subject, in one binary.

mod support;

mod actions;
mod adopt;
mod failover;
mod generated;
mod identity;
mod link_figures;
mod relay_catchup;
mod reveal;
mod server_limits;
mod simulation;
mod unavailable;
