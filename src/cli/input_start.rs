//! Starting `loam serve` with a live input. With `--host jack`, loam's own
//! JACK client plays the output and reads the input in one callback
//! (`output/jack_duplex.rs`); it replaces cpal's output stream.

use loam::output::input_error::InputError;
use loam::output::HostChoice;
use loam::session::Session;

use super::input::InputArgs;
use crate::{Parts, Running};

/// An opened duplex client (JACK builds only).
#[cfg(all(feature = "jack", target_os = "linux"))]
pub type Duplex = loam::output::jack_duplex::JackDuplex;

/// No duplex client in a build without JACK.
#[cfg(not(all(feature = "jack", target_os = "linux")))]
pub enum Duplex {}

/// A started live input: what plays, its description, the session, the
/// recorder, and the engine's block in frames.
pub type Started = (
    Running,
    String,
    Session,
    Option<loam::output::Recorder>,
    usize,
);

/// Opens the live input that plays the output too (JACK), if asked for.
pub fn open_duplex(args: &InputArgs, host: HostChoice) -> Result<Option<Duplex>, InputError> {
    if !args.wanted() {
        return Ok(None);
    }
    match host {
        #[cfg(all(feature = "jack", target_os = "linux"))]
        HostChoice::Jack => loam::output::jack_duplex::open(args.input_channels).map(Some),
        #[cfg(not(all(feature = "jack", target_os = "linux")))]
        HostChoice::Jack => Err(InputError::NoJack),
        HostChoice::Null => Err(InputError::NoDevice(
            "with --host null (the null sink has no input)".into(),
        )),
        HostChoice::Default => Ok(None),
    }
}

/// The duplex client's rate.
pub fn duplex_rate(duplex: &Option<Duplex>) -> Option<u32> {
    #[cfg(all(feature = "jack", target_os = "linux"))]
    {
        duplex.as_ref().map(|d| d.sample_rate())
    }
    #[cfg(not(all(feature = "jack", target_os = "linux")))]
    {
        duplex.as_ref().map(|d| match *d {})
    }
}

/// Starts the duplex client with the engine in `pending`, if there is one.
pub fn start_duplex(
    duplex: &mut Option<Duplex>,
    pending: &mut Option<Parts>,
    args: &InputArgs,
) -> Option<Result<Started, InputError>> {
    let d = duplex.take()?;
    #[cfg(all(feature = "jack", target_os = "linux"))]
    {
        let (session, engine, recorder, tap) = pending.take()?;
        let block = d.block();
        let description = d.description.clone();
        let status = session.handle.status.clone();
        Some(
            d.start(engine, tap, status, args.input_connect.as_deref())
                .map(|(running, told)| {
                    for line in told {
                        loam::say!("loam: input: {line}");
                    }
                    (
                        Running::Jack(running),
                        description,
                        session,
                        recorder,
                        block,
                    )
                }),
        )
    }
    #[cfg(not(all(feature = "jack", target_os = "linux")))]
    {
        let _ = (pending, args);
        match d {}
    }
}

/// Opens and starts the cpal input stream beside output `device`, if a
/// live input was asked for on the default host: the stream, the ring's
/// reader for the output callback, and the frames the ring runs behind.
pub fn open_cpal_input(
    args: &InputArgs,
    device: &loam::output::DeviceOutput,
    status: &std::sync::Arc<loam::audio::EngineStatus>,
) -> Result<
    Option<(
        loam::output::device_input::InputStream,
        loam::audio::input_ring::InputRingReader,
        usize,
    )>,
    InputError,
> {
    if !args.wanted() {
        return Ok(None);
    }
    let latency = loam::output::device_input::DEFAULT_INPUT_LATENCY;
    let input = loam::output::device_input::open_input(
        args.device(),
        device.sample_rate(),
        device.buffer_size(),
    )?;
    loam::say!("loam: input from {}", input.description);
    let (stream, reader) = input.start(args.input_channels, latency, status.clone())?;
    Ok(Some((stream, reader, latency)))
}
