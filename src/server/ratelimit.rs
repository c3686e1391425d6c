//! Per-client-IP rate limiting of execution requests (governor's keyed GCRA limiter): the
//! older services' default of 10 per minute with a burst of 2, configurable, or off.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::config::RateLimit;

pub struct ClientLimiter {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
    clock: DefaultClock,
}

impl ClientLimiter {
    pub fn new(rate: RateLimit) -> ClientLimiter {
        let per_minute = NonZeroU32::new(rate.per_minute.max(1)).expect("at least 1");
        let burst = NonZeroU32::new(rate.burst.max(1)).expect("at least 1");
        let quota = Quota::per_minute(per_minute).allow_burst(burst);
        ClientLimiter {
            limiter: RateLimiter::keyed(quota),
            clock: DefaultClock::default(),
        }
    }

    /// `Ok` when `client` may run one more execution now, otherwise how long to wait.
    pub fn check(&self, client: IpAddr) -> Result<(), Duration> {
        self.limiter
            .check_key(&client)
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }

    /// Forgets clients whose state is back to full, so memory stays bounded by the number
    /// of recently active clients.
    pub fn forget_idle(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_gets_its_burst_then_waits_while_others_are_unaffected() {
        let l = ClientLimiter::new(RateLimit {
            per_minute: 10,
            burst: 2,
        });
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        assert!(l.check(a).is_ok());
        assert!(l.check(a).is_ok());
        let wait = l.check(a).unwrap_err();
        // 10 per minute: one more every 6 seconds.
        assert!(
            wait > Duration::from_secs(4) && wait <= Duration::from_secs(6),
            "{wait:?}"
        );
        assert!(l.check(b).is_ok());
        l.forget_idle();
    }
}
