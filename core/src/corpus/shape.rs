//! The spectral shape of one magnitude spectrum: FluCoMa's SpectralShape set
//! (centroid, spread, skewness, kurtosis, rolloff, flatness, crest).
//!
//! The magnitudes are treated as a distribution over frequency (bin `k` at
//! `k × rate / fft` Hz, from 0 Hz to Nyquist): centroid is its mean, spread
//! its standard deviation, skewness and kurtosis its third and fourth
//! standardised moments (a flat spectrum, being a uniform distribution, has
//! skewness 0 and kurtosis 1.8; a Gaussian-shaped one has kurtosis 3). The
//! rolloff is the frequency below which 95 % of the summed magnitude lies.
//! Flatness is the geometric over the arithmetic mean of the magnitudes and
//! crest the largest over the arithmetic mean, both as 20·log10 dB (0 dB for
//! a flat spectrum; flatness is negative and crest positive otherwise).

/// The fraction of the summed magnitude the rolloff frequency lies above.
pub const ROLLOFF_FRACTION: f64 = 0.95;

/// Added to each magnitude before its logarithm in the flatness, so an
/// exactly-zero bin gives a finite (very low) flatness rather than −∞.
pub const MAGNITUDE_EPSILON: f64 = 1e-10;

/// The seven shape descriptors of one spectrum.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct SpectralShape {
    /// Centroid, in Hz.
    pub centroid_hz: f64,
    /// Spread (standard deviation about the centroid), in Hz.
    pub spread_hz: f64,
    /// Skewness (third standardised moment), unitless.
    pub skewness: f64,
    /// Kurtosis (fourth standardised moment, not excess), unitless.
    pub kurtosis: f64,
    /// 95 % rolloff frequency, in Hz.
    pub rolloff_hz: f64,
    /// Flatness, in dB (≤ 0).
    pub flatness_db: f64,
    /// Crest, in dB (≥ 0).
    pub crest_db: f64,
}

impl SpectralShape {
    /// The shape of `magnitudes` (bins 0..=fft/2) of an `fft`-point
    /// transform at `sample_rate` Hz; `None` when the spectrum is silent.
    pub fn of(magnitudes: &[f64], fft: usize, sample_rate: u32) -> Option<SpectralShape> {
        let total: f64 = magnitudes.iter().sum();
        if total <= 0.0 || !total.is_finite() || magnitudes.is_empty() {
            return None;
        }
        let bin_hz = f64::from(sample_rate) / fft as f64;
        let centroid = magnitudes
            .iter()
            .enumerate()
            .map(|(k, m)| k as f64 * m)
            .sum::<f64>()
            / total
            * bin_hz;
        let (mut m2, mut m3, mut m4) = (0.0, 0.0, 0.0);
        for (k, &m) in magnitudes.iter().enumerate() {
            let d = k as f64 * bin_hz - centroid;
            let d2 = d * d;
            m2 += d2 * m;
            m3 += d2 * d * m;
            m4 += d2 * d2 * m;
        }
        let variance = m2 / total;
        let spread = variance.sqrt();
        let (skewness, kurtosis) = if spread > 0.0 {
            (
                m3 / total / (spread * variance),
                m4 / total / (variance * variance),
            )
        } else {
            (0.0, 0.0)
        };
        let mut cumulative = 0.0;
        let mut rolloff_bin = magnitudes.len() - 1;
        for (k, &m) in magnitudes.iter().enumerate() {
            cumulative += m;
            if cumulative >= ROLLOFF_FRACTION * total {
                rolloff_bin = k;
                break;
            }
        }
        let n = magnitudes.len() as f64;
        let mean = total / n;
        let log_mean = magnitudes
            .iter()
            .map(|m| (m + MAGNITUDE_EPSILON).ln())
            .sum::<f64>()
            / n;
        let max = magnitudes.iter().copied().fold(0.0, f64::max);
        Some(SpectralShape {
            centroid_hz: centroid,
            spread_hz: spread,
            skewness,
            kurtosis,
            rolloff_hz: rolloff_bin as f64 * bin_hz,
            flatness_db: 20.0 * (log_mean.exp() / mean).log10(),
            crest_db: 20.0 * (max / mean).log10(),
        })
    }

    /// The descriptors as an array, in the order of [`SHAPE_NAMES`].
    pub fn values(&self) -> [f64; 7] {
        [
            self.centroid_hz,
            self.spread_hz,
            self.skewness,
            self.kurtosis,
            self.rolloff_hz,
            self.flatness_db,
            self.crest_db,
        ]
    }
}

/// The descriptors' names and units, in the order of [`SpectralShape::values`].
pub const SHAPE_NAMES: [(&str, &str); 7] = [
    ("centroid", "Hz"),
    ("spread", "Hz"),
    ("skewness", "1"),
    ("kurtosis", "1"),
    ("rolloff95", "Hz"),
    ("flatness", "dB"),
    ("crest", "dB"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flat_spectrum_is_uniform() {
        let flat = vec![1.0; 1025];
        let s = SpectralShape::of(&flat, 2048, 48_000).unwrap();
        assert!((s.centroid_hz - 12_000.0).abs() < 1e-6);
        assert!(s.skewness.abs() < 1e-9);
        // A uniform distribution's kurtosis is 9/5.
        assert!((s.kurtosis - 1.8).abs() < 0.01, "{}", s.kurtosis);
        assert!(s.flatness_db.abs() < 1e-6 && s.crest_db.abs() < 1e-9);
        assert!(
            (s.rolloff_hz - 0.95 * 24_000.0).abs() <= 24.0,
            "{}",
            s.rolloff_hz
        );
    }

    #[test]
    fn a_gaussian_shaped_spectrum_has_gaussian_moments() {
        // Centred at bin 400 with a standard deviation of 40 bins.
        let g: Vec<f64> = (0..1025)
            .map(|k| (-((k as f64 - 400.0) / 40.0).powi(2) / 2.0).exp())
            .collect();
        let s = SpectralShape::of(&g, 2048, 48_000).unwrap();
        let bin = 48_000.0 / 2048.0;
        assert!((s.centroid_hz - 400.0 * bin).abs() < 0.01);
        assert!((s.spread_hz - 40.0 * bin).abs() < 0.01);
        assert!(s.skewness.abs() < 1e-6);
        assert!((s.kurtosis - 3.0).abs() < 1e-3, "{}", s.kurtosis);
        assert!(s.flatness_db < -20.0 && s.crest_db > 10.0);
    }

    #[test]
    fn a_single_line_has_no_spread_and_maximal_crest() {
        let mut line = vec![0.0; 1025];
        line[100] = 1.0;
        let s = SpectralShape::of(&line, 2048, 48_000).unwrap();
        assert_eq!(s.spread_hz, 0.0);
        assert!((s.rolloff_hz - s.centroid_hz).abs() < 1e-9);
        assert!((s.crest_db - 20.0 * 1025f64.log10()).abs() < 1e-9);
        assert_eq!(SpectralShape::of(&[0.0; 1025], 2048, 48_000), None);
    }

    #[test]
    fn energy_above_the_centroid_skews_positive() {
        // Most energy low, a long tail high: positive skew.
        let tail: Vec<f64> = (0..1025).map(|k| (-(k as f64) / 100.0).exp()).collect();
        let s = SpectralShape::of(&tail, 2048, 48_000).unwrap();
        assert!(s.skewness > 1.0, "{}", s.skewness);
    }
}
