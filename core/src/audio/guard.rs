//! Each source is checked before the mix: a model slot or a voice whose
//! audio is not a number, infinite, or absurdly loud is muted on its own and
//! reported, so one bad source never silences the others.
//!
//! Why before the mix: NaN plus anything is NaN, and one infinity or one
//! value of 10⁶ takes the master limiter's gain to zero or near it, so a
//! single broken model used to silence every sound (the limiter can only
//! clean the sum). Here the audio thread checks each source's block as it
//! adds it; a source that fails is muted at once (none of the failing
//! block is mixed), counted in [`super::EngineStatus::muted_sources`], and
//! named to the control side through a bounded ring of [`SourceFault`]s
//! (the control side tells the performer, once per source).
//!
//! Audio thread only: [`FaultReport::report`] never allocates, locks,
//! prints or waits (it clones an `Arc`, which only counts a reference).

use std::sync::Arc;

use rtrb::{Consumer, Producer, RingBuffer};

use super::EngineStatus;
use crate::sound::Sample;

/// The largest magnitude a source may add to the mix, in linear amplitude
/// (1.0 is full scale): 64.0 is +36 dBFS. Samples are at most 1.0 and a
/// healthy model stays near it, so even a gain of 16 (+24 dB) on either
/// stays under it; above it a source is broken (a model that blew up, a
/// gain typed with three zeros too many), not loud, and would push the
/// master limiter's gain down by 36 dB or more for every other sound.
pub const SOURCE_LIMIT: f32 = 64.0;

/// Muted sources the engine can hold for the control side before it reads
/// them; more in one control step are still muted and counted, only not
/// named.
pub const FAULT_CAPACITY: usize = 64;

/// Why a source was muted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// It produced NaN (not a number).
    NotANumber,
    /// It produced +∞ or −∞.
    Infinite,
    /// It went past [`SOURCE_LIMIT`].
    TooLoud,
}

impl Fault {
    /// What went wrong, in a few words for the performer.
    pub fn describe(self) -> String {
        match self {
            Fault::NotANumber => "produced NaN (not a number)".into(),
            Fault::Infinite => "produced an infinite value".into(),
            Fault::TooLoud => {
                format!("went past ±{SOURCE_LIMIT} (+36 dBFS), far beyond full scale")
            }
        }
    }
}

impl Fault {
    /// One word or two, for `/status`.
    pub fn short(self) -> &'static str {
        match self {
            Fault::NotANumber => "NaN",
            Fault::Infinite => "infinite",
            Fault::TooLoud => "too loud",
        }
    }
}

/// The fault of one value, if it has one. NaN fails every comparison, so
/// the order of the tests matters.
#[inline]
pub fn check(x: f32) -> Option<Fault> {
    if x.abs() <= SOURCE_LIMIT {
        None
    } else if x.is_nan() {
        Some(Fault::NotANumber)
    } else if x.is_infinite() {
        Some(Fault::Infinite)
    } else {
        Some(Fault::TooLoud)
    }
}

/// The worst fault in a block (NaN before infinity before too loud), if any.
///
/// Audio thread: a read-only pass, no allocation.
#[inline]
pub fn scan(block: &[f32]) -> Option<Fault> {
    scan_scaled(block, 1.0)
}

/// The worst fault in a block played at `gain` (linear): a value is bad if
/// it is bad itself or once multiplied by the gain.
///
/// Audio thread: a read-only pass, no allocation.
#[inline]
pub fn scan_scaled(block: &[f32], gain: f32) -> Option<Fault> {
    let mut worst = None;
    for &x in block {
        match check(x).or_else(|| check(x * gain)) {
            None => {}
            Some(Fault::NotANumber) => return Some(Fault::NotANumber),
            // An infinity stays the worst seen unless a NaN comes.
            Some(_) if worst == Some(Fault::Infinite) => {}
            Some(f) => worst = Some(f),
        }
    }
    worst
}

