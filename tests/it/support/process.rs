//! Child processes with a deadline: output is read on threads (so a chatty
//! child never blocks on a full pipe), and a child that overruns, or that is
//! still running when its handle is dropped (a failed assertion), gets SIGTERM
//! by its process id, then SIGKILL after a grace period.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long a child has to exit after SIGTERM before it gets SIGKILL.
pub const GRACE: Duration = Duration::from_secs(5);

/// A running child whose stdout and stderr are being collected.
pub struct Running {
    child: Option<Child>,
    stdout: Option<JoinHandle<String>>,
    stderr: Option<JoinHandle<String>>,
    /// What it printed to stderr so far, line by line.
    stderr_so_far: Arc<Mutex<String>>,
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

/// Starts `cmd` with piped stdout and stderr.
pub fn spawn(cmd: &mut Command) -> Running {
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
    pub fn wait_stderr(&mut self, timeout: Duration, done: impl Fn(&str) -> bool) -> bool {
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

    /// Stops the child with SIGTERM (SIGKILL after [`GRACE`]) and collects
    /// what it left; `timed_out` says it needed SIGKILL.
    pub fn stop(self) -> Finished {
        sigterm(self.pid());
        let mut f = self.wait_timeout(GRACE);
        f.timed_out = f.timed_out || f.status.code().is_none();
        f
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
