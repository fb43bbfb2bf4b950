//! Child processes with a deadline: output is read on threads (so a chatty
//! child never blocks on a full pipe), and a child that overruns, or that is
//! still running when its handle is dropped (a failed assertion), gets SIGTERM
//! by its process id, then SIGKILL after a grace period.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::alone::{shared, Shared};

/// How long a child has to exit after SIGTERM before it gets SIGKILL.
pub const GRACE: Duration = Duration::from_secs(5);

/// How long [`Running::wait_line`] waits for a line (loading libtorch can
/// take a while on a busy machine), and [`Running::finish`] for the exit.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// A running child whose stdout and stderr are being collected.
pub struct Running {
    child: Option<Child>,
    stdout: Option<JoinHandle<String>>,
    stderr: Option<JoinHandle<String>>,
    /// What it printed to stderr so far, line by line.
    stderr_so_far: Arc<Mutex<String>>,
    /// How much of `stderr_so_far` [`Running::wait_line`] has gone past.
    lines_seen: usize,
    /// Its turn beside other tests (see `alone.rs`).
    _turn: Shared,
}

/// What a finished child left behind.
#[derive(Debug)]
pub struct Finished {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
    /// It ran past its deadline and was stopped with SIGTERM (or SIGKILL).
    pub timed_out: bool,
}

/// Starts `cmd` with piped stdout and stderr, in a shared turn (it waits
/// while a test runs alone).
pub fn spawn(cmd: &mut Command) -> Running {
    let turn = shared();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
    let stderr_so_far = Arc::new(Mutex::new(String::new()));
    let stdout = child.stdout.take().map(|r| read_all(r, None));
    let stderr = child
        .stderr
        .take()
        .map(|r| read_all(r, Some(stderr_so_far.clone())));
    Running {
        child: Some(child),
        stdout,
        stderr,
        stderr_so_far,
        lines_seen: 0,
        _turn: turn,
    }
}

/// Reads `r` to its end; with `so_far`, also shares each line as it comes.
fn read_all<R: Read + Send + 'static>(
    r: R,
    so_far: Option<Arc<Mutex<String>>>,
) -> JoinHandle<String> {
    std::thread::spawn(move || {
        let mut reader = BufReader::new(r);
        let mut bytes = Vec::new();
        loop {
            let start = bytes.len();
            match reader.read_until(b'\n', &mut bytes) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    if let Some(s) = &so_far {
                        s.lock()
                            .unwrap()
                            .push_str(&String::from_utf8_lossy(&bytes[start..]));
                    }
                }
            }
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// Sends SIGTERM to one process id.
pub fn sigterm(pid: u32) {
    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// SIGTERM, wait up to `grace`, then SIGKILL. Returns the exit status.
pub fn terminate(child: &mut Child, grace: Duration) -> Option<ExitStatus> {
    if let Ok(Some(s)) = child.try_wait() {
        return Some(s);
    }
    sigterm(child.id());
    if let Some(s) = wait_until(child, Instant::now() + grace) {
        return Some(s);
    }
    let _ = child.kill();
    child.wait().ok()
}

/// Polls `child` until it exits or `deadline` passes.
pub fn wait_until(child: &mut Child, deadline: Instant) -> Option<ExitStatus> {
    loop {
        match child.try_wait() {
            Ok(Some(s)) => return Some(s),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            _ => return None,
        }
    }
}

impl Running {
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("child already reaped").id()
    }

    /// What the child printed to stderr so far.
    pub fn stderr_so_far(&self) -> String {
        self.stderr_so_far.lock().unwrap().clone()
    }

    /// Waits until what the child printed to stderr satisfies `done`, or
    /// the child exits, or `timeout` passes; true when `done` held.
    pub fn wait_stderr(&mut self, timeout: Duration, mut done: impl FnMut(&str) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if done(&self.stderr_so_far()) {
                return true;
            }
            if self.has_exited() || Instant::now() >= deadline {
                // Lines written just before it exited may still be on their way.
                std::thread::sleep(Duration::from_millis(50));
                return done(&self.stderr_so_far());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits (up to [`PATIENCE`]) for the next line on stderr that contains
    /// `part` and returns it; lines before it are passed over (the output
    /// still has them). Fails with all it printed if none comes.
    pub fn wait_line(&mut self, part: &str) -> String {
        let mut found = None;
        let seen = self.lines_seen;
        self.wait_stderr(PATIENCE, |text| {
            let mut at = seen;
            for line in text[seen..].split_inclusive('\n') {
                at += line.len();
                if line.ends_with('\n') && line.contains(part) {
                    found = Some((at, line.trim_end().to_string()));
                    return true;
                }
            }
            false
        });
        let Some((at, line)) = found else {
            panic!(
                "the child never printed a line with '{part}':\n{}",
                self.stderr_so_far()
            );
        };
        self.lines_seen = at;
        line
    }

    /// Stops the child with SIGTERM (SIGKILL after [`GRACE`]) and collects
    /// what it left; `timed_out` says it needed SIGKILL.
    pub fn stop(self) -> Finished {
        self.stop_within(GRACE)
    }

    /// Stops the child with SIGTERM (SIGKILL after `grace`) and collects
    /// what it left; `timed_out` says it needed SIGKILL.
    pub fn stop_within(self, grace: Duration) -> Finished {
        sigterm(self.pid());
        let mut f = self.wait_timeout(grace);
        f.timed_out = f.timed_out || f.status.code().is_none();
        f
    }

    /// Waits for the child to exit by itself (up to [`PATIENCE`], then it is
    /// stopped) and collects what it left.
    pub fn finish(self) -> Finished {
        self.wait_timeout(PATIENCE)
    }

    /// Whether the child has exited already.
    pub fn has_exited(&mut self) -> bool {
        matches!(
            self.child.as_mut().map(|c| c.try_wait()),
            Some(Ok(Some(_))) | None
        )
    }

    /// Waits up to `timeout`; past it the child is stopped (SIGTERM, then SIGKILL).
    pub fn wait_timeout(mut self, timeout: Duration) -> Finished {
        let mut child = self.child.take().expect("child already reaped");
        let (status, timed_out) = match wait_until(&mut child, Instant::now() + timeout) {
            Some(s) => (s, false),
            None => (
                terminate(&mut child, GRACE).expect("cannot reap child"),
                true,
            ),
        };
        let stdout = self
            .stdout
            .take()
            .map(|h| h.join().unwrap_or_default())
            .unwrap_or_default();
        let stderr = self
            .stderr
            .take()
            .map(|h| h.join().unwrap_or_default())
            .unwrap_or_default();
        Finished {
            status,
            stdout,
            stderr,
            timed_out,
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            terminate(&mut c, GRACE);
        }
    }
}
