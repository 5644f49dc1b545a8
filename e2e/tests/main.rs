//! The end-to-end tests, one module per subject, in one binary: real browsers against the
//! reference server and relays. `make test-e2e` runs them all in Chromium: one at a time,
//! or two at once where both are light (`Harness::start_light`).

mod accessibility;
mod actions;
mod big_pages;
mod chat;
mod chat_ui;
mod faults;
mod harness;
mod hostile;
mod identity;
mod inspector;
mod links;
mod mentions;
mod relays;
mod scale_out;
mod static_hosting;
mod tabs;
mod transports;
mod unread_search;
