//! WAV files written atomically: into `NAME.part` beside the target, renamed
//! over it only when complete.
//!
//! A WAV's header holds its sizes in 32 bits, so one file holds at most
//! 4 GiB of audio (about 3 hours 6 minutes of 32-bit float stereo at
//! 48 kHz). Past [`MAX_WAV_DATA_BYTES`] the file is completed and the
//! recording goes on in `NAME-2.wav`, `NAME-3.wav`, … with not a frame lost
//! between them, instead of wrapping the header's sizes.
//!
//! The header is the one the RIFF specification gives non-PCM data:
//! `WAVE_FORMAT_IEEE_FLOAT` with the extended `fmt ` part (`cbSize` = 0) and
//! a `fact` chunk holding the frame count, so sox, ffmpeg and DAWs read it
//! without a warning (hound writes neither).

use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::error::{WavError, WavStep};

/// The most audio bytes one WAV file holds before the recording continues
/// in the next numbered file: 4 GiB less 1 MiB, leaving room for the header
/// under the RIFF size field's 32-bit limit. A whole number of frames.
pub const MAX_WAV_DATA_BYTES: u64 = (4 << 30) - (1 << 20);

/// Bytes of one sample (32-bit float).
const SAMPLE_BYTES: u64 = 4;

/// Channels written (stereo).
const CHANNELS: u64 = 2;

/// Bytes before the audio: RIFF header (12), `fmt ` with `cbSize` (8 + 18),
/// `fact` (8 + 4), `data` header (8).
const HEADER_BYTES: u64 = 12 + 26 + 12 + 8;

/// Where the `fact` chunk's frame count lies in the header.
const FACT_FRAMES_AT: u64 = 12 + 26 + 8;

/// A 32-bit float stereo WAV being written (bit-exact with what the engine
/// rendered); its sizes are written when flushed or finished.
struct FloatWavWriter {
    file: BufWriter<File>,
    /// Audio bytes written so far.
    data_bytes: u64,
    /// Bytes of chunks after the audio (the credits' `LIST`/`INFO`).
    trailer_bytes: u64,
}

impl FloatWavWriter {
    fn create(path: &Path, sample_rate: u32) -> std::io::Result<FloatWavWriter> {
        let mut file = BufWriter::new(File::create(path)?);
        let block = (CHANNELS * SAMPLE_BYTES) as u16;
        let mut h = Vec::with_capacity(HEADER_BYTES as usize);
        h.extend_from_slice(b"RIFF");
        h.extend_from_slice(&((HEADER_BYTES - 8) as u32).to_le_bytes());
        h.extend_from_slice(b"WAVEfmt ");
        h.extend_from_slice(&18u32.to_le_bytes());
        h.extend_from_slice(&3u16.to_le_bytes()); // WAVE_FORMAT_IEEE_FLOAT
        h.extend_from_slice(&(CHANNELS as u16).to_le_bytes());
        h.extend_from_slice(&sample_rate.to_le_bytes());
        h.extend_from_slice(&(sample_rate * u32::from(block)).to_le_bytes());
        h.extend_from_slice(&block.to_le_bytes());
        h.extend_from_slice(&((SAMPLE_BYTES * 8) as u16).to_le_bytes());
        h.extend_from_slice(&0u16.to_le_bytes()); // cbSize: no more format bytes
        h.extend_from_slice(b"fact");
        h.extend_from_slice(&4u32.to_le_bytes());
        h.extend_from_slice(&0u32.to_le_bytes()); // frames, written later
        h.extend_from_slice(b"data");
        h.extend_from_slice(&0u32.to_le_bytes()); // bytes, written later
        debug_assert_eq!(h.len() as u64, HEADER_BYTES);
        file.write_all(&h)?;
        Ok(FloatWavWriter {
            file,
            data_bytes: 0,
            trailer_bytes: 0,
        })
    }

    fn write_samples(&mut self, samples: &[f32]) -> std::io::Result<()> {
        for s in samples {
            self.file.write_all(&s.to_le_bytes())?;
        }
        self.data_bytes += samples.len() as u64 * SAMPLE_BYTES;
        Ok(())
    }

