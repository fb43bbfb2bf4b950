//! `loam serve`'s OSC flags, checked before anything starts, and starting
//! the OSC server beside the control thread.

use std::fmt;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use loam::audio::EngineStatus;
use loam::control::{Controller, StatusBoard};
use loam::osc::security::{check_bind, AccessError};
use loam::osc::{Access, AllowEntry, OscConfig, OscServer, DEFAULT_ADDRESS};

#[derive(clap::Args, Debug, Clone)]
pub struct OscArgs {
    /// Listen for OSC on HOST:PORT (default 127.0.0.1:57130); "off" for no OSC.
    #[arg(long = "osc", value_name = "HOST:PORT")]
    pub address: Option<String>,
    /// Allow the OSC socket on an address other machines can reach.
    #[arg(long)]
    pub osc_public: bool,
    /// Accept /eval and /load from other machines (refused by default).
    #[arg(long)]
    pub osc_allow_code: bool,
    /// Hear only these clients (and this machine): an address or a network
    /// such as 192.168.1.0/24. Repeatable.
    #[arg(long = "osc-allow", value_name = "ADDRESS[/PREFIX]")]
    pub allow: Vec<String>,
}

/// An OSC flag loam cannot use, or an asked address it cannot listen on;
/// each names the flag and its text.
#[derive(Debug)]
pub enum OscSetupError {
    /// `--osc TEXT` does not resolve: the resolver's reason.
    Resolve { text: String, reason: String },
    /// `--osc TEXT` resolves to nothing.
    NoAddress(String),
    /// A public address without `--osc-public`.
    Public(AccessError),
    /// An `--osc-allow` entry that is not an address or network.
    Allow(AccessError),
    /// The asked address cannot be bound.
    Listen {
        bind: SocketAddr,
        error: std::io::Error,
    },
}

impl fmt::Display for OscSetupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OscSetupError::Resolve { text, reason } => write!(
                f,
                "--osc {text}: {reason} (give HOST:PORT, e.g. 127.0.0.1:57130)"
            ),
            OscSetupError::NoAddress(text) => write!(f, "--osc {text}: no such address"),
            OscSetupError::Public(e) => write!(f, "{e}"),
            OscSetupError::Allow(e) => write!(f, "--osc-allow {e}"),
            OscSetupError::Listen { bind, error } => {
                write!(f, "cannot listen for OSC on {bind}: {error}")
            }
        }
    }
}

impl std::error::Error for OscSetupError {}

/// A checked OSC setup, started once the session exists.
pub struct OscPlan {
    config: OscConfig,
    /// The address was asked for; failing to bind it is an error, not a warning.
    explicit: bool,
}

/// Resolves `HOST:PORT` (names too: `localhost:57130`).
pub fn resolve(text: &str) -> Result<SocketAddr, OscSetupError> {
    text.to_socket_addrs()
        .map_err(|e| OscSetupError::Resolve {
            text: text.to_string(),
            reason: e.to_string(),
        })?
        .next()
        .ok_or_else(|| OscSetupError::NoAddress(text.to_string()))
}

impl OscArgs {
    /// Checks the flags; `None` when OSC is off.
    pub fn plan(&self, lookahead_ms: u64) -> Result<Option<OscPlan>, OscSetupError> {
        let text = self.address.as_deref().unwrap_or(DEFAULT_ADDRESS);
        if text == "off" {
            return Ok(None);
        }
        let bind = resolve(text)?;
        check_bind(bind, self.osc_public).map_err(OscSetupError::Public)?;
        let allow = self
            .allow
            .iter()
            .map(|a| a.parse::<AllowEntry>().map_err(OscSetupError::Allow))
            .collect::<Result<Vec<_>, _>>()?;
        let mut config = OscConfig::new(bind);
        config.access = Access {
            allow_remote_code: self.osc_allow_code,
            allow,
        };
        config.lookahead = Duration::from_millis(lookahead_ms);
        Ok(Some(OscPlan {
            config,
            explicit: self.address.is_some(),
        }))
    }
}

impl OscPlan {
    /// Starts the server, wired to `controller`. `Err` only when an
    /// explicitly asked address cannot be used; the default one being taken
    /// (another loam running) is a warning.
    pub fn start(
        self,
        controller: &mut Controller,
        commands: crossbeam_channel::Sender<loam::control::Command>,
        engine: Arc<EngineStatus>,
        sample_rate: u32,
    ) -> Result<Option<OscServer>, OscSetupError> {
        let board = Arc::new(StatusBoard::new(engine, sample_rate));
        // Boundary: control thread -> OSC notifier. A full queue drops notices.
        let (notices_tx, notices_rx) = crossbeam_channel::bounded(1024);
        let bind = self.config.bind;
        match OscServer::start(self.config, commands, board.clone(), notices_rx) {
            Ok(server) => {
                controller.publish_status(board);
                controller.subscribe(notices_tx);
                loam::say!(
                    "loam: OSC on {} (receive buffer {} KiB)",
                    server.local_addr(),
                    server.receive_buffer() / 1024
                );
                Ok(Some(server))
            }
            Err(error) if self.explicit => Err(OscSetupError::Listen { bind, error }),
            Err(e) => {
                loam::say!("loam: no OSC: cannot listen on {bind} ({e}); give --osc HOST:PORT for another port");
                Ok(None)
            }
        }
    }
}
