//! Logging a repeated error once per interval, with how often it happened meanwhile, so a
//! failing disk writes one line every few seconds instead of one per message.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Decides which occurrences of one error are logged: the first, then the first after each
/// `every`, each carrying the count of those skipped since the last one logged.
#[derive(Debug)]
pub struct Throttle {
    every: Duration,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    last_logged: Option<Instant>,
    skipped: u64,
}

impl Throttle {
    /// Logs at most once per `every`.
    pub const fn new(every: Duration) -> Self {
        Self {
            every,
            state: Mutex::new(State {
                last_logged: None,
                skipped: 0,
            }),
        }
    }

    /// Records an occurrence now; see [`Throttle::occurred_at`].
    pub fn occurred(&self) -> Option<u64> {
        self.occurred_at(Instant::now())
    }

    /// Records an occurrence at `now`. Returns `Some(skipped)` when it is to be logged, with
    /// how many occurrences were not logged since the last that was; `None` otherwise.
    pub fn occurred_at(&self, now: Instant) -> Option<u64> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let due = state
            .last_logged
            .is_none_or(|last| now.saturating_duration_since(last) >= self.every);
        if due {
            state.last_logged = Some(now);
            Some(std::mem::take(&mut state.skipped))
        } else {
            state.skipped += 1;
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_logs_once_then_once_per_interval_with_the_count() {
        let throttle = Throttle::new(Duration::from_secs(10));
        let start = Instant::now();
        assert_eq!(throttle.occurred_at(start), Some(0));
        for i in 1..=500 {
            assert_eq!(throttle.occurred_at(start + Duration::from_millis(i)), None);
        }
        assert_eq!(
            throttle.occurred_at(start + Duration::from_secs(10)),
            Some(500)
        );
        assert_eq!(throttle.occurred_at(start + Duration::from_secs(11)), None);
        assert_eq!(
            throttle.occurred_at(start + Duration::from_secs(30)),
            Some(1)
        );
    }
}
