//! The built-in drum kit, synthesised at load time in `f64`.
//!
//! Every voice is a plain function of the sample rate: noise comes from a
//! fixed-seed xorshift generator, oscillators from integer frame counts, so
//! the same rate always gives bit-identical samples. Recipes follow the
//! TR-808 where it has one (six square oscillators at the 808's metallic
//! ratios for the hats, two squares at 540/800 Hz for the cowbell, a swept
//! sine for kick and toms, staggered noise bursts for the clap); the bell is
//! additive, after Jean-Claude Risset's inharmonic bell partials.
//!
//! Each sound is mono, faded out over its last 5 ms, and normalised to a
//! peak of 0.9.

use std::f64::consts::{PI, TAU};

use super::filter::Biquad;
use super::sample::Sample;
use crate::data::credit::{credit_for, CreditedSource};

/// What `Sample::source` says for every kit sound.
pub const KIT_SOURCE: &str = "built-in kit";

/// Peak level of every kit sound.
const PEAK: f64 = 0.9;

/// The kit's names, in the order [`drum_kit`] returns them.
pub const KIT_NAMES: [&str; 12] = [
    "kick", "snare", "hat", "openhat", "clap", "rim", "lowtom", "tom", "hightom", "cowbell",
    "shaker", "bell",
];

/// Renders the whole kit at `sample_rate` (load time only; takes a few
/// milliseconds).
pub fn drum_kit(sample_rate: u32) -> Vec<Sample> {
    let sr = sample_rate.max(1);
    let voices: [(&str, Vec<f64>); 12] = [
        ("kick", kick(sr)),
        ("snare", snare(sr)),
        ("hat", hat(sr, 0.018, 0.15, 11)),
        ("openhat", hat(sr, 0.16, 0.8, 12)),
        ("clap", clap(sr)),
        ("rim", rim(sr)),
        ("lowtom", tom(sr, 90.0, 21)),
        ("tom", tom(sr, 130.0, 22)),
        ("hightom", tom(sr, 190.0, 23)),
        ("cowbell", cowbell(sr)),
        ("shaker", shaker(sr)),
        ("bell", bell(sr)),
    ];
    voices
        .into_iter()
        .map(|(name, data)| finish(name, data, sr))
        .collect()
}

/// 808-style bass drum: sine swept from ~158 Hz down to 48 Hz, a noise click,
/// gentle saturation.
fn kick(sr: u32) -> Vec<f64> {
    let mut click_hp = Biquad::highpass(sr, 2000.0, 0.707);
    let mut noise = Noise::new(1);
    let mut phase = 0.0;
    render(sr, 0.8, |t| {
        let freq = 48.0 + 110.0 * (-t / 0.035).exp();
        phase += TAU * freq / f64::from(sr);
        let body = phase.sin() * (-t / 0.13).exp();
        let click = click_hp.process(noise.next()) * (-t / 0.003).exp() * 0.4;
        (1.6 * (body + click)).tanh()
    })
}

/// Snare: two slightly pitch-dropping tones (180/330 Hz) and band-passed
/// noise for the wires.
fn snare(sr: u32) -> Vec<f64> {
    let mut hp = Biquad::highpass(sr, 1200.0, 0.707);
    let mut bp = Biquad::bandpass(sr, 5000.0, 0.6);
    let mut noise = Noise::new(2);
    let (mut p1, mut p2) = (0.0, 0.0);
    render(sr, 0.4, |t| {
        let bend = 1.0 + 0.15 * (-t / 0.01).exp();
        p1 += TAU * 180.0 * bend / f64::from(sr);
        p2 += TAU * 330.0 * bend / f64::from(sr);
        let tone = (0.6 * p1.sin() + 0.35 * p2.sin()) * (-t / 0.06).exp();
        let wires = bp.process(hp.process(noise.next())) * (-t / 0.08).exp();
        0.7 * tone + 1.6 * wires
    })
}

/// The TR-808's six hi-hat/cymbal square-wave frequencies.
const METAL_HZ: [f64; 6] = [205.3, 304.4, 369.6, 522.7, 540.0, 800.0];

/// Hi-hat: six squares at 808 ratios plus a little noise, band-passed around
/// 10 kHz and high-passed at 7 kHz. `decay` sets closed or open.
fn hat(sr: u32, decay: f64, secs: f64, seed: u32) -> Vec<f64> {
    let mut bp = Biquad::bandpass(sr, 10000.0, 1.2);
    let mut hp = Biquad::highpass(sr, 7000.0, 0.707);
    let mut noise = Noise::new(seed);
    let mut i = 0u64;
    render(sr, secs, |t| {
        let metal: f64 = METAL_HZ.iter().map(|&f| square(f, i, sr)).sum::<f64>() / 6.0;
        i += 1;
        let x = hp.process(bp.process(metal + 0.3 * noise.next()));
        let attack = (t / 0.0005).min(1.0);
        x * attack * (-t / decay).exp()
    })
}

