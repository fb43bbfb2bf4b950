//! Audio devices through cpal. The callback is a thin adapter: it asks the
//! engine for stereo frames, hands them to the recorder, and converts them
//! to the device's channels and sample format.

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use cpal::{FromSample, SampleFormat, SizedSample, StreamConfig};

use super::{DeviceError, CHUNK_FRAMES};
use crate::audio::input_ring::InputRingReader;
use crate::audio::{no_alloc, Engine, EngineStatus, RecordTap};
use crate::time::wallclock::{self, ClockStamp, Frame};
use std::sync::Arc;

/// Which audio host to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostChoice {
    /// cpal's default host and device; falls back to the null sink when there is none.
    Default,
    /// The JACK server (needs the `jack` feature).
    Jack,
    /// No device: the null sink.
    Null,
}

/// An opened device, before the engine exists (the engine needs its rate).
pub struct DeviceOutput {
    device: cpal::Device,
    config: StreamConfig,
    format: SampleFormat,
    /// The device as the start-up message names it: name, host, rate and channels.
    pub description: String,
}

/// Finds the device for `host`. `Err` says why none can be used.
pub fn open_device(host: HostChoice, buffer: Option<u32>) -> Result<DeviceOutput, DeviceError> {
    // alsa-lib would print its own errors (nine lines on a machine without
    // a sound card) before loam's message; cpal reports them to us anyway.
    super::alsa_quiet::silence();
    let host = match host {
        HostChoice::Null => return Err(DeviceError::NullAsked),
        HostChoice::Default => cpal::default_host(),
        HostChoice::Jack => jack_host()?,
    };
    let device = host
        .default_output_device()
        .ok_or_else(|| DeviceError::NoDevice(host.id()))?;
    let supported = device
        .default_output_config()
        .map_err(DeviceError::Config)?;
    let format = supported.sample_format();
    let mut config: StreamConfig = supported.into();
    if host.id() != jack_id() {
        // JACK's buffer is the server period; elsewhere honour --buffer.
        if let Some(b) = buffer {
            config.buffer_size = cpal::BufferSize::Fixed(b);
        }
    }
    let name = device
        .description()
        .map(|d| d.to_string())
        .unwrap_or_else(|_| "unnamed device".into());
    Ok(DeviceOutput {
        description: format!(
            "{name} via {:?}, {} Hz, {} channels",
            host.id(),
            config.sample_rate,
            config.channels
        ),
        device,
        config,
        format,
    })
}

#[cfg(all(feature = "jack", target_os = "linux"))]
fn jack_id() -> cpal::HostId {
    cpal::HostId::Jack
}

#[cfg(not(all(feature = "jack", target_os = "linux")))]
fn jack_id() -> cpal::HostId {
    cpal::default_host().id()
}

#[cfg(all(feature = "jack", target_os = "linux"))]
fn jack_host() -> Result<cpal::Host, DeviceError> {
    cpal::host_from_id(cpal::HostId::Jack).map_err(DeviceError::Jack)
}

#[cfg(not(all(feature = "jack", target_os = "linux")))]
fn jack_host() -> Result<cpal::Host, DeviceError> {
    Err(DeviceError::NoJack)
}

impl DeviceOutput {
    /// The device's rate, in Hz.
    pub fn sample_rate(&self) -> u32 {
        self.config.sample_rate
    }

    /// The buffer asked of the device: `--buffer` frames, or the device's
    /// own choice ([`cpal::BufferSize::Default`]).
    pub fn buffer_size(&self) -> cpal::BufferSize {
        self.config.buffer_size
    }

    /// Starts the stream. Keep the returned stream alive while playing.
    pub fn start(
        self,
        engine: Engine,
        tap: Option<RecordTap>,
        status: Arc<EngineStatus>,
    ) -> Result<cpal::Stream, DeviceError> {
        self.start_with_input(engine, tap, status, None)
    }

    /// Starts the stream, giving the engine each block's live input from
    /// `input` (the ring a cpal input stream fills; see `device_input.rs`).
    pub fn start_with_input(
        self,
        engine: Engine,
        tap: Option<RecordTap>,
        status: Arc<EngineStatus>,
        input: Option<InputRingReader>,
    ) -> Result<cpal::Stream, DeviceError> {
        match self.format {
            SampleFormat::F32 => self.build::<f32>(engine, tap, status, input),
            SampleFormat::I16 => self.build::<i16>(engine, tap, status, input),
            SampleFormat::I32 => self.build::<i32>(engine, tap, status, input),
            SampleFormat::U16 => self.build::<u16>(engine, tap, status, input),
            other => Err(DeviceError::Format(other)),
        }
    }

    fn build<T: SizedSample + FromSample<f32>>(
        self,
        mut engine: Engine,
        mut tap: Option<RecordTap>,
        status: Arc<EngineStatus>,
        mut input: Option<InputRingReader>,
    ) -> Result<cpal::Stream, DeviceError> {
        let channels = self.config.channels.max(1) as usize;
        let mut scratch = vec![0.0f32; CHUNK_FRAMES * 2];
        let in_channels = input.as_ref().map_or(0, |r| r.channels());
        let mut in_scratch = vec![0.0f32; CHUNK_FRAMES * in_channels.max(1)];
        let err_status = status.clone();
        let stream = self
            .device
            .build_output_stream::<T, _, _>(
                self.config,
                move |data: &mut [T], _| {
                    // Audio thread: no allocation, locks, prints or waits
                    // (checked with the `check-no-alloc` feature).
                    no_alloc::check(|| {
                        status.stamp_clock(ClockStamp {
                            frame: Frame(engine.frame()),
                            nanos: wallclock::now_nanos(),
                        });
                        if let Some(ring) = input.as_mut() {
                            ring.begin_callback(data.len() / channels);
                        }
                        for out in data.chunks_mut(CHUNK_FRAMES * channels) {
                            let frames = out.len() / channels;
                            let buf = &mut scratch[..frames * 2];
                            match input.as_mut() {
                                Some(ring) => {
                                    let live = &mut in_scratch[..frames * in_channels];
                                    ring.read(live);
                                    engine.process_with_input(buf, live, in_channels);
                                }
                                None => engine.process(buf),
                            }
                            if let Some(t) = tap.as_mut() {
                                t.write(buf);
                            }
                            for (dst, src) in out.chunks_mut(channels).zip(buf.chunks_exact(2)) {
                                if channels == 1 {
                                    dst[0] = T::from_sample((src[0] + src[1]) * 0.5);
                                } else {
                                    dst[0] = T::from_sample(src[0]);
                                    dst[1] = T::from_sample(src[1]);
                                    for d in dst.iter_mut().skip(2) {
                                        *d = T::from_sample(0.0);
                                    }
                                }
                            }
                        }
                    })
                },
                move |err: cpal::Error| {
                    if err.kind() == cpal::ErrorKind::Xrun {
                        EngineStatus::count(&err_status.xruns);
                    }
                },
                None,
            )
            .map_err(DeviceError::Open)?;
        stream.play().map_err(DeviceError::Start)?;
        Ok(stream)
    }
}
