//! Caps on WebSocket connections, in total and per client address, checked before the
//! upgrade so a refused client costs no more than one HTTP answer.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Arc, Mutex, PoisonError};

/// Counts the WebSocket connections being served and admits new ones within the caps.
#[derive(Debug)]
pub struct ConnectionLimits {
    max_total: usize,
    max_per_ip: usize,
    counts: Mutex<Counts>,
}

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    per_ip: HashMap<IpAddr, usize>,
}

/// Why a connection was not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The server serves as many connections as it may.
    Full,
    /// The client's address has as many connections as it may.
    TooManyFromAddress,
}

/// A connection counted against the caps until dropped.
#[derive(Debug)]
pub struct Admitted {
    limits: Arc<ConnectionLimits>,
    ip: Option<IpAddr>,
}

impl ConnectionLimits {
    /// Caps of `max_total` connections, and `max_per_ip` from one address.
    pub fn new(max_total: usize, max_per_ip: usize) -> Arc<Self> {
        Arc::new(Self {
            max_total,
            max_per_ip,
            counts: Mutex::default(),
        })
    }

    /// Counts a connection from `ip` (unknown when the server was not told the peer's
    /// address), or says which cap it would exceed.
    pub fn admit(self: &Arc<Self>, ip: Option<IpAddr>) -> Result<Admitted, Refused> {
        let ip = ip.map(address_key);
        let mut counts = self.lock();
        if counts.total >= self.max_total {
            return Err(Refused::Full);
        }
        if let Some(ip) = ip {
            let from_ip = counts.per_ip.entry(ip).or_default();
            if *from_ip >= self.max_per_ip {
                return Err(Refused::TooManyFromAddress);
            }
            *from_ip += 1;
        }
        counts.total += 1;
        Ok(Admitted {
            limits: Arc::clone(self),
            ip,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Counts> {
        // The counts stay consistent even if a holder panicked: every change is one step.
        self.counts.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        let mut counts = self.limits.lock();
        counts.total = counts.total.saturating_sub(1);
        if let Some(ip) = self.ip {
            if let Some(n) = counts.per_ip.get_mut(&ip) {
                *n -= 1;
                if *n == 0 {
                    counts.per_ip.remove(&ip);
                }
            }
        }
    }
}

/// The address a cap counts: an IPv4 address (also when mapped into IPv6), or the /64
/// network of an IPv6 address, since one IPv6 client usually holds a whole /64.
fn address_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let network = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(Ipv6Addr::from(network))
        }
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> Option<IpAddr> {
        Some(text.parse().unwrap())
    }

    #[test]
    fn each_address_gets_its_share_until_the_total_is_reached() {
        let limits = ConnectionLimits::new(3, 2);
        let a1 = limits.admit(ip("10.0.0.1")).unwrap();
        let _a2 = limits.admit(ip("10.0.0.1")).unwrap();
        assert_eq!(
            limits.admit(ip("10.0.0.1")).unwrap_err(),
            Refused::TooManyFromAddress
        );
        let _b = limits.admit(ip("10.0.0.2")).unwrap();
        assert_eq!(limits.admit(ip("10.0.0.3")).unwrap_err(), Refused::Full);
        drop(a1);
        let _a3 = limits.admit(ip("10.0.0.1")).unwrap();
    }

    #[test]
    fn one_ipv6_network_counts_as_one_address_and_mapped_ipv4_as_ipv4() {
        let limits = ConnectionLimits::new(10, 1);
        let _a = limits.admit(ip("2001:db8::1")).unwrap();
        assert!(limits.admit(ip("2001:db8::ffff:1")).is_err());
        assert!(limits.admit(ip("2001:db8:0:1::1")).is_ok());
        let _v4 = limits.admit(ip("192.0.2.1")).unwrap();
        assert!(limits.admit(ip("::ffff:192.0.2.1")).is_err());
    }

    #[test]
    fn unknown_addresses_count_only_toward_the_total() {
        let limits = ConnectionLimits::new(2, 1);
        let _a = limits.admit(None).unwrap();
        let _b = limits.admit(None).unwrap();
        assert_eq!(limits.admit(None).unwrap_err(), Refused::Full);
    }
}
