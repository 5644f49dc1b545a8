//! Points in time as they cross the wire: milliseconds since the Unix epoch, limited to what
//! every receiver can turn into a date.

use crate::repair::replacement_time;
use serde::{de, Deserialize, Deserializer, Serialize};
use std::fmt;

/// A time in milliseconds since the Unix epoch, from 0 to [`Timestamp::MAX`].
///
/// The upper bound is the last instant JavaScript's `Date` can hold (8.64 × 10¹⁵ ms, the
/// year 275760): a value past it makes every date API of a browser throw. Only the checked
/// constructors make one, and deserializing refuses any other JSON value, so code that holds
/// a `Timestamp` can hand it to any date API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
#[serde(transparent)]
pub struct Timestamp(u64);

impl Timestamp {
    /// The Unix epoch.
    pub const EPOCH: Timestamp = Timestamp(0);
    /// The latest time a JavaScript `Date` can represent: 8,640,000,000,000,000 ms.
    pub const MAX: Timestamp = Timestamp(8_640_000_000_000_000);

    /// `ms` milliseconds since the epoch, or `None` past [`Timestamp::MAX`].
    pub const fn from_millis(ms: u64) -> Option<Timestamp> {
        if ms <= Self::MAX.0 {
            Some(Timestamp(ms))
        } else {
            None
        }
    }

    /// `ms` milliseconds since the epoch, held at [`Timestamp::MAX`] when later. For local
    /// clocks, which never come near the limit.
    pub const fn saturating_from_millis(ms: u64) -> Timestamp {
        if ms <= Self::MAX.0 {
            Timestamp(ms)
        } else {
            Self::MAX
        }
    }

    /// Milliseconds since the epoch.
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// Milliseconds since the epoch as a JavaScript number; exact, since every value is below
    /// 2⁵³.
    pub fn as_f64(self) -> f64 {
        self.0 as f64
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ms", self.0)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_u64(TimestampVisitor)
    }
}

/// Reads a `u64` as `u64` itself does, with the same errors, and then checks the range. A
/// number that is no `Timestamp` (negative, fractional, or past [`Timestamp::MAX`]) is an
/// error, except in a reader's repair pass (`crate::repair`).
struct TimestampVisitor;

impl de::Visitor<'_> for TimestampVisitor {
    type Value = Timestamp;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("u64")
    }

    fn visit_u64<E: de::Error>(self, ms: u64) -> Result<Timestamp, E> {
        Timestamp::from_millis(ms)
            .or_else(replacement_time)
            .ok_or_else(|| {
                E::custom(format_args!(
                    "time {ms} is past the latest representable {}",
                    Timestamp::MAX.0
                ))
            })
    }

    fn visit_i64<E: de::Error>(self, ms: i64) -> Result<Timestamp, E> {
        match u64::try_from(ms) {
            Ok(ms) => self.visit_u64(ms),
            Err(_) => replacement_time()
                .ok_or_else(|| E::invalid_value(de::Unexpected::Signed(ms), &self)),
        }
    }

    fn visit_f64<E: de::Error>(self, ms: f64) -> Result<Timestamp, E> {
        replacement_time().ok_or_else(|| E::invalid_type(de::Unexpected::Float(ms), &self))
    }
}
