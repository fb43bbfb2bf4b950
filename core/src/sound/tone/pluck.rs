//! A plucked string (Karplus-Strong): a burst of noise circulating in a
//! delay line one period long, through a two-point average that dulls it a
//! little each time round.
//!
//! In tune: the loop's delay is `rate / hz` frames exactly at the note's
//! frequency. The average delays by exactly half a frame at every
//! frequency; the whole frames come from the line; the fraction left comes
//! from a first-order all-pass whose coefficient is solved for that phase
//! delay *at the note's frequency* (`a = sin(ω(1−d)/2) / sin(ω(1+d)/2)`),
//! so the pitch is right to well under a cent at any frequency the line holds.
//!
//! Audio thread: no allocation (the line is allocated with the voice); a
//! note start writes one period of noise.

/// Frames of the delay line each voice holds (a power of two). Its lowest
/// note is `rate / (PLUCK_LINE_FRAMES - 2)` Hz: 5.9 Hz at 48 kHz, 23 Hz at
/// 192 kHz; a lower note plays at that pitch.
pub const PLUCK_LINE_FRAMES: usize = 8192;

/// The string's state.
#[derive(Debug, Default)]
pub struct Pluck {
    line: Box<[f32]>,
    write: usize,
    whole: usize,
    allpass: f32,
    ap_in: f32,
    ap_out: f32,
    last: f32,
    loss: f32,
}

impl Pluck {
    /// A string with its line allocated (control side).
    pub fn new() -> Pluck {
        Pluck {
            line: vec![0.0; PLUCK_LINE_FRAMES].into_boxed_slice(),
            ..Pluck::default()
        }
    }

    /// Plucks at `hz`, ringing down 60 dB in `decay` seconds, with noise
    /// seeded by `seed`. Audio thread: writes one period of the line.
    pub fn start(&mut self, hz: f64, decay: f32, sample_rate: f64, seed: u64) {
        if self.line.is_empty() {
            return;
        }
        let max = (self.line.len() - 2) as f64;
        let period = (sample_rate / hz.max(1.0)).clamp(2.0, max);
        // Delay in the loop: whole frames + 0.5 (average) + d (all-pass), d in [0.1, 1.1).
        let whole = (period - 0.6).floor().max(1.0);
        let d = period - 0.5 - whole;
        let w = std::f64::consts::TAU / period;
        self.allpass = ((w * (1.0 - d) / 2.0).sin() / (w * (1.0 + d) / 2.0).sin()) as f32;
        self.whole = whole as usize;
        // Each pass round the loop loses this factor: −60 dB in `decay` s.
        let passes = (decay.max(0.01) as f64 * hz).max(1.0);
        self.loss = (10f64.powf(-3.0 / passes)) as f32;
        let mut state = seed | 1;
        // Only this period of the line is ever read before the loop
        // writes it again: what lies beyond need not be cleared.
        for i in 0..self.whole + 2 {
            // xorshift64: deterministic noise for a repeatable render.
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            self.line[i] = (state >> 40) as f32 / (1u64 << 23) as f32 - 1.0;
        }
        self.write = self.whole + 2;
        self.ap_in = 0.0;
        self.ap_out = 0.0;
        self.last = 0.0;
    }

    /// The next value of the string.
    #[inline]
    pub fn tick(&mut self) -> f32 {
        if self.line.is_empty() {
            return 0.0;
        }
        let mask = self.line.len() - 1;
        // The line's output `whole` frames back.
        let delayed = self.line[(self.write + self.line.len() - self.whole) & mask];
        // Two-point average (half a frame of delay at every frequency).
        let averaged = 0.5 * (delayed + self.last);
        self.last = delayed;
        // Fractional delay: y = a·x + x[n−1] − a·y[n−1].
        let y = self.allpass * averaged + self.ap_in - self.allpass * self.ap_out;
        self.ap_in = averaged;
        self.ap_out = super::svf::flush(y);
        let fed = super::svf::flush(y * self.loss);
        self.line[self.write & mask] = fed;
        self.write = (self.write + 1) & mask;
        fed
    }
}