    /// Writes the sizes into the header (the file is then complete as it
    /// stands) and returns to the end.
    fn flush(&mut self) -> std::io::Result<()> {
        // Within 32 bits: a segment holds at most MAX_WAV_DATA_BYTES.
        let data = self.data_bytes as u32;
        let frames = (self.data_bytes / (CHANNELS * SAMPLE_BYTES)) as u32;
        // The trailer is at most a few hundred KiB (wav_info's limits).
        let riff = (HEADER_BYTES - 8) as u32 + data + self.trailer_bytes as u32;
        self.file.seek(SeekFrom::Start(4))?;
        self.file.write_all(&riff.to_le_bytes())?;
        self.file.seek(SeekFrom::Start(FACT_FRAMES_AT))?;
        self.file.write_all(&frames.to_le_bytes())?;
        self.file.seek(SeekFrom::Start(HEADER_BYTES - 4))?;
        self.file.write_all(&data.to_le_bytes())?;
        self.file.seek(SeekFrom::End(0))?;
        self.file.flush()
    }

    /// Appends a whole chunk (even-sized) after the audio; no audio may
    /// be written after it.
    fn append_chunk(&mut self, chunk: &[u8]) -> std::io::Result<()> {
        self.file.seek(SeekFrom::End(0))?;
        self.file.write_all(chunk)?;
        self.trailer_bytes += chunk.len() as u64;
        Ok(())
    }

    fn finalize(mut self) -> std::io::Result<()> {
        self.flush()
    }
}

/// The file of segment `n` (1 = the target itself): `take.wav`,
/// `take-2.wav`, `take-3.wav`, …
pub fn segment_path(target: &Path, n: u32) -> PathBuf {
    if n <= 1 {
        return target.to_path_buf();
    }
    let stem = target
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = match target.extension() {
        Some(ext) => format!("{stem}-{n}.{}", ext.to_string_lossy()),
        None => format!("{stem}-{n}"),
    };
    target.with_file_name(name)
}

fn part_path(target: &Path) -> PathBuf {
    let mut part = target.as_os_str().to_owned();
    part.push(".part");
    PathBuf::from(part)
}

/// A WAV being written to a temporary name (and, past
/// [`MAX_WAV_DATA_BYTES`], the numbered files that continue it).
pub struct AtomicWav {
    writer: FloatWavWriter,
    part: PathBuf,
    target: PathBuf,
    sample_rate: u32,
    /// The segment being written (1 = the target).
    segment: u32,
    /// Audio bytes in the current segment, counted in 64 bits.
    written: u64,
    /// Audio bytes a segment may hold (a whole number of frames).
    limit: u64,
    /// Segments already completed and moved into place.
    done: Vec<PathBuf>,
}

impl AtomicWav {
    /// Starts writing `target` (through its `.part`), continuing in numbered files past [`MAX_WAV_DATA_BYTES`].
    pub fn create(target: &Path, sample_rate: u32) -> Result<AtomicWav, WavError> {
        AtomicWav::create_with_limit(target, sample_rate, MAX_WAV_DATA_BYTES)
    }

    /// [`AtomicWav::create`] with another segment size (tests drive the
    /// roll-over with a few hundred bytes instead of 4 GiB). The limit is
    /// rounded down to whole frames, at least one.
    pub fn create_with_limit(
        target: &Path,
        sample_rate: u32,
        limit: u64,
    ) -> Result<AtomicWav, WavError> {
        let frame = SAMPLE_BYTES * CHANNELS;
        let limit = (limit.min(MAX_WAV_DATA_BYTES) / frame).max(1) * frame;
        let part = part_path(target);
        let writer = FloatWavWriter::create(&part, sample_rate)
            .map_err(|e| failed(&part, WavStep::Create, e))?;
        Ok(AtomicWav {
            writer,
            part,
            target: target.to_path_buf(),
            sample_rate,
            segment: 1,
            written: 0,
            limit,
            done: Vec::new(),
        })
    }

    /// Writes interleaved stereo samples, moving on to the next numbered
    /// file where the current one is full.
    pub fn write(&mut self, mut samples: &[f32]) -> Result<(), WavError> {
        while !samples.is_empty() {
            let room = ((self.limit - self.written) / SAMPLE_BYTES) as usize;
            if room == 0 {
                self.next_segment()?;
                continue;
            }
            let (now, later) = samples.split_at(room.min(samples.len()));
            self.writer
                .write_samples(now)
                .map_err(|e| failed(&self.part, WavStep::Write, e))?;
            self.written += now.len() as u64 * SAMPLE_BYTES;
            samples = later;
        }
        Ok(())
    }

