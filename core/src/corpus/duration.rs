//! How long a recording is, from its header: FLAC's STREAMINFO, AIFF's
//! COMM chunk, WAV's data size (whatever symphonia's reader reports as the
//! track's frame count), decoding the whole file only when the header does
//! not say. Used by `loam dataset check` to count seconds of FLAC and AIFF
//! audio. Control side (reads the file).

use std::path::Path;

use super::decode::{decode_file, open_reader, DecodeError};

/// Seconds of audio in the file at `path`.
///
/// # Errors
/// The file cannot be opened, is not audio symphonia reads, or (when its
/// header gives no length) fails to decode: see [`DecodeError`].
pub fn seconds(path: &Path) -> Result<f64, DecodeError> {
    let reader = open_reader(path)?;
    let track = reader
        .default_track()
        .ok_or_else(|| DecodeError::NotAudio("no audio track".into()))?;
    match (track.codec_params.n_frames, track.codec_params.sample_rate) {
        (Some(frames), Some(rate)) if rate > 0 => Ok(frames as f64 / f64::from(rate)),
        _ => {
            let audio = decode_file(path)?;
            Ok(audio.frames() as f64 / f64::from(audio.sample_rate))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 16-bit mono AIFF of `frames` frames at `rate` Hz, written here by
    /// hand from the AIFF 1.3 layout (FORM/AIFF, COMM with an 80-bit
    /// extended sample rate, SSND).
    fn aiff(frames: u32, rate: u16) -> Vec<u8> {
        let mut comm = Vec::new();
        comm.extend_from_slice(&1u16.to_be_bytes()); // channels
        comm.extend_from_slice(&frames.to_be_bytes());
        // Bits per sample, then the rate as an 80-bit extended float: the
        // exponent 16383 + e and the mantissa with its explicit leading 1.
        comm.extend_from_slice(&16u16.to_be_bytes());
        let exponent = 16383 + (15 - rate.leading_zeros() as u16);
        comm.extend_from_slice(&exponent.to_be_bytes());
        let mantissa = u64::from(rate) << (63 - (15 - rate.leading_zeros()));
        comm.extend_from_slice(&mantissa.to_be_bytes());
        let mut ssnd = vec![0u8; 8];
        for i in 0..frames {
            ssnd.extend_from_slice(&((i % 100) as i16 * 100).to_be_bytes());
        }
        let mut body = b"AIFF".to_vec();
        body.extend_from_slice(b"COMM");
        body.extend_from_slice(&(comm.len() as u32).to_be_bytes());
        body.extend_from_slice(&comm);
        body.extend_from_slice(b"SSND");
        body.extend_from_slice(&(ssnd.len() as u32).to_be_bytes());
        body.extend_from_slice(&ssnd);
        let mut out = b"FORM".to_vec();
        out.extend_from_slice(&(body.len() as u32).to_be_bytes());
        out.extend_from_slice(&body);
        out
    }

    #[test]
    fn an_aiff_header_gives_its_length_and_a_text_file_is_not_audio() {
        let dir = std::env::temp_dir().join(format!("loam-duration-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("tone.aiff");
        std::fs::write(&file, aiff(66_150, 44_100)).unwrap();
        let s = seconds(&file).unwrap();
        // Within a millisecond: symphonia 0.5 counts the SSND chunk's
        // 8-byte offset/block-size header as 4 more frames (1.50009 s),
        // nothing a dataset's summary of seconds can show.
        assert!((s - 1.5).abs() < 1e-3, "{s}");
        let text = dir.join("notes.aiff");
        std::fs::write(&text, "not audio at all").unwrap();
        assert!(seconds(&text).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
