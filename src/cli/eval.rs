//! `loam eval`: sends code (a file, standard input, or `-e CODE`) to a
//! running `loam serve` as OSC `/eval`, and waits for `/done` or `/fail`, so
//! an editor can evaluate a selection. A script error is printed as
//! `file:line:col: message` and exits with status 3.

use std::io::Read;
use std::net::UdpSocket;
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
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(message)) => {
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
fn read_code(args: &EvalArgs) -> Result<(String, String), String> {
    if let Some(code) = &args.code {
        return Ok((code.clone(), "<eval>".into()));
    }
    match &args.file {
        Some(p) if p.as_os_str() != "-" => std::fs::read_to_string(p)
            .map(|c| (without_bom(&c).to_string(), p.display().to_string()))
            .map_err(|e| format!("{}: {e}", p.display())),
        _ => {
            let mut code = String::new();
            std::io::stdin()
                .read_to_string(&mut code)
                .map_err(|e| format!("reading standard input: {e}"))?;
            Ok((without_bom(&code).to_string(), "<stdin>".into()))
        }
    }
}

/// Sends `/eval` and waits for its answer: `Ok(Ok)` on `/done`,
/// `Ok(Err(message))` on `/fail`, `Err` when no server answers.
fn request(
    server: std::net::SocketAddr,
    bytes: &[u8],
    timeout: Duration,
) -> Result<Result<(), String>, String> {
    let local = if server.is_ipv4() {
        "0.0.0.0:0"
    } else {
        "[::]:0"
    };
    let socket = UdpSocket::bind(local).map_err(|e| format!("cannot open a UDP socket: {e}"))?;
    // Connected: only the server's answers arrive, and "nobody listening" is reported.
    socket
        .connect(server)
        .map_err(|e| format!("{server}: {e}"))?;
    let no_server =
        || format!("no answer from {server}: is `loam serve` running (with --osc {server})?");
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
            .map_err(|e| e.to_string())?;
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
            ("/done", true) => return Ok(Ok(())),
            ("/fail", true) => {
                let reason = match m.args.get(1) {
                    Some(OscType::String(s)) => s.clone(),
                    _ => "the server refused the code".into(),
                };
                return Ok(Err(reason));
            }
            _ => continue,
        }
    }
}
