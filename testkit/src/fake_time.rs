//! `Backend:MockTime`: the clock every driver of a TestKit connection is
//! given. It is the system clock until TestKit sends `FakeTimeInstall`;
//! from then on time stands still and moves only by `FakeTimeTick`, until
//! `FakeTimeUninstall`. Drivers judge connection lifetimes and liveness
//! checks by it (`neo4j::Clock`); network timeouts keep real time.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The backend's clock: `None` while real time runs.
#[derive(Debug, Default)]
pub(crate) struct FakeClock {
    frozen: Mutex<Option<Instant>>,
}

impl FakeClock {
    fn frozen(&self) -> std::sync::MutexGuard<'_, Option<Instant>> {
        self.frozen.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Freezes time at the current instant.
    pub(crate) fn install(&self) {
        *self.frozen() = Some(Instant::now());
    }

    /// Moves frozen time forward (real time, if none is installed, is not
    /// affected).
    pub(crate) fn tick(&self, by: Duration) {
        if let Some(t) = self.frozen().as_mut() {
            *t += by;
        }
    }

    /// Back to real time.
    pub(crate) fn uninstall(&self) {
        *self.frozen() = None;
    }
}

impl neo4j::Clock for FakeClock {
    fn now(&self) -> Instant {
        self.frozen().unwrap_or_else(Instant::now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use neo4j::Clock;

    #[test]
    fn frozen_time_moves_only_by_ticks() {
        let c = FakeClock::default();
        c.install();
        let t0 = c.now();
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(c.now(), t0);
        c.tick(Duration::from_millis(1999));
        assert_eq!(c.now() - t0, Duration::from_millis(1999));
        c.uninstall();
        let real = c.now();
        std::thread::sleep(Duration::from_millis(2));
        assert!(c.now() > real);
    }
}