    /// Completes the current file and opens the next numbered one.
    fn next_segment(&mut self) -> Result<(), WavError> {
        let next_target = segment_path(&self.target, self.segment + 1);
        let next_part = part_path(&next_target);
        let writer = FloatWavWriter::create(&next_part, self.sample_rate)
            .map_err(|e| failed(&next_part, WavStep::Create, e))?;
        let full = std::mem::replace(&mut self.writer, writer);
        let part = std::mem::replace(&mut self.part, next_part);
        let done = complete(full, &part, &segment_path(&self.target, self.segment))?;
        self.done.push(done);
        self.segment += 1;
        self.written = 0;
        Ok(())
    }

    /// Updates the header so the partial file is playable if we die.
    pub fn flush(&mut self) -> Result<(), WavError> {
        self.writer
            .flush()
            .map_err(|e| failed(&self.part, WavStep::Flush, e))
    }

    /// Completes the header and moves the file into place. Returns the
    /// target; a recording past [`MAX_WAV_DATA_BYTES`] continues in
    /// [`segment_path`]`(target, 2)` and on.
    pub fn finish(self) -> Result<PathBuf, WavError> {
        Ok(self.finish_all()?.swap_remove(0))
    }

    /// [`AtomicWav::finish`] with `chunk` (a whole RIFF chunk such as the
    /// credits' `LIST`/`INFO`, [`super::wav_info`]) after the audio of the
    /// last file written. Returns the target.
    pub fn finish_with_chunk(mut self, chunk: &[u8]) -> Result<PathBuf, WavError> {
        self.writer
            .append_chunk(chunk)
            .map_err(|e| failed(&self.part, WavStep::Finalise, e))?;
        self.finish()
    }

    /// Completes the last file and gives every file written, in order.
    pub fn finish_all(mut self) -> Result<Vec<PathBuf>, WavError> {
        let last = complete(
            self.writer,
            &self.part,
            &segment_path(&self.target, self.segment),
        )?;
        self.done.push(last);
        Ok(self.done)
    }
}

/// Finalises a writer and renames its `.part` file to `target`.
fn complete(writer: FloatWavWriter, part: &Path, target: &Path) -> Result<PathBuf, WavError> {
    writer
        .finalize()
        .map_err(|e| failed(part, WavStep::Finalise, e))?;
    std::fs::rename(part, target).map_err(|error| WavError::Move {
        from: part.to_path_buf(),
        to: target.to_path_buf(),
        error,
    })?;
    Ok(target.to_path_buf())
}

