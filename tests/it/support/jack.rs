//! A private JACK server for one test: `jackd -d dummy` (real-time-paced audio
//! with no sound card) under a unique server name, stopped on drop.
//!
//! - Each server gets its own name (`jackd -n NAME`); child processes reach it
//!   through `JACK_DEFAULT_SERVER=NAME` (see [`JackServer::command`]), so
//!   parallel test runs, or a developer's own jackd, never collide.
//! - A JACK client inside the test process can only pick its server through
//!   the process environment (the `jack` crate cannot pass libjack's
//!   server-name argument), so [`JackServer::open_client`] sets
//!   `JACK_DEFAULT_SERVER` process-wide while the client opens. To keep that
//!   sound, and because every test with a JACK server measures timing, a
//!   server's test runs alone (`alone.rs`) while the server lives.
//! - With no `jackd` installed, [`JackServer::start`] prints
//!   "SKIP: jackd not installed" and returns `None`, unless
//!   `LOAM_REQUIRE_JACK=1` (CI), where that is a failure. A `jackd` that is
//!   installed but will not start is always a failure.

use std::fs::File;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::alone::{alone, Alone};
use super::process::{terminate, GRACE};

/// The dummy backend's sample rate.
pub const RATE: u32 = 48_000;

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A running `jackd -d dummy`.
pub struct JackServer {
    pub name: String,
    pub period: u32,
    pub realtime: bool,
    child: Child,
    log: PathBuf,
    // Last field: released after the server has been stopped.
    _alone: Alone,
}

/// Whether CI asked for JACK tests to be mandatory.
pub fn jack_required() -> bool {
    std::env::var("LOAM_REQUIRE_JACK")
        .map(|v| v == "1")
        .unwrap_or(false)
}

fn installed(program: &str) -> bool {
    match Command::new(program)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
    {
        Ok(_) => true,
        Err(e) => e.kind() != std::io::ErrorKind::NotFound,
    }
}

impl JackServer {
    /// Starts `jackd -R -d dummy -r 48000 -p PERIOD` (or, when real-time
    /// scheduling is refused, `jackd -r ...`, which says "no real-time"
    /// explicitly: jackd2 is real-time by default) and waits until it
    /// answers (`jack_wait -w`).
    pub fn start(period: u32) -> Option<JackServer> {
        let alone = alone();
        for tool in ["jackd", "jack_wait"] {
            if !installed(tool) {
                if jack_required() {
                    panic!("LOAM_REQUIRE_JACK=1 but `{tool}` is not installed (Debian: apt-get install jackd2)");
                }
                eprintln!("SKIP: jackd not installed (`{tool}` not found)");
                return None;
            }
        }
        let name = format!(
            "loam_test_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        let log = std::env::temp_dir().join(format!("{name}.jackd.log"));
        let mut tried = String::new();
        for realtime in [true, false] {
            let out = File::create(&log).expect("cannot create the jackd log");
            let err = out.try_clone().expect("cannot clone the jackd log");
            let mut cmd = Command::new("jackd");
            cmd.args(["-n", &name, if realtime { "-R" } else { "-r" }])
                .args([
                    "-d",
                    "dummy",
                    "-r",
                    &RATE.to_string(),
                    "-p",
                    &period.to_string(),
                ])
                .stdin(Stdio::null())
                .stdout(out)
                .stderr(err);
            let mut child = cmd.spawn().expect("cannot start jackd");
            if wait_for_server(&name, &mut child) {
                return Some(JackServer {
                    name,
                    period,
                    realtime,
                    child,
                    log,
                    _alone: alone,
                });
            }
            terminate(&mut child, GRACE);
            tried += &format!(
                "\n--- {cmd:?}:\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        }
        panic!("jackd is installed but did not start:{tried}");
    }

    /// A command that talks to this server (`JACK_DEFAULT_SERVER` set).
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = Command::new(program);
        cmd.env("JACK_DEFAULT_SERVER", &self.name);
        cmd
    }

    /// Opens a client of this server inside the test process. Sets
    /// `JACK_DEFAULT_SERVER` for the whole process while it opens (libjack
    /// reads it then); safe here because this test runs alone.
    pub fn open_client(&self, client_name: &str) -> jack::Client {
        let before = std::env::var_os("JACK_DEFAULT_SERVER");
        std::env::set_var("JACK_DEFAULT_SERVER", &self.name);
        let opened = jack::Client::new(client_name, jack::ClientOptions::NO_START_SERVER);
        match before {
            Some(v) => std::env::set_var("JACK_DEFAULT_SERVER", v),
            None => std::env::remove_var("JACK_DEFAULT_SERVER"),
        }
        let (client, _status) = opened.unwrap_or_else(|e| {
            panic!(
                "cannot open JACK client {client_name} on {}: {e}\n{}",
                self.name,
                self.log()
            )
        });
        client
    }

    /// What jackd has printed so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Lines of the jackd log that mention an xrun (jackd reports a client
    /// that missed its deadline, and its own driver overruns, there).
    pub fn xrun_lines(&self) -> Vec<String> {
        self.log()
            .lines()
            .filter(|l| l.to_ascii_lowercase().contains("xrun"))
            .map(str::to_owned)
            .collect()
    }

    /// The jackd process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

/// `jack_wait -s NAME -w -t 10` (never `-c`: it answers 0 with no server),
/// giving up early if jackd exits.
fn wait_for_server(name: &str, child: &mut Child) -> bool {
    let deadline = Instant::now() + Duration::from_secs(12);
    let waited = Command::new("jack_wait")
        .args(["-s", name, "-w", "-t", "10"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    // jack_wait may see a server that is about to fail (for instance when
    // real-time scheduling is refused): make sure jackd is still alive.
    std::thread::sleep(Duration::from_millis(100));
    waited && Instant::now() < deadline && matches!(child.try_wait(), Ok(None))
}

impl Drop for JackServer {
    fn drop(&mut self) {
        terminate(&mut self.child, GRACE);
        if std::thread::panicking() {
            eprintln!("jackd log kept at {}", self.log.display());
        } else {
            let _ = std::fs::remove_file(&self.log);
        }
    }
}

/// Connects `from` to `to` with `client`, waiting (up to 15 s) for JACK to
/// take it: a client's ports are listed from the moment it registers them,
/// before it is active, and JACK refuses to connect them until it is. The
/// test waits for that state, never for a time. Panics with JACK's error
/// past the deadline.
pub fn connect_when_active(client: &jack::Client, from: &str, to: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        match client.connect_ports_by_name(from, to) {
            Ok(()) => return,
            Err(e) if std::time::Instant::now() >= deadline => {
                panic!("cannot connect {from} -> {to}: {e}")
            }
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(20)),
        }
    }
}
