//! Time as a dependency: handlers ask the clock, so tests (and the local gateway's
//! `/_dev/clock`) can move time forward instead of sleeping.

use std::sync::atomic::{AtomicI64, Ordering};
use time::OffsetDateTime;

pub trait Clock: Send + Sync {
    fn now(&self) -> OffsetDateTime;

    /// Seconds since the Unix epoch, the unit of DynamoDB TTL attributes.
    fn epoch(&self) -> i64 {
        self.now().unix_timestamp()
    }
}

/// The real clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// The real clock plus an adjustable offset: used by unit tests and by the local
/// gateway only (never in Lambda), so end-to-end tests can expire codes and sessions.
#[derive(Default)]
pub struct OffsetClock {
    offset_secs: AtomicI64,
}

impl OffsetClock {
    pub fn advance(&self, secs: i64) {
        self.offset_secs.fetch_add(secs, Ordering::SeqCst);
    }
    pub fn offset(&self) -> i64 {
        self.offset_secs.load(Ordering::SeqCst)
    }
}

impl Clock for OffsetClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc() + time::Duration::seconds(self.offset())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_clock_moves_forward() {
        let c = OffsetClock::default();
        let before = c.epoch();
        c.advance(301);
        assert!(c.epoch() - before >= 301);
    }
}
