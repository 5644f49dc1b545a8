//! The browser tests where engines differ, run in Chromium, Firefox and WebKit: the composer's
//! keys and IME events, rendering and the basics (`browser`), isolation of right-to-left names
//! (`deceptive_names`), the page's `pageshow` and `online` events (`page_lifecycle`), a wall
//! clock that steps back or a timer that runs early (`clock`), the engine's SHA-1, which
//! checks the handshake a server reports (`handshake`), and the message list's layout and
//! scrolling (`message_list`). The message list's tests put the app's stylesheet into the
//! page; the others mount unstyled chats, which that stylesheet does not disturb.
//!
//! They are modules of one test binary rather than files of their own: each test binary is
//! linked, prepared by wasm-bindgen and given a browser of its own, which costs seconds per
//! file in Chromium and 10 to 20 s in Firefox. Every test mounts into a fresh element
//! (`support`), so sharing the page is safe.

#![cfg(target_arch = "wasm32")]

#[path = "../support/mod.rs"]
mod support;

mod browser;
mod clock;
mod deceptive_names;
mod handshake;
mod message_list;
mod page_lifecycle;

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
