//! How many `/fail` answers one client gets. A client that sends nothing but
//! mistakes (a fuzzer, a misconfigured patch, a forged source address)
//! would otherwise have loam send as many answers as it receives. Each client
//! (address and port) has a bucket of [`FAIL_BURST`] answers refilled at
//! [`FAIL_RATE`] a second; a `/fail` over the limit is not sent but counted
//! (`fails_unsent`). The mistake itself is still counted as bad.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Instant;

/// `/fail` answers one client may receive per second, sustained.
pub const FAIL_RATE: f64 = 100.0;

/// `/fail` answers one client may receive at once, after a quiet while
/// (enough for a test suite or a patch sending every mistake in a row).
pub const FAIL_BURST: f64 = 200.0;

/// Clients tracked at once. Past this, clients whose bucket has refilled
/// are forgotten; if none has, newcomers share one bucket.
pub const MAX_CLIENTS: usize = 1024;

#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn full(now: Instant) -> Bucket {
        Bucket {
            tokens: FAIL_BURST,
            at: now,
        }
    }

    fn refill(&mut self, now: Instant) {
        let dt = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + dt * FAIL_RATE).min(FAIL_BURST);
        self.at = now;
    }

    fn take(&mut self, now: Instant) -> bool {
        self.refill(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// The per-client `/fail` budget, shared by the handler and the replier.
#[derive(Debug)]
pub struct FailLimit {
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    clients: HashMap<SocketAddr, Bucket>,
    /// Shared by clients that arrive while the table is full of busy ones.
    overflow: Bucket,
}

impl Default for FailLimit {
    fn default() -> Self {
        FailLimit {
            state: Mutex::new(State {
                clients: HashMap::new(),
                overflow: Bucket::full(Instant::now()),
            }),
        }
    }
}

impl FailLimit {
    /// Whether a `/fail` may go to `to` now (and spends one if so).
    pub fn allow(&self, to: SocketAddr, now: Instant) -> bool {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(b) = s.clients.get_mut(&to) {
            return b.take(now);
        }
        if s.clients.len() >= MAX_CLIENTS {
            s.clients.retain(|_, b| {
                b.refill(now);
                b.tokens < FAIL_BURST
            });
        }
        if s.clients.len() >= MAX_CLIENTS {
            return s.overflow.take(now);
        }
        let mut b = Bucket::full(now);
        let ok = b.take(now);
        s.clients.insert(to, b);
        ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_burst_then_the_rate_per_client() {
        let limit = FailLimit::default();
        let t0 = Instant::now();
        let a: SocketAddr = "127.0.0.1:1000".parse().unwrap();
        let b: SocketAddr = "127.0.0.1:1001".parse().unwrap();
        let sent = (0..1000).filter(|_| limit.allow(a, t0)).count();
        assert_eq!(sent, FAIL_BURST as usize);
        // Another client is not held back by the first.
        assert!(limit.allow(b, t0));
        // One second later: the rate's worth again.
        let t1 = t0 + Duration::from_secs(1);
        let sent = (0..1000).filter(|_| limit.allow(a, t1)).count();
        assert_eq!(sent, FAIL_RATE as usize);
    }

    #[test]
    fn many_clients_stay_bounded() {
        let limit = FailLimit::default();
        let t0 = Instant::now();
        for port in 0..(MAX_CLIENTS as u16 + 50) {
            let to = SocketAddr::from(([127, 0, 0, 1], 2000 + port));
            limit.allow(to, t0);
        }
        let n = limit.state.lock().unwrap().clients.len();
        assert!(n <= MAX_CLIENTS, "{n}");
        // Later, idle clients make room again.
        let t1 = t0 + Duration::from_secs(10);
        assert!(limit.allow("127.0.0.1:9".parse().unwrap(), t1));
        assert!(limit.state.lock().unwrap().clients.len() < MAX_CLIENTS);
    }
}
