//! Bringing every segment to one level: by peak (the default) or by EBU R128
//! integrated loudness, never past a peak ceiling.

/// How segments are levelled.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "by", rename_all = "lowercase")]
pub enum Normalise {
    /// Scale so the peak sits at `db` dBFS.
    Peak {
        /// Target peak in dBFS (−1).
        db: f32,
    },
    /// Scale so the EBU R128 integrated loudness is `lufs`, unless that
    /// would take the peak past `ceiling_db`. Segments shorter than one
    /// 400 ms gating block have no integrated loudness and are peak
    /// normalised to the ceiling instead (said in the report).
    Loudness {
        /// Target loudness in LUFS (−18).
        lufs: f32,
        /// Peak ceiling in dBFS (−1).
        ceiling_db: f32,
    },
    /// Leave the level as it is.
    None,
}

impl Default for Normalise {
    fn default() -> Normalise {
        Normalise::Peak { db: -1.0 }
    }
}

/// What levelling did to one segment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Levelled {
    /// Gain applied, in dB.
    pub gain_db: f32,
    /// Integrated loudness before levelling, in LUFS (loudness mode, when
    /// the segment is long enough to have one).
    pub loudness_lufs: Option<f32>,
}

/// Levels `segment` (mono, `sample_rate` Hz) in place.
pub fn normalise(segment: &mut [f32], sample_rate: u32, how: Normalise) -> Levelled {
    let peak = segment.iter().fold(0f32, |p, x| p.max(x.abs()));
    if peak <= 0.0 {
        return Levelled {
            gain_db: 0.0,
            loudness_lufs: None,
        };
    }
    let peak_db = 20.0 * peak.log10();
    let (gain_db, loudness_lufs) = match how {
        Normalise::None => (0.0, None),
        Normalise::Peak { db } => (db - peak_db, None),
        Normalise::Loudness { lufs, ceiling_db } => match integrated_loudness(segment, sample_rate)
        {
            Some(measured) => ((lufs - measured).min(ceiling_db - peak_db), Some(measured)),
            None => (ceiling_db - peak_db, None),
        },
    };
    let gain = 10f32.powf(gain_db / 20.0);
    for x in segment.iter_mut() {
        *x *= gain;
    }
    Levelled {
        gain_db,
        loudness_lufs,
    }
}

/// EBU R128 integrated loudness of mono `samples`, in LUFS; `None` when
/// it is undefined (shorter than a gating block, or silent).
pub fn integrated_loudness(samples: &[f32], sample_rate: u32) -> Option<f32> {
    let mut meter = ebur128::EbuR128::new(1, sample_rate, ebur128::Mode::I).ok()?;
    meter.add_frames_f32(samples).ok()?;
    let lufs = meter.loudness_global().ok()?;
    lufs.is_finite().then_some(lufs as f32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(freq: f32, seconds: f32, amp: f32) -> Vec<f32> {
        (0..(48_000.0 * seconds) as usize)
            .map(|i| amp * (std::f32::consts::TAU * freq * i as f32 / 48_000.0).sin())
            .collect()
    }

    #[test]
    fn peak_mode_puts_the_peak_at_the_target() {
        let mut x = sine(440.0, 0.1, 0.25);
        let done = normalise(&mut x, 48_000, Normalise::Peak { db: -1.0 });
        let peak = x.iter().fold(0f32, |p, v| p.max(v.abs()));
        assert!((20.0 * peak.log10() + 1.0).abs() < 0.01);
        assert!((done.gain_db - (-1.0 - 20.0 * 0.25f32.log10())).abs() < 0.05);
    }

    #[test]
    fn loudness_mode_reaches_the_target_unless_the_ceiling_stops_it() {
        // A 1 kHz sine at −20 dBFS peak reads about −23 LUFS (−3 dB for RMS,
        // +0.7 dB K-weighting at 1 kHz, −0.691 offset).
        let mut x = sine(1000.0, 2.0, 0.1);
        let done = normalise(
            &mut x,
            48_000,
            Normalise::Loudness {
                lufs: -18.0,
                ceiling_db: -1.0,
            },
        );
        let before = done.loudness_lufs.unwrap();
        assert!((before - -23.0).abs() < 0.5, "{before}");
        let after = integrated_loudness(&x, 48_000).unwrap();
        assert!((after - -18.0).abs() < 0.1, "{after}");
        // Asking for −3 LUFS would push the peak past −1 dBFS: the ceiling wins.
        let mut y = sine(1000.0, 2.0, 0.1);
        normalise(
            &mut y,
            48_000,
            Normalise::Loudness {
                lufs: -3.0,
                ceiling_db: -1.0,
            },
        );
        let peak = y.iter().fold(0f32, |p, v| p.max(v.abs()));
        assert!((20.0 * peak.log10() + 1.0).abs() < 0.01);
    }

    #[test]
    fn a_segment_too_short_for_loudness_is_peak_levelled_to_the_ceiling() {
        let mut x = sine(1000.0, 0.2, 0.1);
        let done = normalise(
            &mut x,
            48_000,
            Normalise::Loudness {
                lufs: -18.0,
                ceiling_db: -1.0,
            },
        );
        assert_eq!(done.loudness_lufs, None);
        let peak = x.iter().fold(0f32, |p, v| p.max(v.abs()));
        assert!((20.0 * peak.log10() + 1.0).abs() < 0.01);
    }
}
