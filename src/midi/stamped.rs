//! An incoming MIDI message with its time on loam's clock, in a fixed-size
//! copy (real-time callbacks hand these over without allocating).

use crate::time::Nanos;

/// Longest message copied whole; a longer SysEx keeps its start and its end
/// byte (loam only counts SysEx), other long garbage is cut.
pub const MAX_BYTES: usize = 64;

/// One incoming message, stamped on loam's clock.
#[derive(Clone, Copy, Debug)]
pub struct Stamped {
    /// When it arrived, on loam's monotonic clock.
    pub nanos: Nanos,
    /// Bytes used in `bytes`.
    pub len: u8,
    /// The message's bytes, the first `len` of them used.
    pub bytes: [u8; MAX_BYTES],
}

impl Stamped {
    /// Copies `bytes` (see [`MAX_BYTES`]).
    pub fn new(nanos: Nanos, bytes: &[u8]) -> Stamped {
        let mut s = Stamped {
            nanos,
            len: bytes.len().min(MAX_BYTES) as u8,
            bytes: [0; MAX_BYTES],
        };
        let n = s.len as usize;
        s.bytes[..n].copy_from_slice(&bytes[..n]);
        if bytes.len() > MAX_BYTES && bytes[0] == 0xF0 {
            s.bytes[MAX_BYTES - 1] = *bytes.last().unwrap_or(&0xF7);
        }
        s
    }

    /// The message's bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes[..self.len as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_sysex_keeps_its_end() {
        let mut long = vec![0xF0];
        long.extend(std::iter::repeat_n(1u8, 100));
        long.push(0xF7);
        let s = Stamped::new(Nanos(5), &long);
        assert_eq!(s.bytes().len(), MAX_BYTES);
        assert_eq!(s.bytes()[0], 0xF0);
        assert_eq!(*s.bytes().last().unwrap(), 0xF7);
        assert_eq!(
            Stamped::new(Nanos(1), &[0x90, 60, 100]).bytes(),
            &[0x90, 60, 100]
        );
    }
}
