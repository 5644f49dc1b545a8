//! Browser tests of the app's own rules, which no engine changes, so they run in Chromium
//! only: message actions, configuration, why a connection closed, the driver's event order,
//! two chats on one page, generated frames, the link figures, @mentions, the rate-limit
//! notice and the settings panel.
//!
//! They are modules of one test binary rather than files of their own: each test binary is
//! linked, prepared by wasm-bindgen and given a browser of its own, which costs seconds per
//! file. Every test mounts into a fresh element (`support`), so sharing the page is safe.

#![cfg(target_arch = "wasm32")]

#[path = "../support/mod.rs"]
mod support;

mod actions;
mod closed_reason;
mod config;
mod driver;
mod embedding;
mod generated;
mod link_figures;
mod mentions;
mod rate_limit;
mod settings;
mod unread_search;

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
