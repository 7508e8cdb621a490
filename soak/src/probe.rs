//! What the soak measures about its own process: tokio's count of live
//! tasks, open file descriptors and sockets (`/proc/self/fd`), and the
//! resident set size (`VmRSS` in `/proc/self/status`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Live tasks, descriptors and sockets at one moment.
#[derive(Clone, Copy, Debug)]
pub struct Counts {
    /// `RuntimeMetrics::num_alive_tasks`.
    pub tasks: usize,
    /// Entries of `/proc/self/fd`.
    pub fds: usize,
    /// Those that are sockets.
    pub sockets: usize,
}

impl Counts {
    /// The counts now.
    pub fn now(handle: &tokio::runtime::Handle) -> Counts {
        let (fds, sockets) = fds();
        Counts {
            tasks: handle.metrics().num_alive_tasks(),
            fds,
            sockets,
        }
    }

    /// Waits until no count is above `base`'s, at most `limit` (closing
    /// connections and ending tasks takes a moment); the last counts.
    pub async fn settle(handle: &tokio::runtime::Handle, base: &Counts, limit: Duration) -> Counts {
        let t0 = Instant::now();
        loop {
            let c = Counts::now(handle);
            let settled = c.tasks <= base.tasks && c.fds <= base.fds && c.sockets <= base.sockets;
            if settled || t0.elapsed() >= limit {
                return c;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// (descriptors, sockets) open in this process.
fn fds() -> (usize, usize) {
    let Ok(dir) = std::fs::read_dir("/proc/self/fd") else {
        return (0, 0);
    };
    // The directory being read is a descriptor too: counted at every
    // reading alike.
    let mut all = 0;
    let mut sockets = 0;
    for e in dir.flatten() {
        all += 1;
        if std::fs::read_link(e.path()).is_ok_and(|t| t.to_string_lossy().starts_with("socket:")) {
            sockets += 1;
        }
    }
    (all, sockets)
}

/// `VmRSS` in KiB (0 if it cannot be read).
pub fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// A thread sampling the RSS every so often.
pub struct RssSampler {
    stop: Arc<AtomicBool>,
    samples: Arc<Mutex<Vec<(f64, u64)>>>,
    thread: JoinHandle<()>,
}

impl RssSampler {
    /// Starts sampling every `every`.
    pub fn start(every: Duration) -> RssSampler {
        let stop = Arc::new(AtomicBool::new(false));
        let samples = Arc::new(Mutex::new(Vec::new()));
        let t0 = Instant::now();
        let thread = {
            let (stop, samples) = (stop.clone(), samples.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    let t = (t0.elapsed().as_secs_f64() * 10.0).round() / 10.0;
                    samples.lock().expect("samples").push((t, rss_kb()));
                    let next = Instant::now() + every;
                    while Instant::now() < next && !stop.load(Ordering::SeqCst) {
                        std::thread::sleep(Duration::from_millis(50));
                    }
                }
            })
        };
        RssSampler {
            stop,
            samples,
            thread,
        }
    }

    /// Stops the thread; the samples as (seconds since start, KiB).
    pub fn stop(self) -> Vec<(f64, u64)> {
        self.stop.store(true, Ordering::SeqCst);
        let _ = self.thread.join();
        let samples = self.samples.lock().expect("samples").clone();
        samples
    }
}
