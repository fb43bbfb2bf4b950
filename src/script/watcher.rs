//! Notices when the performer saves: the script and every `.rhai` file in
//! its folder (so modules it imports count too). Polls modification times,
//! which works the same with every editor (in-place writes, rename-over
//! saves, network folders).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

/// Watches a script and its sibling `.rhai` files.
pub struct ScriptWatcher {
    dir: PathBuf,
    seen: BTreeMap<PathBuf, (SystemTime, u64)>,
    last_poll: Instant,
    interval: Duration,
}

impl ScriptWatcher {
    /// Watches `script` and the `.rhai` files beside it, remembering their modification times now.
    pub fn new(script: &Path) -> ScriptWatcher {
        let dir = script
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let mut w = ScriptWatcher {
            dir,
            seen: BTreeMap::new(),
            last_poll: Instant::now(),
            interval: Duration::from_millis(20),
        };
        w.seen = w.scan();
        w
    }

    fn scan(&self) -> BTreeMap<PathBuf, (SystemTime, u64)> {
        let mut out = BTreeMap::new();
        if let Ok(entries) = std::fs::read_dir(&self.dir) {
            for e in entries.flatten() {
                let p = e.path();
                if p.extension().is_some_and(|x| x == "rhai") {
                    if let Ok(m) = e.metadata() {
                        let t = m.modified().unwrap_or(SystemTime::UNIX_EPOCH);
                        out.insert(p, (t, m.len()));
                    }
                }
            }
        }
        out
    }

    /// True when a watched file changed since the last call (checked at most
    /// every 20 ms).
    pub fn changed(&mut self) -> bool {
        if self.last_poll.elapsed() < self.interval {
            return false;
        }
        self.last_poll = Instant::now();
        let now = self.scan();
        if now != self.seen {
            self.seen = now;
            true
        } else {
            false
        }
    }
}