/// Hand clap: four noise bursts 11 ms apart, then a diffuse tail, all
/// band-passed around 1.1 kHz.
fn clap(sr: u32) -> Vec<f64> {
    let mut bp = Biquad::bandpass(sr, 1100.0, 1.8);
    let mut hp = Biquad::highpass(sr, 600.0, 0.707);
    let mut noise = Noise::new(3);
    render(sr, 0.45, |t| {
        let bursts = (0..4)
            .map(|k| t - 0.011 * f64::from(k))
            .filter(|&d| d >= 0.0)
            .map(|d| (-d / 0.0035).exp())
            .fold(0.0, f64::max);
        let tail = if t >= 0.033 {
            0.7 * (-(t - 0.033) / 0.09).exp()
        } else {
            0.0
        };
        hp.process(bp.process(noise.next())) * bursts.max(tail)
    })
}

/// Rim shot: a click exciting two resonant band-passes (1.7 kHz, 480 Hz).
fn rim(sr: u32) -> Vec<f64> {
    let mut high = Biquad::bandpass(sr, 1700.0, 40.0);
    let mut low = Biquad::bandpass(sr, 480.0, 15.0);
    let mut hp = Biquad::highpass(sr, 250.0, 0.707);
    let mut click_hp = Biquad::highpass(sr, 3000.0, 0.707);
    let mut noise = Noise::new(4);
    let mut first = true;
    render(sr, 0.09, |t| {
        let n = noise.next();
        let excite = if first { 1.0 } else { 0.0 } + n * (-t / 0.0008).exp();
        first = false;
        let body = high.process(excite) + 0.6 * low.process(excite);
        let click = click_hp.process(n) * (-t / 0.001).exp() * 0.05;
        hp.process(body + click) * (-t / 0.03).exp()
    })
}

/// Tom: sine swept down to `base` Hz, with a short low-passed noise strike.
fn tom(sr: u32, base: f64, seed: u32) -> Vec<f64> {
    let mut lp = Biquad::lowpass(sr, 2500.0, 0.707);
    let mut noise = Noise::new(seed);
    let mut phase = 0.0;
    render(sr, 0.75, |t| {
        let freq = base * (1.0 + 0.6 * (-t / 0.04).exp());
        phase += TAU * freq / f64::from(sr);
        let body = phase.sin() * (-t / 0.15).exp();
        let strike = lp.process(noise.next()) * (-t / 0.008).exp() * 0.3;
        body + strike
    })
}

/// Cowbell: two squares at 540 and 800 Hz through two band-passes, with
/// the 808's fast-then-slow two-stage decay.
fn cowbell(sr: u32) -> Vec<f64> {
    let mut low = Biquad::bandpass(sr, 800.0, 1.0);
    let mut high = Biquad::bandpass(sr, 2600.0, 2.0);
    let mut i = 0u64;
    render(sr, 0.45, |t| {
        let x = 0.5 * (square(540.0, i, sr) + square(800.0, i, sr));
        i += 1;
        let env = 0.65 * (-t / 0.012).exp() + 0.35 * (-t / 0.1).exp();
        let attack = (t / 0.0005).min(1.0);
        (low.process(x) + 0.5 * high.process(x)) * env * attack
    })
}

/// Shaker: high, band-passed noise with a smooth rise and fall.
fn shaker(sr: u32) -> Vec<f64> {
    let mut hp = Biquad::highpass(sr, 4500.0, 0.707);
    let mut bp = Biquad::bandpass(sr, 8000.0, 0.9);
    let mut noise = Noise::new(5);
    let rise = 0.03;
    render(sr, 0.18, |t| {
        let env = if t < rise {
            (0.5 - 0.5 * (PI * t / rise).cos()).powi(2)
        } else {
            (-(t - rise) / 0.03).exp()
        };
        bp.process(hp.process(noise.next())) * env
    })
}

/// Risset's bell partials: (frequency ratio, amplitude, relative duration,
/// detune in Hz).
const BELL_PARTIALS: [(f64, f64, f64, f64); 11] = [
    (0.56, 1.0, 1.0, 0.0),
    (0.56, 0.67, 0.9, 1.0),
    (0.92, 1.0, 0.65, 0.0),
    (0.92, 1.8, 0.55, 1.7),
    (1.19, 2.67, 0.325, 0.0),
    (1.7, 1.67, 0.35, 0.0),
    (2.0, 1.46, 0.25, 0.0),
    (2.74, 1.33, 0.2, 0.0),
    (3.0, 1.33, 0.15, 0.0),
    (3.76, 1.0, 0.1, 0.0),
    (4.07, 1.33, 0.075, 0.0),
];

