//! `loam eval`: sends code (a file, standard input, or `-e CODE`) to a
//! running `loam serve` as OSC `/eval`, and waits for `/done` or `/fail`, so
//! an editor can evaluate a selection. A script error is printed as
//! `file:line:col: message` and exits with status 3.

use std::fmt;
use std::io::Read;
use std::net::{SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use rosc::{OscMessage, OscPacket, OscType};

use loam::data::text::without_bom;
use loam::osc::DEFAULT_ADDRESS;

#[derive(clap::Args, Debug)]
pub struct EvalArgs {
    /// A file holding the code; "-" or nothing reads standard input.
    pub file: Option<PathBuf>,
    /// The code itself.
    #[arg(short = 'e', long = "code", conflicts_with = "file")]
    pub code: Option<String>,
    /// The server's OSC address.
    #[arg(long = "osc", value_name = "HOST:PORT", default_value = DEFAULT_ADDRESS)]
    pub osc: String,
    /// Seconds to wait for the answer.
    #[arg(long, default_value_t = 5.0)]
    pub timeout: f64,
}

/// Why `loam eval` could not read its code or reach the server.
#[derive(Debug)]
enum EvalError {
    /// The code's file could not be read.
    File {
        path: PathBuf,
        error: std::io::Error,
    },
    /// Standard input could not be read.
    Stdin(std::io::Error),
    /// No UDP socket could be opened.
    Socket(std::io::Error),
    /// The socket could not be pointed at the server.
    Connect {
        server: SocketAddr,
        error: std::io::Error,
    },
    /// The socket's wait could not be set.
    Wait(std::io::Error),
    /// Nothing answered in time.
    NoServer(SocketAddr),
}

impl fmt::Display for EvalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EvalError::File { path, error } => write!(f, "{}: {error}", path.display()),
            EvalError::Stdin(e) => write!(f, "reading standard input: {e}"),
            EvalError::Socket(e) => write!(f, "cannot open a UDP socket: {e}"),
            EvalError::Connect { server, error } => write!(f, "{server}: {error}"),
            EvalError::Wait(e) => write!(f, "{e}"),
            EvalError::NoServer(server) => write!(
                f,
                "no answer from {server}: is `loam serve` running (with --osc {server})?"
            ),
        }
    }
}

/// What the server said to the code.
enum Verdict {
    /// `/done /eval`.
    Done,
    /// `/fail /eval REASON`: the script error, as the server wrote it.
    Failed(String),
}

const EXIT_ARGS: u8 = 2;
const EXIT_SCRIPT: u8 = 3;
const EXIT_FILE: u8 = 5;
const EXIT_NO_SERVER: u8 = 6;

/// Runs `loam eval`.
pub fn run(args: EvalArgs) -> ExitCode {
    let (code, origin) = match read_code(&args) {
        Ok(c) => c,
        Err(e) => {
            loam::say!("loam: {e}");
            return ExitCode::from(EXIT_FILE);
        }
    };
    let server = match super::osc::resolve(&args.osc) {
        Ok(a) => a,
        Err(e) => {
            loam::say!("loam: {e}");
            return ExitCode::from(EXIT_ARGS);
        }
    };
    let packet = OscPacket::Message(OscMessage {
        addr: "/eval".into(),
        args: vec![OscType::String(code), OscType::String(origin)],
    });
    let bytes = match rosc::encoder::encode(&packet) {
        Ok(b) if b.len() <= 65_000 => b,
        _ => {
            loam::say!(
                "loam: the code is too long for one OSC packet (64 KB): evaluate a smaller part"
            );
            return ExitCode::from(EXIT_ARGS);
        }
    };
    match request(
        server,
        &bytes,
        Duration::from_secs_f64(args.timeout.max(0.01)),
    ) {
        Ok(Verdict::Done) => ExitCode::SUCCESS,
        Ok(Verdict::Failed(message)) => {
            loam::say!("{message}");
            ExitCode::from(EXIT_SCRIPT)
        }
        Err(e) => {
            loam::say!("loam: {e}");
            ExitCode::from(EXIT_NO_SERVER)
        }
    }
}

/// The code and the name errors will carry.
fn read_code(args: &EvalArgs) -> Result<(String, String), EvalError> {
    if let Some(code) = &args.code {
        return Ok((code.clone(), "<eval>".into()));
    }
    match &args.file {
        Some(p) if p.as_os_str() != "-" => std::fs::read_to_string(p)
            .map(|c| (without_bom(&c).to_string(), p.display().to_string()))
            .map_err(|error| EvalError::File {
                path: p.clone(),
                error,
            }),
        _ => {
            let mut code = String::new();
            std::io::stdin()
                .read_to_string(&mut code)
                .map_err(EvalError::Stdin)?;
            Ok((without_bom(&code).to_string(), "<stdin>".into()))
        }
    }
}

/// Sends `/eval` and waits for its answer: `Ok` with `/done` or `/fail`,
/// `Err` when no server answers.
fn request(server: SocketAddr, bytes: &[u8], timeout: Duration) -> Result<Verdict, EvalError> {
    let local = if server.is_ipv4() {
        "0.0.0.0:0"
    } else {
        "[::]:0"
    };
    let socket = UdpSocket::bind(local).map_err(EvalError::Socket)?;
    // Connected: only the server's answers arrive, and "nobody listening" is reported.
    socket
        .connect(server)
        .map_err(|error| EvalError::Connect { server, error })?;
    let no_server = || EvalError::NoServer(server);
    socket.send(bytes).map_err(|_| no_server())?;
    let deadline = Instant::now() + timeout;
    let mut buf = vec![0u8; 65_536];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(no_server());
        }
        socket
            .set_read_timeout(Some(left))
            .map_err(EvalError::Wait)?;
        let n = match socket.recv(&mut buf) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => return Err(no_server()),
            Err(_) => return Err(no_server()),
        };
        let Ok((_, OscPacket::Message(m))) = rosc::decoder::decode_udp(&buf[..n]) else {
            continue;
        };
        let about_eval = matches!(m.args.first(), Some(OscType::String(a)) if a == "/eval");
        match (m.addr.as_str(), about_eval) {
            ("/done", true) => return Ok(Verdict::Done),
            ("/fail", true) => {
                let reason = match m.args.get(1) {
                    Some(OscType::String(s)) => s.clone(),
                    _ => "the server refused the code".into(),
                };
                return Ok(Verdict::Failed(reason));
            }
            _ => continue,
        }
    }
}
