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

/// Date and time in Europe/Rome ("30/11/2026 alle 10:29"), as people read it in a message.
/// Written here rather than with a time-zone database crate: Italy follows the EU rule
/// (UTC+1, UTC+2 from 01:00 UTC on the last Sunday of March to 01:00 UTC on the last
/// Sunday of October, Directive 2000/84/EC), and a tz database would be loaded by every
/// Lambda for one line of text.
pub fn rome_datetime(epoch: i64) -> String {
    let utc = OffsetDateTime::from_unix_timestamp(epoch).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let last_sunday_01utc = |month: time::Month| {
        let mut d = time::Date::from_calendar_date(utc.year(), month, month.length(utc.year()))
            .expect("valid date");
        while d.weekday() != time::Weekday::Sunday {
            d = d.previous_day().expect("in range");
        }
        d.with_hms(1, 0, 0).expect("valid time").assume_utc()
    };
    let summer = utc >= last_sunday_01utc(time::Month::March)
        && utc < last_sunday_01utc(time::Month::October);
    let local = utc.to_offset(
        time::UtcOffset::from_hms(if summer { 2 } else { 1 }, 0, 0).expect("valid offset"),
    );
    format!(
        "{:02}/{:02}/{} alle {:02}:{:02}",
        local.day(),
        u8::from(local.month()),
        local.year(),
        local.hour(),
        local.minute()
    )
}

#[cfg(test)]
mod rome_tests {
    use super::rome_datetime;

    #[test]
    fn winter_and_summer_time() {
        assert_eq!(rome_datetime(1_796_030_940), "30/11/2026 alle 10:29"); // 09:29 UTC
                                                                           // 09:30 UTC
        assert_eq!(rome_datetime(1_782_984_600), "02/07/2026 alle 11:30");
        // 2026-03-29 is the last Sunday of March: 00:59 UTC is still winter, 01:00 summer.
        assert_eq!(rome_datetime(1_774_745_940), "29/03/2026 alle 01:59");
        assert_eq!(rome_datetime(1_774_746_000), "29/03/2026 alle 03:00");
    }
}
