//! WAV files written atomically: into `NAME.part` beside the target, renamed
//! over it only when complete.
//!
//! A WAV's header holds its sizes in 32 bits, so one file holds at most
//! 4 GiB of audio (about 3 hours 6 minutes of 32-bit float stereo at
//! 48 kHz). Past [`MAX_WAV_DATA_BYTES`] the file is completed and the
//! recording goes on in `NAME-2.wav`, `NAME-3.wav`, … with not a frame lost
//! between them, instead of wrapping the header's sizes.

use std::path::{Path, PathBuf};

use hound::{SampleFormat, WavSpec, WavWriter};

/// The most audio bytes one WAV file holds before the recording continues
/// in the next numbered file: 4 GiB less 1 MiB, leaving room for the header
/// under the RIFF size field's 32-bit limit. A whole number of frames.
pub const MAX_WAV_DATA_BYTES: u64 = (4 << 30) - (1 << 20);

/// Bytes of one sample (32-bit float).
const SAMPLE_BYTES: u64 = 4;

/// Channels written (stereo).
const CHANNELS: u64 = 2;

/// 32-bit float stereo, bit-exact with what the engine rendered.
pub fn spec(sample_rate: u32) -> WavSpec {
    WavSpec {
        channels: CHANNELS as u16,
        sample_rate,
        bits_per_sample: (SAMPLE_BYTES * 8) as u16,
        sample_format: SampleFormat::Float,
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
    writer: WavWriter<std::io::BufWriter<std::fs::File>>,
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
    pub fn create(target: &Path, sample_rate: u32) -> Result<AtomicWav, String> {
        AtomicWav::create_with_limit(target, sample_rate, MAX_WAV_DATA_BYTES)
    }

    /// [`AtomicWav::create`] with another segment size (tests drive the
    /// roll-over with a few hundred bytes instead of 4 GiB). The limit is
    /// rounded down to whole frames, at least one.
    pub fn create_with_limit(
        target: &Path,
        sample_rate: u32,
        limit: u64,
    ) -> Result<AtomicWav, String> {
        let frame = SAMPLE_BYTES * CHANNELS;
        let limit = (limit.min(MAX_WAV_DATA_BYTES) / frame).max(1) * frame;
        let part = part_path(target);
        let writer = WavWriter::create(&part, spec(sample_rate))
            .map_err(|e| format!("{}: cannot create: {e}", part.display()))?;
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
    pub fn write(&mut self, mut samples: &[f32]) -> Result<(), String> {
        while !samples.is_empty() {
            let room = ((self.limit - self.written) / SAMPLE_BYTES) as usize;
            if room == 0 {
                self.next_segment()?;
                continue;
            }
            let (now, later) = samples.split_at(room.min(samples.len()));
            for &s in now {
                self.writer
                    .write_sample(s)
                    .map_err(|e| format!("{}: write failed: {e}", self.part.display()))?;
            }
            self.written += now.len() as u64 * SAMPLE_BYTES;
            samples = later;
        }
        Ok(())
    }

    /// Completes the current file and opens the next numbered one.
    fn next_segment(&mut self) -> Result<(), String> {
        let next_target = segment_path(&self.target, self.segment + 1);
        let next_part = part_path(&next_target);
        let writer = WavWriter::create(&next_part, spec(self.sample_rate))
            .map_err(|e| format!("{}: cannot create: {e}", next_part.display()))?;
        let full = std::mem::replace(&mut self.writer, writer);
        let part = std::mem::replace(&mut self.part, next_part);
        let done = complete(full, &part, &segment_path(&self.target, self.segment))?;
        self.done.push(done);
        self.segment += 1;
        self.written = 0;
        Ok(())
    }

    /// Updates the header so the partial file is playable if we die.
    pub fn flush(&mut self) -> Result<(), String> {
        self.writer
            .flush()
            .map_err(|e| format!("{}: flush failed: {e}", self.part.display()))
    }

    /// Completes the header and moves the file into place. Returns the
    /// target; a recording past [`MAX_WAV_DATA_BYTES`] continues in
    /// [`segment_path`]`(target, 2)` and on.
    pub fn finish(self) -> Result<PathBuf, String> {
        Ok(self.finish_all()?.swap_remove(0))
    }

    /// Completes the last file and gives every file written, in order.
    pub fn finish_all(mut self) -> Result<Vec<PathBuf>, String> {
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
fn complete(
    writer: WavWriter<std::io::BufWriter<std::fs::File>>,
    part: &Path,
    target: &Path,
) -> Result<PathBuf, String> {
    writer
        .finalize()
        .map_err(|e| format!("{}: cannot finalise: {e}", part.display()))?;
    std::fs::rename(part, target).map_err(|e| {
        format!(
            "cannot move {} to {}: {e}",
            part.display(),
            target.display()
        )
    })?;
    Ok(target.to_path_buf())
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
            assert_eq!(r.spec(), spec(48000));
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
}
