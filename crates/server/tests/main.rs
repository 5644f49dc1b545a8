//! The reference server's integration tests, one module per subject, in one binary.

mod common;
mod process;

mod abuse;
mod actions;
mod auth;
mod binary;
mod chat;
mod flow;
mod guards;
mod guests;
mod handshake;
mod lifecycle;
mod operations;
mod persistence;
mod redis;
mod transports;
