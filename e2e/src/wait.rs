//! Polling with a hard bound, so no test can hang on a page that never changes.

use std::fmt::Display;
use std::future::Future;
use std::time::Duration;

use tokio::time::{sleep, timeout, Instant};

/// How long [`wait_until`] waits when a helper has no better bound.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(15);

/// How often [`wait_until`] asks again.
pub const POLL_INTERVAL: Duration = Duration::from_millis(50);

/// How long one probe may take before [`wait_until`] gives up on it and asks again.
const PROBE_LIMIT: Duration = Duration::from_secs(5);

/// Polls `probe` every [`POLL_INTERVAL`] until it returns `Ok`, and returns that value.
///
/// `probe` returns `Err(seen)` while the condition does not hold; `seen` describes the
/// current state. After `limit` the call panics with `what` and the last `seen`, because
/// "timed out" alone never explains a failure.
pub async fn wait_until<T, E, F, Fut>(what: &str, limit: Duration, mut probe: F) -> T
where
    E: Display,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let deadline = Instant::now() + limit;
    let mut last_seen = String::from("nothing yet");
    loop {
        let remaining = deadline.saturating_duration_since(Instant::now());
        // A probe is a round trip that can itself stall; one stall must not eat the whole bound.
        let probe_limit = remaining.min(PROBE_LIMIT);
        match timeout(probe_limit, probe()).await {
            Ok(Ok(value)) => return value,
            Ok(Err(seen)) => last_seen = seen.to_string(),
            Err(_) if probe_limit == PROBE_LIMIT => {
                last_seen = format!("a probe that did not answer within {PROBE_LIMIT:?}")
            }
            // Cut short by the deadline: what was seen before is still the best description.
            Err(_) => {}
        }
        if Instant::now() >= deadline {
            panic!("timed out after {limit:?} waiting for {what}; last saw: {last_seen}");
        }
        sleep(POLL_INTERVAL).await;
    }
}

/// Runs `body` and panics if it takes longer than `limit`.
///
/// A test wraps its whole body in this so it stops by itself even if a browser or the
/// server stops answering in a way no single helper notices.
pub async fn bounded<T>(limit: Duration, body: impl Future<Output = T>) -> T {
    match timeout(limit, body).await {
        Ok(value) => value,
        Err(_) => panic!("the test did not finish within {limit:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn returns_the_first_ready_value() {
        let mut calls = 0;
        let value = wait_until("the third call", Duration::from_secs(2), || {
            calls += 1;
            let result = if calls >= 3 {
                Ok(calls)
            } else {
                Err(format!("call {calls}"))
            };
            async move { result }
        })
        .await;
        assert_eq!(value, 3);
    }

    #[tokio::test]
    #[should_panic(expected = "last saw: still 7")]
    async fn a_timeout_reports_what_it_last_saw() {
        wait_until::<(), _, _, _>(
            "something impossible",
            Duration::from_millis(200),
            || async { Err("still 7") },
        )
        .await;
    }

    #[tokio::test]
    #[should_panic(expected = "did not finish")]
    async fn bounded_stops_a_body_that_never_ends() {
        bounded(Duration::from_millis(50), std::future::pending::<()>()).await;
    }
}
