//! A live input through cpal (`loam serve --input [DEVICE]` on the default
//! host): the default input device, or the first whose name contains
//! DEVICE, opened at the output's rate. Its callback only converts the
//! samples and pushes them into the input ring
//! ([`crate::audio::input_ring`]); the output callback reads the ring in
//! the same block it renders (see `device.rs`), so the engine sees input
//! and output on one clock, with drift counted.

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use cpal::{SampleFormat, SizedSample, StreamConfig};

use super::input_error::InputError;
use crate::audio::input_ring::{input_ring, InputRingReader, InputRingWriter};
use crate::audio::{no_alloc, EngineStatus};
use std::sync::Arc;

/// How far the input ring runs behind, in frames, when the device's
/// buffer is not fixed: 512 frames (10.7 ms at 48 kHz), room for the
/// bursts in which input and output callbacks arrive.
pub const DEFAULT_INPUT_LATENCY: usize = 512;

/// An opened input device, not yet streaming.
pub struct DeviceInput {
    device: cpal::Device,
    config: StreamConfig,
    format: SampleFormat,
    /// The device as the start-up message names it.
    pub description: String,
}

/// Finds the input device: `name` (a part of its name) or the default,
/// asking for the output's `rate` and `buffer` (the same periods on both
/// streams keep the ring between them short; see `input_ring.rs`).
pub fn open_input(
    name: Option<&str>,
    rate: u32,
    buffer: cpal::BufferSize,
) -> Result<DeviceInput, InputError> {
    super::alsa_quiet::silence();
    let host = cpal::default_host();
    let device = match name {
        None => host.default_input_device().ok_or_else(|| {
            InputError::NoDevice(format!("(no default input on {:?})", host.id()))
        })?,
        Some(part) => host
            .input_devices()
            .map_err(|e| InputError::NoDevice(format!("'{part}' ({e})")))?
            .find(|d| {
                d.description()
                    .map(|x| x.to_string().contains(part))
                    .unwrap_or(false)
            })
            .ok_or_else(|| InputError::NoDevice(format!("whose name contains '{part}'")))?,
    };
    let supported = device
        .default_input_config()
        .map_err(|e| InputError::Config(e.to_string()))?;
    let format = supported.sample_format();
    let mut config: StreamConfig = supported.into();
    if config.sample_rate != rate {
        // loam does not resample the live input: ask for the output's rate.
        config.sample_rate = rate;
    }
    config.buffer_size = buffer;
    let label = device
        .description()
        .map(|d| d.to_string())
        .unwrap_or_else(|_| "unnamed input".into());
    Ok(DeviceInput {
        description: format!("{label}, {} Hz, {} channels", rate, config.channels),
        device,
        config,
        format,
    })
}

/// A running input stream; keep it alive while playing.
pub struct InputStream {
    _stream: cpal::Stream,
}

impl DeviceInput {
    /// Starts the stream into a ring of `channels` channels kept about
    /// `latency` frames behind; the reader goes to the output callback.
    pub fn start(
        self,
        channels: usize,
        latency: usize,
        status: Arc<EngineStatus>,
    ) -> Result<(InputStream, InputRingReader), InputError> {
        let (writer, reader) = input_ring(channels, latency, status);
        let stream = match self.format {
            SampleFormat::F32 => self.build::<f32>(writer),
            SampleFormat::I16 => self.build::<i16>(writer),
            SampleFormat::I32 => self.build::<i32>(writer),
            other => Err(InputError::Config(format!(
                "sample format {other} is not supported"
            ))),
        }?;
        stream.play().map_err(|e| InputError::Open(e.to_string()))?;
        Ok((InputStream { _stream: stream }, reader))
    }

    fn build<T>(self, mut writer: InputRingWriter) -> Result<cpal::Stream, InputError>
    where
        T: SizedSample,
        f32: cpal::FromSample<T>,
    {
        let dc = self.config.channels.max(1) as usize;
        // Converted samples, one callback's worth at most (longer ones are split).
        let mut scratch = vec![0.0f32; super::CHUNK_FRAMES * dc];
        self.device
            .build_input_stream::<T, _, _>(
                self.config,
                move |data: &[T], _| {
                    // Audio thread: no allocation, locks, prints or waits.
                    no_alloc::check(|| {
                        writer.begin_callback(data.len() / dc);
                        for part in data.chunks(super::CHUNK_FRAMES * dc) {
                            let buf = &mut scratch[..part.len()];
                            for (d, s) in buf.iter_mut().zip(part) {
                                *d = <f32 as cpal::FromSample<T>>::from_sample_(*s);
                            }
                            writer.push(buf, dc);
                        }
                    })
                },
                |_err: cpal::Error| {},
                None,
            )
            .map_err(|e| InputError::Open(e.to_string()))
    }
}
