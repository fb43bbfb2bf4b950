//! Measuring pitch in rendered audio: the strongest DFT peak near a guess,
//! to a small fraction of a cent (shared by the pitch and makam tests).

/// The sample rate of the renders measured here.
pub const RATE: f64 = 48_000.0;

/// The magnitude of the Hann-windowed DTFT of `x` at `hz`.
pub fn magnitude(x: &[f32], hz: f64) -> f64 {
    let n = x.len() as f64;
    let w = std::f64::consts::TAU * hz / RATE;
    let (mut re, mut im) = (0.0, 0.0);
    for (i, &v) in x.iter().enumerate() {
        let hann = 0.5 - 0.5 * (std::f64::consts::TAU * i as f64 / n).cos();
        let a = v as f64 * hann;
        re += a * (w * i as f64).cos();
        im -= a * (w * i as f64).sin();
    }
    (re * re + im * im).sqrt()
}

/// The frequency of the strongest peak within 3 % of `guess`: a scan in
/// half-cent steps, then a golden-section search round the best.
pub fn measure(x: &[f32], guess: f64) -> f64 {
    let cents = |c: f64| guess * (c / 1200.0).exp2();
    let mut best = (f64::MIN, 0.0);
    let mut c = -50.0;
    while c <= 50.0 {
        let m = magnitude(x, cents(c));
        if m > best.0 {
            best = (m, c);
        }
        c += 0.5;
    }
    let (mut lo, mut hi) = (best.1 - 0.5, best.1 + 0.5);
    let g = (5f64.sqrt() - 1.0) / 2.0;
    for _ in 0..40 {
        let (a, b) = (hi - g * (hi - lo), lo + g * (hi - lo));
        if magnitude(x, cents(a)) > magnitude(x, cents(b)) {
            hi = b;
        } else {
            lo = a;
        }
    }
    cents((lo + hi) / 2.0)
}

/// The left channel of an interleaved stereo render.
pub fn left(stereo: &[f32]) -> Vec<f32> {
    stereo.chunks_exact(2).map(|f| f[0]).collect()
}