/// Metallic bell (additive, 11 inharmonic partials on 880 Hz) with a short
/// struck transient; bright enough to carry an aksak time-line.
fn bell(sr: u32) -> Vec<f64> {
    const SECS: f64 = 1.5;
    let mut strike_bp = Biquad::bandpass(sr, 3000.0, 1.5);
    let mut noise = Noise::new(6);
    let nyquist = 0.5 * f64::from(sr);
    render(sr, SECS, |t| {
        let partials: f64 = BELL_PARTIALS
            .iter()
            .filter(|p| 880.0 * p.0 + p.3 < nyquist)
            .map(|&(ratio, amp, dur, detune)| {
                let f = 880.0 * ratio + detune;
                amp * (TAU * f * t).sin() * (-t / (dur * SECS * 0.3)).exp()
            })
            .sum();
        let strike = strike_bp.process(noise.next()) * (-t / 0.002).exp() * 2.0;
        (partials / 8.0 + strike) * (t / 0.001).min(1.0)
    })
}

/// Calls `f(t)` for each frame of `secs` seconds, `t` in seconds computed
/// from the integer frame index.
fn render(sr: u32, secs: f64, mut f: impl FnMut(f64) -> f64) -> Vec<f64> {
    let frames = ((secs * f64::from(sr)).round() as usize).max(1);
    (0..frames).map(|i| f(i as f64 / f64::from(sr))).collect()
}

/// A naive square wave (±1) at `freq` Hz for frame `i`. Its aliasing is part
/// of the metallic clang it is used for.
fn square(freq: f64, i: u64, sr: u32) -> f64 {
    let cycles = (freq * i as f64 / f64::from(sr)).fract();
    if cycles < 0.5 {
        1.0
    } else {
        -1.0
    }
}

/// Fades the last 5 ms out, normalises to [`PEAK`], converts to a `Sample`.
fn finish(name: &str, mut data: Vec<f64>, sr: u32) -> Sample {
    let fade = ((0.005 * f64::from(sr)) as usize).clamp(1, data.len());
    let start = data.len() - fade;
    for (k, v) in data[start..].iter_mut().enumerate() {
        *v *= 0.5 + 0.5 * (PI * (k + 1) as f64 / fade as f64).cos();
    }
    let peak = data.iter().fold(0.0f64, |p, v| p.max(v.abs()));
    let gain = if peak > 0.0 && peak.is_finite() {
        PEAK / peak
    } else {
        0.0
    };
    Sample {
        name: name.to_string(),
        channels: 1,
        data: data.iter().map(|v| (v * gain) as f32).collect(),
        source: KIT_SOURCE.to_string(),
        credit: credit_for(CreditedSource::BuiltInKit),
    }
}

/// Fixed-seed xorshift32 white noise in [-1, 1).
struct Noise(u32);

impl Noise {
    fn new(seed: u32) -> Self {
        // Mix the seed so small seeds do not start with tiny values.
        Noise(seed.wrapping_mul(0x9E37_79B9) | 1)
    }

    fn next(&mut self) -> f64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.0 = x;
        f64::from(x) / f64::from(u32::MAX) * 2.0 - 1.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kit_has_every_name_in_order() {
        let kit = drum_kit(48000);
        let names: Vec<&str> = kit.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, KIT_NAMES);
        for required in [
            "kick", "snare", "hat", "openhat", "clap", "rim", "tom", "cowbell", "shaker", "bell",
        ] {
            assert!(names.contains(&required), "{required}");
        }
    }

    #[test]
    fn every_sound_is_finite_audible_and_within_peak() {
        for sr in [8000, 22050, 44100, 48000, 96000] {
            for s in drum_kit(sr) {
                assert!(s.data.iter().all(|v| v.is_finite()), "{} @ {sr}", s.name);
                let peak = s.peak();
                assert!(peak <= 1.0 && peak > 0.85, "{} @ {sr}: {peak}", s.name);
                let secs = s.frames() as f64 / f64::from(sr);
                assert!((0.05..=1.5).contains(&secs), "{} @ {sr}: {secs}s", s.name);
                assert_eq!((s.channels, s.source.as_str()), (1, KIT_SOURCE));
                let last = *s.data.last().unwrap_or(&1.0);
                assert!(last.abs() < 1e-6, "{} @ {sr} ends at {last}", s.name);
            }
        }
    }

    #[test]
    fn same_rate_gives_identical_samples() {
        for sr in [44100, 48000] {
            assert_eq!(drum_kit(sr), drum_kit(sr));
        }
        assert_ne!(drum_kit(44100)[0].data.len(), drum_kit(48000)[0].data.len());
    }

    #[test]
    fn kick_is_low_and_hat_is_high() {
        // Zero-crossing rate is a crude brightness measure.
        let kit = drum_kit(48000);
        let rate = |name: &str| {
            let s = kit.iter().find(|s| s.name == name).expect("in kit");
            let zc = s
                .data
                .windows(2)
                .filter(|w| (w[0] < 0.0) != (w[1] < 0.0))
                .count();
            zc as f64 / (s.frames() as f64 / 48000.0) / 2.0
        };
        assert!(rate("kick") < 120.0, "kick {}", rate("kick"));
        assert!(rate("hat") > 5000.0, "hat {}", rate("hat"));
        assert!(rate("lowtom") < rate("tom") && rate("tom") < rate("hightom"));
    }

    #[test]
    fn zero_rate_does_not_panic() {
        assert_eq!(drum_kit(0).len(), KIT_NAMES.len());
    }
}
