//! How many tests drive browsers at once: the machine's share a test holds while its
//! browsers run.
//!
//! The suite is written for two cores. Most tests keep both busy (starting browsers,
//! rendering, typing, pages of history), and two such tests side by side fail on timeouts
//! instead of on bugs, so they run alone. Some tests spend most of their time waiting on the
//! product's own timers (a reconnect backoff, a liveness timeout, a token's expiry, a
//! server restart) with one or two idle browsers: two of those share the machine, and the
//! suite takes less wall time without either being short of CPU.

use tokio::sync::{Semaphore, SemaphorePermit};

/// The machine in halves: a test alone takes both, a light test one.
const HALVES: u32 = 2;

// Tokio's semaphore serves waiters in the order they came, and a test alone waits for both
// halves at once, so light tests never overtake it: a test waits at most for those that came
// before it.
static MACHINE: Semaphore = Semaphore::const_new(HALVES as usize);

/// A share of the machine for one test's browsers, held until dropped.
pub struct BrowserSlot {
    _permit: SemaphorePermit<'static>,
}

impl BrowserSlot {
    /// Waits until no other test drives browsers, then holds the whole machine. Every test
    /// takes this unless it is known to be light.
    pub async fn alone() -> Self {
        Self::take(HALVES).await
    }

    /// Waits for half the machine, which one other light test may share.
    ///
    /// Only for light tests: at most two browsers, most of the test's wall time spent
    /// waiting on the product's timers, and nothing that checks a narrow timing window,
    /// focus, IME, screenshots, scroll positions or speed. Measured alone, such a test uses
    /// well under half a core on average.
    pub async fn light() -> Self {
        Self::take(1).await
    }

    async fn take(halves: u32) -> Self {
        let permit = MACHINE
            .acquire_many(halves)
            .await
            .expect("the browser slots are never closed");
        Self { _permit: permit }
    }
}