/// `step` failed on the file at `path`.
fn failed(path: &Path, step: WavStep, error: std::io::Error) -> WavError {
    WavError::File {
        path: path.to_path_buf(),
        step,
        error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("loam-wavfile-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn read(path: &Path) -> Vec<f32> {
        hound::WavReader::open(path)
            .unwrap()
            .samples::<f32>()
            .map(Result::unwrap)
            .collect()
    }

    #[test]
    fn segments_are_numbered_beside_the_target() {
        let t = Path::new("/rec/take.wav");
        assert_eq!(segment_path(t, 1), PathBuf::from("/rec/take.wav"));
        assert_eq!(segment_path(t, 2), PathBuf::from("/rec/take-2.wav"));
        assert_eq!(segment_path(Path::new("out"), 3), PathBuf::from("out-3"));
    }

    #[test]
    fn a_full_file_rolls_over_without_losing_a_frame() {
        // 100 frames (800 bytes) a file stands in for 4 GiB.
        let dir = folder("roll");
        let target = dir.join("take.wav");
        let mut wav = AtomicWav::create_with_limit(&target, 48000, 800).unwrap();
        let all: Vec<f32> = (0..500).map(|i| i as f32 / 1000.0).collect();
        // Odd-sized writes so a write straddles each file boundary.
        for chunk in all.chunks(34) {
            wav.write(chunk).unwrap();
        }
        let files = wav.finish_all().unwrap();
        assert_eq!(
            files,
            vec![
                target.clone(),
                dir.join("take-2.wav"),
                dir.join("take-3.wav")
            ]
        );
        let sizes: Vec<usize> = files.iter().map(|f| read(f).len()).collect();
        assert_eq!(sizes, vec![200, 200, 100]);
        let joined: Vec<f32> = files.iter().flat_map(|f| read(f)).collect();
        assert_eq!(joined, all);
        for f in &files {
            let r = hound::WavReader::open(f).unwrap();
            assert_eq!(r.spec().channels, 2);
            assert_eq!(r.spec().sample_rate, 48000);
            assert_eq!(r.spec().sample_format, hound::SampleFormat::Float);
            assert_eq!(header_len(f), HEADER_BYTES);
            // Every header's size agrees with the file's length.
            let bytes = std::fs::metadata(f).unwrap().len();
            assert_eq!(u64::from(r.len()) * 4 + header_len(f), bytes);
        }
        assert!(!part_path(&target).exists());
        assert!(!part_path(&dir.join("take-3.wav")).exists());
    }

    /// Bytes before the audio data in a WAV loam wrote.
    fn header_len(path: &Path) -> u64 {
        let bytes = std::fs::read(path).unwrap();
        let at = bytes.windows(4).position(|w| w == b"data").unwrap();
        at as u64 + 8
    }

    // The RIFF size field holds the file length less 8 bytes; a header is
    // well under 80 bytes. Segments hold whole frames, over three hours of
    // stereo float at 48 kHz each.
    const _: () = assert!(MAX_WAV_DATA_BYTES + 80 - 8 <= u32::MAX as u64);
    const _: () = assert!(MAX_WAV_DATA_BYTES.is_multiple_of(SAMPLE_BYTES * CHANNELS));
    const _: () = assert!(MAX_WAV_DATA_BYTES / 8 / 48_000 > 3 * 3600);

    #[test]
    fn a_header_at_the_real_limit_keeps_its_sizes_in_32_bits() {
        // The header logic with the real limit, driven by a fake size: the
        // writer's count stands just below the limit, as after 4 GiB.
        let dir = folder("real");
        let target = dir.join("take.wav");
        let mut wav = AtomicWav::create(&target, 48000).unwrap();
        assert_eq!(wav.limit, MAX_WAV_DATA_BYTES);
        wav.written = MAX_WAV_DATA_BYTES - 8;
        // One frame fits; the next goes to take-2.wav.
        wav.write(&[0.5, 0.5, 0.25, 0.25]).unwrap();
        assert_eq!(wav.segment, 2);
        assert_eq!(wav.written, 8);
        let files = wav.finish_all().unwrap();
        assert_eq!(files, vec![target, dir.join("take-2.wav")]);
        assert_eq!(read(&files[1]), vec![0.25, 0.25]);
    }

    #[test]
    fn exactly_full_files_do_not_leave_an_empty_one() {
        let dir = folder("exact");
        let target = dir.join("take.wav");
        let mut wav = AtomicWav::create_with_limit(&target, 48000, 800).unwrap();
        wav.write(&[0.25; 200]).unwrap();
        let files = wav.finish_all().unwrap();
        assert_eq!(files, vec![target]);
    }

    #[test]
    fn a_recording_carries_the_extended_fmt_part_and_a_fact_chunk() {
        let dir = folder("header");
        let target = dir.join("take.wav");
        let mut wav = AtomicWav::create(&target, 44100).unwrap();
        let samples: Vec<f32> = (0..200).map(|i| (i as f32 / 100.0) - 1.0).collect();
        wav.write(&samples).unwrap();
        let path = wav.finish().unwrap();
        let bytes = std::fs::read(&path).unwrap();
        // fmt: 18 bytes, IEEE float, stereo, 44.1 kHz, cbSize 0.
        assert_eq!(&bytes[12..20], b"fmt \x12\0\0\0");
        assert_eq!(&bytes[20..24], &[3, 0, 2, 0]);
        assert_eq!(&bytes[36..38], &[0, 0]);
        // fact: 100 frames; data: 800 bytes; RIFF: the file less 8.
        assert_eq!(&bytes[38..46], b"fact\x04\0\0\0");
        assert_eq!(u32::from_le_bytes(bytes[46..50].try_into().unwrap()), 100);
        assert_eq!(&bytes[50..54], b"data");
        assert_eq!(u32::from_le_bytes(bytes[54..58].try_into().unwrap()), 800);
        assert_eq!(
            u64::from(u32::from_le_bytes(bytes[4..8].try_into().unwrap())),
            bytes.len() as u64 - 8
        );
        assert_eq!(read(&path), samples);
        // loam reads its own recording back, sample for sample.
        let back = crate::sound::load_wav(&path, 44100).unwrap();
        assert_eq!(back.data, samples);
        // sox (where installed) reads it without a warning.
        if let Ok(out) = std::process::Command::new("sox")
            .arg("--i")
            .arg(&path)
            .output()
        {
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(out.status.success(), "{text}");
            assert!(!text.contains("WARN"), "{text}");
            assert!(text.contains("32-bit Floating Point PCM"), "{text}");
        }
        let _ = std::fs::remove_dir_all(dir);
    }
}
