//! Ids for elements that others refer to (`aria-controls`, `aria-describedby`, …). Each
//! is unique on the page, so several chats can be embedded side by side.

use std::sync::atomic::{AtomicU32, Ordering};

static NEXT: AtomicU32 = AtomicU32::new(0);

/// A page-unique id starting with `wirechat-{purpose}-`.
pub fn unique_id(purpose: &str) -> String {
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("wirechat-{purpose}-{n}")
}