/// Which source was muted.
#[derive(Clone, Debug)]
pub enum MixSource {
    /// A model slot (the control side knows which model plays there).
    Model {
        /// The slot, 0 … [`MODEL_SLOTS`](super::model_slots::MODEL_SLOTS) − 1.
        slot: usize,
    },
    /// A voice playing this sound.
    Voice(Arc<Sample>),
}

/// One muted source, sent from the audio thread to the control side.
#[derive(Clone, Debug)]
pub struct SourceFault {
    /// What was muted.
    pub source: MixSource,
    /// What was wrong with its output.
    pub fault: Fault,
    /// The engine frame of the block in which it was muted.
    pub frame: u64,
}

/// The audio side of fault reporting: counts every muted source and names
/// it to the control side while the ring has room.
pub struct FaultReport {
    ring: Producer<SourceFault>,
    status: Arc<EngineStatus>,
    /// The first frame of the block being rendered.
    pub frame: u64,
}

impl FaultReport {
    /// The audio side and the control side's end of the ring.
    pub fn new(status: Arc<EngineStatus>) -> (FaultReport, Consumer<SourceFault>) {
        let (ring, rx) = RingBuffer::new(FAULT_CAPACITY);
        (
            FaultReport {
                ring,
                status,
                frame: 0,
            },
            rx,
        )
    }

    /// Counts a muted source and names it if the ring has room.
    ///
    /// Audio thread: no allocation, lock, print or wait.
    pub fn report(&mut self, source: MixSource, fault: Fault) {
        EngineStatus::count(&self.status.muted_sources);
        let _ = self.ring.push(SourceFault {
            source,
            fault,
            frame: self.frame,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn healthy_values_pass_and_bad_ones_are_named() {
        assert_eq!(check(0.0), None);
        assert_eq!(check(-1.0), None);
        assert_eq!(check(SOURCE_LIMIT), None);
        assert_eq!(check(-SOURCE_LIMIT), None);
        assert_eq!(check(SOURCE_LIMIT * 1.001), Some(Fault::TooLoud));
        assert_eq!(check(-1e6), Some(Fault::TooLoud));
        assert_eq!(check(f32::NAN), Some(Fault::NotANumber));
        assert_eq!(check(f32::INFINITY), Some(Fault::Infinite));
        assert_eq!(check(f32::NEG_INFINITY), Some(Fault::Infinite));
    }

    #[test]
    fn a_block_reports_its_worst_fault() {
        assert_eq!(scan(&[0.1, -0.5, 1.0]), None);
        assert_eq!(scan(&[0.1, 100.0, 0.2]), Some(Fault::TooLoud));
        assert_eq!(scan(&[100.0, f32::INFINITY, 100.0]), Some(Fault::Infinite));
        assert_eq!(
            scan(&[f32::INFINITY, f32::NAN, 100.0]),
            Some(Fault::NotANumber)
        );
    }

    #[test]
    fn a_gain_can_make_a_healthy_block_too_loud() {
        assert_eq!(scan_scaled(&[0.5, -1.0], 16.0), None);
        assert_eq!(scan_scaled(&[0.5, -1.0], 100.0), Some(Fault::TooLoud));
        assert_eq!(scan_scaled(&[0.5, f32::MAX], 0.0), Some(Fault::TooLoud));
        assert_eq!(scan_scaled(&[f32::NAN], 0.0), Some(Fault::NotANumber));
    }

    #[test]
    fn every_report_is_counted_and_the_ring_never_blocks() {
        let status = Arc::new(EngineStatus::default());
        let (mut report, mut rx) = FaultReport::new(status.clone());
        for _ in 0..FAULT_CAPACITY + 10 {
            report.report(MixSource::Model { slot: 3 }, Fault::Infinite);
        }
        assert_eq!(
            EngineStatus::get(&status.muted_sources),
            (FAULT_CAPACITY + 10) as u64
        );
        let mut named = 0;
        while let Ok(f) = rx.pop() {
            assert!(matches!(f.source, MixSource::Model { slot: 3 }));
            named += 1;
        }
        assert_eq!(named, FAULT_CAPACITY);
    }
}
