//! Rate limits on what one connection sends: a token bucket per kind of frame, and a watch
//! for clients that keep sending after they were told to wait.

use std::time::Duration;

use tokio::time::Instant;

use crate::flow::{FlowLimits, Rate};

/// A token bucket: each frame takes a token, tokens flow back at a steady rate.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    rate: Rate,
    tokens: f64,
    updated: Instant,
}

impl TokenBucket {
    /// A full bucket of `rate.burst` tokens.
    pub fn new(rate: Rate, now: Instant) -> Self {
        Self {
            rate,
            tokens: f64::from(rate.burst),
            updated: now,
        }
    }

    /// Takes a token if there is one; otherwise says how long until there is.
    pub fn take(&mut self, now: Instant) -> Result<(), Duration> {
        let per_second = f64::from(self.rate.per_second);
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        self.tokens = (self.tokens + elapsed * per_second).min(f64::from(self.rate.burst));
        self.updated = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            return Ok(());
        }
        if per_second <= 0.0 {
            return Err(Duration::MAX);
        }
        Err(Duration::from_secs_f64((1.0 - self.tokens) / per_second))
    }
}

/// The kinds of frame that are metered, each with its own bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metered {
    /// `msg`
    Msg,
    /// `typing`
    Typing,
    /// `join` and `leave`
    Membership,
    /// `fetch`
    Fetch,
    /// `here`
    Here,
}

/// What the meter decided about one frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Act on it.
    Pass,
    /// Refuse it; the client may send that kind again after this long.
    Wait(Duration),
    /// The client kept sending over its limit for too long: close it with 1008.
    Abuse,
}

/// Every rate limit of one connection.
#[derive(Debug, Clone)]
pub struct Meter {
    msg: TokenBucket,
    typing: TokenBucket,
    membership: TokenBucket,
    fetch: TokenBucket,
    here: TokenBucket,
    abuse_after: Duration,
    abuse_pause: Duration,
    /// When the current run of refusals began, and when its latest refusal was.
    refusing: Option<(Instant, Instant)>,
}

impl Meter {
    /// Full buckets with the rates of `limits`.
    pub fn new(limits: &FlowLimits, now: Instant) -> Self {
        Self {
            msg: TokenBucket::new(limits.msg, now),
            typing: TokenBucket::new(limits.typing, now),
            membership: TokenBucket::new(limits.membership, now),
            fetch: TokenBucket::new(limits.fetch, now),
            here: TokenBucket::new(limits.here, now),
            abuse_after: limits.abuse_after,
            abuse_pause: limits.abuse_pause,
            refusing: None,
        }
    }

    /// Decides about one frame of `kind` arriving at `now`.
    pub fn check(&mut self, kind: Metered, now: Instant) -> Verdict {
        let bucket = match kind {
            Metered::Msg => &mut self.msg,
            Metered::Typing => &mut self.typing,
            Metered::Membership => &mut self.membership,
            Metered::Fetch => &mut self.fetch,
            Metered::Here => &mut self.here,
        };
        let Err(wait) = bucket.take(now) else {
            return Verdict::Pass;
        };
        // A client that heeds `retry_after` is refused now and then; one that keeps going
        // is refused without pause, and that run is what counts as abuse.
        let started = match self.refusing {
            Some((started, last)) if now.saturating_duration_since(last) < self.abuse_pause => {
                started
            }
            _ => now,
        };
        self.refusing = Some((started, now));
        if now.saturating_duration_since(started) >= self.abuse_after {
            Verdict::Abuse
        } else {
            Verdict::Wait(wait)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn a_bucket_allows_its_burst_then_its_rate() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(Rate::new(10, 3), start);
        for _ in 0..3 {
            assert_eq!(bucket.take(start), Ok(()));
        }
        assert_eq!(bucket.take(start), Err(ms(100)));
        assert_eq!(bucket.take(start + ms(100)), Ok(()));
        // A long pause refills no more than the burst.
        let later = start + Duration::from_secs(60);
        for _ in 0..3 {
            assert_eq!(bucket.take(later), Ok(()));
        }
        assert!(bucket.take(later).is_err());
    }

    #[test]
    fn kinds_have_their_own_buckets() {
        let start = Instant::now();
        let limits = FlowLimits {
            msg: Rate::new(1, 1),
            ..FlowLimits::default()
        };
        let mut meter = Meter::new(&limits, start);
        assert_eq!(meter.check(Metered::Msg, start), Verdict::Pass);
        assert!(matches!(meter.check(Metered::Msg, start), Verdict::Wait(_)));
        assert_eq!(meter.check(Metered::Typing, start), Verdict::Pass);
    }

    #[test]
    fn only_refusals_without_pause_for_the_abuse_period_close() {
        let start = Instant::now();
        let limits = FlowLimits {
            typing: Rate::new(1, 1),
            abuse_after: Duration::from_secs(3),
            abuse_pause: Duration::from_secs(1),
            ..FlowLimits::default()
        };
        let mut meter = Meter::new(&limits, start);
        meter.check(Metered::Typing, start);
        // Refused every 900 ms: never a full pause, so after 3 s it is abuse.
        let mut verdicts = Vec::new();
        for i in 1..=5 {
            let now = start + ms(900 * i) - ms(1);
            meter.typing = TokenBucket::new(Rate::new(1, 0), now);
            verdicts.push(meter.check(Metered::Typing, now));
        }
        assert!(verdicts[..4].iter().all(|v| matches!(v, Verdict::Wait(_))));
        assert_eq!(verdicts[4], Verdict::Abuse);

        // A client that waits between refusals starts a new run each time.
        let mut patient = Meter::new(&limits, start);
        for i in 0..10 {
            let now = start + ms(1500 * i);
            patient.typing = TokenBucket::new(Rate::new(1, 0), now);
            assert!(matches!(
                patient.check(Metered::Typing, now),
                Verdict::Wait(_)
            ));
        }
    }
}
