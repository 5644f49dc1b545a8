//! Reconnect delays: exponential growth with full jitter.

/// Bounds of the reconnect delay. Attempt `n` (0-based) waits a uniformly random time in
/// `[0, min(max_ms, initial_ms * 2^n)]` ("full jitter"), so a crowd of clients that lost the
/// same server does not come back in lockstep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackoffConfig {
    /// Upper bound of the first delay, in milliseconds.
    pub initial_ms: u64,
    /// Cap of every delay, in milliseconds.
    pub max_ms: u64,
}

impl Default for BackoffConfig {
    /// 500 ms growing to at most 25 s.
    fn default() -> Self {
        Self {
            initial_ms: 500,
            max_ms: 25_000,
        }
    }
}

impl BackoffConfig {
    /// The ceiling of the delay before attempt `attempt` (0-based).
    pub fn ceiling(&self, attempt: u32) -> u64 {
        let factor = 1u64.checked_shl(attempt.min(32)).unwrap_or(u64::MAX);
        self.initial_ms.saturating_mul(factor).min(self.max_ms)
    }

    /// A delay for attempt `attempt`, drawn with `random` (a uniform value in `[0, 1)`).
    pub fn delay(&self, attempt: u32, random: f64) -> u64 {
        let ceiling = self.ceiling(attempt);
        let r = if random.is_finite() {
            random.clamp(0.0, 1.0)
        } else {
            0.0
        };
        ((ceiling as f64) * r) as u64
    }
}

/// A small deterministic generator for jitter. The session takes its seed from outside,
/// so tests replay exactly and the browser seeds it from `crypto.getRandomValues`.
#[derive(Debug, Clone)]
pub struct Jitter(u64);

impl Jitter {
    /// A generator started from `seed` (any value; zero is remapped).
    pub fn new(seed: u64) -> Self {
        Self(seed | 1)
    }

    /// The next value in `[0, 1)`.
    pub fn next_unit(&mut self) -> f64 {
        // xorshift64*: plenty for spreading reconnects, and free of dependencies.
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        let out = x.wrapping_mul(0x2545_F491_4F6C_DD1D);
        (out >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceiling_doubles_until_the_cap() {
        let b = BackoffConfig::default();
        assert_eq!(b.ceiling(0), 500);
        assert_eq!(b.ceiling(1), 1000);
        assert_eq!(b.ceiling(5), 16_000);
        assert_eq!(b.ceiling(6), 25_000);
        assert_eq!(b.ceiling(u32::MAX), 25_000);
    }

    #[test]
    fn delays_stay_within_zero_and_the_ceiling() {
        let b = BackoffConfig::default();
        let mut j = Jitter::new(7);
        for attempt in 0..40 {
            let d = b.delay(attempt, j.next_unit());
            assert!(d <= b.ceiling(attempt));
        }
        assert_eq!(b.delay(3, f64::NAN), 0);
        assert_eq!(b.delay(0, 2.0), 500);
    }

    #[test]
    fn jitter_is_spread_over_the_unit_interval() {
        let mut j = Jitter::new(0);
        let values: Vec<f64> = (0..1000).map(|_| j.next_unit()).collect();
        assert!(values.iter().all(|v| (0.0..1.0).contains(v)));
        let low = values.iter().filter(|v| **v < 0.5).count();
        assert!((400..600).contains(&low), "{low} of 1000 below one half");
    }
}
