//! The root note of a WAV file's sampler chunk (`smpl`): the MIDI key at
//! which the recording sounds at its own rate (`MIDIUnityNote`, plus
//! `MIDIPitchFraction` in 2^-32 semitones). A pitched sample plays note
//! `f` at rate `f / f_root`.
//!
//! Read on a script's thread when a loop names a sample as its voice,
//! never by the planner or the audio thread.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// The most chunks walked looking for `smpl` (files hold a handful; a
/// damaged one could claim thousands of empty chunks).
pub const MAX_CHUNKS_WALKED: usize = 64;

/// The root key of the `smpl` chunk of the WAV file at `path` (e.g.
/// `69.5`), `None` when the file has none, or it cannot be read, or the key
/// is past 127.
pub fn smpl_root(path: &Path) -> Option<f64> {
    let mut f = File::open(path).ok()?;
    let mut head = [0u8; 12];
    f.read_exact(&mut head).ok()?;
    if &head[0..4] != b"RIFF" || &head[8..12] != b"WAVE" {
        return None;
    }
    for _ in 0..MAX_CHUNKS_WALKED {
        let mut chunk = [0u8; 8];
        f.read_exact(&mut chunk).ok()?;
        let len = u32::from_le_bytes([chunk[4], chunk[5], chunk[6], chunk[7]]) as u64;
        if &chunk[0..4] == b"smpl" {
            if len < 20 {
                return None;
            }
            let mut body = [0u8; 20];
            f.read_exact(&mut body).ok()?;
            let word =
                |i: usize| u32::from_le_bytes([body[i], body[i + 1], body[i + 2], body[i + 3]]);
            let unity = word(12);
            if unity > 127 {
                return None;
            }
            return Some(f64::from(unity) + f64::from(word(16)) / 4_294_967_296.0);
        }
        // Skip the chunk and its pad byte.
        f.seek(SeekFrom::Current((len + (len & 1)) as i64)).ok()?;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A WAV of `frames` silent 16-bit frames, with a `smpl` chunk after
    /// the data when `root` is given.
    pub fn wav_with_root(path: &Path, frames: u32, root: Option<(u32, u32)>) {
        let mut data = Vec::new();
        data.extend_from_slice(b"fmt ");
        data.extend_from_slice(&16u32.to_le_bytes());
        for v in [1u16, 1] {
            data.extend_from_slice(&v.to_le_bytes());
        }
        data.extend_from_slice(&48_000u32.to_le_bytes());
        data.extend_from_slice(&96_000u32.to_le_bytes());
        for v in [2u16, 16] {
            data.extend_from_slice(&v.to_le_bytes());
        }
        data.extend_from_slice(b"data");
        data.extend_from_slice(&(frames * 2).to_le_bytes());
        data.resize(data.len() + frames as usize * 2, 0);
        if let Some((unity, fraction)) = root {
            data.extend_from_slice(b"smpl");
            data.extend_from_slice(&36u32.to_le_bytes());
            for v in [0u32, 0, 20_833, unity, fraction, 0, 0, 0, 0] {
                data.extend_from_slice(&v.to_le_bytes());
            }
        }
        let mut file = b"RIFF".to_vec();
        file.extend_from_slice(&(data.len() as u32 + 4).to_le_bytes());
        file.extend_from_slice(b"WAVE");
        file.extend_from_slice(&data);
        std::fs::write(path, file).unwrap();
    }

    #[test]
    fn reads_the_unity_note_and_fraction() {
        let dir = std::env::temp_dir().join(format!("loam-smpl-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let with = dir.join("with.wav");
        wav_with_root(&with, 101, Some((57, 1 << 31)));
        assert_eq!(smpl_root(&with), Some(57.5));
        let without = dir.join("without.wav");
        wav_with_root(&without, 100, None);
        assert_eq!(smpl_root(&without), None);
        let bad = dir.join("bad.wav");
        wav_with_root(&bad, 100, Some((300, 0)));
        assert_eq!(smpl_root(&bad), None);
        // The file still loads as a sample.
        assert!(crate::sound::load_wav(&with, 48_000).is_ok());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
