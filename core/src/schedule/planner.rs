//! The planner: what sounds in each bar.
//!
//! Bars are planned in order. Before bar `n` is planned, changes asked for
//! "at the next bar" take effect at `n`; octave changes and loop
//! replacements wait for the next bar where the loop's old and new cycle
//! grids meet (see [`TempoOctave::meeting_bar`]), so downbeats never move.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{Change, LoopDef};
use crate::audio::SoundEvent;
use crate::corpus::live::Corpora;
use crate::pattern::{query_transformed, values, QueryContext};
use crate::sound::SoundBank;
use crate::time::{exact, Metre, Rational, Tempo, TempoOctave, Timeline};

/// A loop as the planner keeps it: what plays now, and what waits.
#[derive(Debug)]
struct LoopState {
    /// `None` until a new loop's first boundary.
    current: Option<LoopDef>,
    muted: bool,
    /// A replacement (or, with `None`, a stop) and the bar it takes effect.
    pending: Option<(i64, Option<LoopDef>)>,
    /// Gain set from outside (a MIDI knob), times the loop's own.
    gain_scale: f32,
}

/// Decides the events of each bar from loops, metre, tempo and octaves.
pub struct Planner {
    timeline: Timeline,
    bank: SoundBank,
    loops: BTreeMap<String, LoopState>,
    global_octave: TempoOctave,
    solo: Option<String>,
    pending_octave: Option<(i64, TempoOctave)>,
    seed: u64,
    quantum: i64,
    next_bar: i64,
    messages: Vec<String>,
    /// Model operations for the control thread (models play only live).
    model_ops: Vec<super::ModelOp>,
    /// Live input operations scripts asked for, for the control thread.
    input_ops: Vec<super::InputOp>,
    warned: std::collections::BTreeSet<String>,
    /// Notes of loops that play MIDI, sorted by frame, until taken.
    midi_notes: std::collections::VecDeque<super::PlannedNote>,
    /// The global tuning and what pitched notes need (see [`super::pitched`]).
    pitched: super::pitched::PitchedNotes,
    /// Mapped corpora patterns may name by map point or cursor.
    corpora: Corpora,
    /// Signals sent to OSC subscribers as `/signal/NAME`, by name.
    signal_outs: BTreeMap<String, crate::pattern::signal::Signal>,
}

impl Planner {
    /// A planner at 120 BPM in the default metre, no loops, planning bar 0 next.
    pub fn new(sample_rate: u32, bank: SoundBank) -> Planner {
        Planner {
            timeline: Timeline::new(
                sample_rate,
                Metre::default(),
                Tempo::bpm(120.0).unwrap_or_else(|_| unreachable!()),
            ),
            bank,
            loops: BTreeMap::new(),
            global_octave: TempoOctave::default(),
            solo: None,
            pending_octave: None,
            seed: 0,
            quantum: 1,
            next_bar: 0,
            messages: Vec::new(),
            model_ops: Vec::new(),
            input_ops: Vec::new(),
            warned: Default::default(),
            midi_notes: Default::default(),
            pitched: Default::default(),
            corpora: Corpora::default(),
            signal_outs: BTreeMap::new(),
        }
    }

    /// Pitched notes: the global tuning, the clamped-note count, and the
    /// frequencies a loop's word plays ([`super::pitched::PitchedNotes::frequencies`]).
    pub fn pitched(&self) -> &super::pitched::PitchedNotes {
        &self.pitched
    }

    /// The signals sent to OSC subscribers (`/signal/NAME`), by name.
    pub fn signal_outs(&self) -> &BTreeMap<String, crate::pattern::signal::Signal> {
        &self.signal_outs
    }

    /// The seed of every random choice (`seed(n)`): `rand` and `perlin`
    /// signals read outside patterns draw with it too.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Where the music is at `frame`, in cycles of the session's tempo
    /// octave (bars at octave 0): the time signals are read at.
    pub fn cycles_at_frame(&self, frame: u64) -> Rational {
        self.timeline.position_at_frame(frame) * self.global_octave.cycles_per_bar()
    }

    /// The corpora in play (their maps and cursors).
    pub fn corpora(&self) -> &Corpora {
        &self.corpora
    }

    /// The corpora in play, to move a cursor.
    pub fn corpora_mut(&mut self) -> &mut Corpora {
        &mut self.corpora
    }

    /// Bar positions to frames, over every tempo and metre change so far.
    pub fn timeline(&self) -> &Timeline {
        &self.timeline
    }

    /// The sounds loops and plays draw on.
    pub fn bank(&self) -> &SoundBank {
        &self.bank
    }

    /// The sounds, to load or replace some.
    pub fn bank_mut(&mut self) -> &mut SoundBank {
        &mut self.bank
    }

    /// The next bar that will be planned.
    pub fn next_bar(&self) -> i64 {
        self.next_bar
    }

    /// The session's tempo octave (each loop's own adds to it).
    pub fn global_octave(&self) -> TempoOctave {
        self.global_octave
    }

    /// Names of the loops playing or about to play.
    pub fn loop_names(&self) -> Vec<String> {
        self.loops.keys().cloned().collect()
    }

    /// Plans again from bar `bar` on (after a change made now made later plans stale).
    pub fn rewind_to(&mut self, bar: i64) {
        self.next_bar = self.next_bar.min(bar);
    }

    /// Changes one loop's own octave at the next bar where its grids meet.
    pub fn set_loop_octave(&mut self, name: &str, k: TempoOctave) -> Result<(), LoopOctaveError> {
        let state = self
            .loops
            .get(name)
            .ok_or_else(|| LoopOctaveError::NoLoop(name.to_string()))?;
        let mut def = match (&state.pending, &state.current) {
            (Some((_, Some(d))), _) | (_, Some(d)) => d.clone(),
            _ => return Err(LoopOctaveError::Stopping(name.to_string())),
        };
        def.octave = k;
        self.apply(Change::Loop(def));
        Ok(())
    }

    /// Mutes or unmutes a loop from the next planned bar. False if there is no such loop.
    pub fn set_muted(&mut self, name: &str, muted: bool) -> bool {
        match self.loops.get_mut(name) {
            Some(s) => {
                s.muted = muted;
                true
            }
            None => false,
        }
    }

    /// Scales a loop's gain from the next planned bar (a MIDI knob). False
    /// if there is no such loop.
    pub fn set_loop_gain(&mut self, name: &str, gain: f32) -> bool {
        match self.loops.get_mut(name) {
            Some(s) => {
                s.gain_scale = if gain.is_finite() { gain.max(0.0) } else { 1.0 };
                true
            }
            None => false,
        }
    }

    /// MIDI notes of loops that play MIDI, due before `frame`, in order.
    pub fn take_midi_notes_before(&mut self, frame: u64) -> Vec<super::PlannedNote> {
        let n = self.midi_notes.partition_point(|m| m.frame < frame);
        self.midi_notes.drain(..n).collect()
    }

    /// Forgets planned MIDI notes from `frame` on (they are planned again).
    pub fn drop_midi_notes_from(&mut self, frame: u64) {
        self.midi_notes.retain(|m| m.frame < frame);
    }

    /// Plays only this loop (`None`: all loops again). False if there is no such loop.
    pub fn set_solo(&mut self, name: Option<&str>) -> bool {
        if let Some(n) = name {
            if !self.loops.contains_key(n) {
                return false;
            }
        }
        self.solo = name.map(str::to_string);
        true
    }

    /// Stops every loop at once (hush): nothing more is planned until new loops arrive.
    pub fn clear_loops(&mut self) {
        self.loops.clear();
        self.solo = None;
    }

    /// Frame at which the next unplanned bar starts.
    pub fn next_bar_frame(&self) -> u64 {
        self.timeline
            .frame_at(Rational::from_integer(self.next_bar as i128))
    }

    /// Model operations asked for since the last call.
    pub fn take_model_ops(&mut self) -> Vec<super::ModelOp> {
        std::mem::take(&mut self.model_ops)
    }

    /// Live input operations asked for since the last call (capture, gain, monitor).
    pub fn take_input_ops(&mut self) -> Vec<super::InputOp> {
        std::mem::take(&mut self.input_ops)
    }

    /// Messages for the performer (unknown sounds, failed sample loads).
    pub fn take_messages(&mut self) -> Vec<String> {
        std::mem::take(&mut self.messages)
    }

    fn octave_of(&self, def: &LoopDef) -> TempoOctave {
        self.global_octave.combined(def.octave)
    }

    /// Applies a change that waits for the next bar (or grid meeting point).
    pub fn apply(&mut self, change: Change) {
        let bar = self.next_bar;
        let bar_pos = Rational::from_integer(bar as i128);
        match change {
            Change::Tempo { tempo, .. } => self.timeline.set_tempo(bar_pos, tempo),
            Change::Metre { metre, .. } => self.timeline.set_metre(bar, metre),
            Change::Octave(k) => {
                let mut at = bar;
                for state in self.loops.values() {
                    if let Some(def) = &state.current {
                        let old = self.global_octave.combined(def.octave);
                        let new = k.combined(def.octave);
                        at = at.max(TempoOctave::meeting_bar(old, new, bar));
                    }
                }
                self.pending_octave = Some((at, k));
            }
            Change::Loop(def) => {
                // Every way a loop comes in (scripts, loop functions) meets
                // this size check before the loop is ever queried.
                if let Err(e) = def.check_size() {
                    self.messages
                        .push(format!("{e} (keeps its last good version)"));
                    return;
                }
                let new = self.octave_of(&def);
                let name = def.name.clone();
                let state = self.loops.entry(name).or_insert(LoopState {
                    current: None,
                    muted: false,
                    pending: None,
                    gain_scale: 1.0,
                });
                let old = state
                    .current
                    .as_ref()
                    .map(|d| self.global_octave.combined(d.octave))
                    .unwrap_or(new);
                let at = TempoOctave::meeting_bar(old, new, bar);
                let at = round_up(at, self.quantum);
                state.pending = Some((at, Some(def)));
            }
            Change::StopLoop(name) => {
                if let Some(state) = self.loops.get_mut(&name) {
                    let at = match &state.current {
                        Some(d) => {
                            let k = self.global_octave.combined(d.octave);
                            TempoOctave::meeting_bar(k, k, bar)
                        }
                        None => bar,
                    };
                    state.pending = Some((round_up(at, self.quantum), None));
                }
            }
            Change::Model(op) => self.model_ops.push(op),
            Change::Input(op) => self.input_ops.push(op),
            Change::Tuning(tuning) => self.pitched.tuning = tuning,
            Change::Seed(seed) => self.seed = seed,
            Change::Quantum(q) => self.quantum = q.max(1),
            Change::Samples(folder) => {
                let rate = self.timeline.sample_rate();
                if folder.sample_rate != rate {
                    self.messages.push(format!(
                        "samples: {} was read at {} Hz for an engine at {rate} Hz; not added",
                        folder.dir.display(),
                        folder.sample_rate
                    ));
                    return;
                }
                let n = self.bank.add(&folder);
                self.messages
                    .push(format!("loaded {n} sounds from {}", folder.dir.display()));
                for e in &folder.refused {
                    self.messages.push(format!("samples: left out {e}"));
                }
            }
            Change::Corpus(corpus) => self.corpora.add(corpus),
            Change::SignalOut { name, signal } => match signal {
                Some(s) => {
                    self.signal_outs.insert(name, s);
                }
                None => {
                    self.signal_outs.remove(&name);
                }
            },
        }
    }

    /// Applies a tempo or metre change at position `pos` instead of the next
    /// bar ("now"). A metre change cuts the bar at the first group boundary at
    /// or after `pos`. Returns the position from which plans are now stale.
    pub fn apply_at(&mut self, change: Change, pos: Rational) -> Option<Rational> {
        match change {
            Change::Tempo { tempo, .. } => {
                self.timeline.set_tempo(pos, tempo);
                Some(pos)
            }
            Change::Metre { metre, .. } => {
                let bar = pos.floor();
                let frac = pos - bar;
                let cut = self
                    .timeline
                    .metre_at(pos)
                    .group_starts()
                    .into_iter()
                    .chain(std::iter::once(Rational::from_integer(1)))
                    .find(|s| *s >= frac)
                    .map(|s| bar + s)
                    .unwrap_or(bar + 1);
                self.timeline.cut_bar_and_set_metre(cut, metre);
                Some(cut)
            }
            other => {
                self.apply(other);
                None
            }
        }
    }

    /// Cuts the bar holding `cut` short exactly there (not at a group
    /// boundary); the next bar starts at `cut` in `metre`. Returns the
    /// position from which plans are now stale. (Following an outside
    /// timeline, such as Ableton Link, puts bar lines where it says.)
    pub fn cut_bar_at(&mut self, cut: Rational, metre: Metre) -> Rational {
        self.timeline.cut_bar_and_set_metre(cut, metre);
        cut
    }

    /// Plans the next bar and moves on. Events come sorted by frame.
    pub fn plan_next_bar(&mut self) -> Vec<SoundEvent> {
        let bar = self.next_bar;
        self.take_due_changes(bar);
        let start = Rational::from_integer(bar as i128);
        let end = self.timeline.bar_end(bar);
        let events = self.plan_span(start, end);
        self.next_bar += 1;
        self.timeline
            .forget_before(Rational::from_integer(bar as i128 - 1));
        events
    }

    /// Plans what sounds in `[from, to)` (both inside one bar), sorted by frame.
    pub fn plan_span(&mut self, from: Rational, to: Rational) -> Vec<SoundEvent> {
        let metre = self.timeline.metre_at(from).clone();
        let groups = metre.groups();
        let mut events = Vec::new();
        for (name, state) in &self.loops {
            let Some(def) = &state.current else { continue };
            if state.muted || self.solo.as_ref().is_some_and(|s| s != name) {
                continue;
            }
            let cpb = self.global_octave.combined(def.octave).cycles_per_bar();
            let ctx = QueryContext {
                groups,
                seed: self.seed ^ name_hash(name),
            };
            let gain = def.gain * state.gain_scale;
            for e in query_transformed(&def.pattern, &def.transforms, from * cpb, to * cpb, &ctx) {
                let pos = exact::div(e.onset, cpb);
                // Where the note starts and where its step ends, each found
                // once: every way of playing it below needs them.
                let frame = self.timeline.frame_at(pos);
                let step_end = self
                    .timeline
                    .frame_at(exact::add(pos, exact::div(e.duration, cpb)));
                let held = |legato: f64| {
                    (step_end.saturating_sub(frame) as f64 * legato)
                        .round()
                        .max(1.0) as u64
                };
                if let Some(m) = &def.midi {
                    // The loop's fixed note; else the word's tuned pitches
                    // (every note of a chord), one conversion from Hz; else
                    // a number or note name; else a kit sound's GM drum note.
                    let pitches: Vec<f64> = match m.note {
                        Some(n) => vec![f64::from(n)],
                        None => match self.pitched.frequencies(
                            def,
                            &e.sound,
                            e.variant,
                            note_shift(&e),
                            &self.bank,
                        ) {
                            Some(hz) => hz
                                .into_iter()
                                .filter_map(super::midi_notes::pitch_of_hz)
                                .map(super::midi_notes::snap_to_key)
                                .collect(),
                            None => super::midi_notes::pitch_of(&e.sound)
                                .or_else(|| {
                                    crate::data::pattern::gm_drum_note(&e.sound).map(f64::from)
                                })
                                .into_iter()
                                .collect(),
                        },
                    };
                    for pitch in pitches {
                        let note = super::midi_notes::nearest_key(pitch);
                        let len = held(e.legato.or(def.legato).unwrap_or(1.0));
                        let n = super::PlannedNote {
                            frame,
                            end: frame + len,
                            channel: m.channel.clamp(1, 16) - 1,
                            note,
                            pitch,
                            velocity: super::midi_notes::velocity_of(
                                e.velocity
                                    * e.gain
                                        .map_or(gain as f64, |g| g * f64::from(state.gain_scale)),
                            ),
                        };
                        let at = self.midi_notes.partition_point(|q| q.frame <= frame);
                        self.midi_notes.insert(at, n);
                    }
                    if !m.voices {
                        continue;
                    }
                }
                // A pitch (a note name, a number, a degree) plays a pitched voice.
                let place = super::pitched::NotePlace {
                    frame,
                    hold: held(e.legato.or(def.legato).unwrap_or(1.0)),
                    gain: e.gain.map_or(gain, |g| g as f32 * state.gain_scale) * e.velocity as f32,
                    pan: e.pan.map_or(def.pan, |p| p.clamp(-1.0, 1.0) as f32),
                    rate: e.rate.unwrap_or(f64::from(def.rate)) * e.rate_scale,
                    shift: note_shift(&e),
                };
                if self.pitched.plan(
                    def,
                    &e.sound,
                    e.variant,
                    place,
                    &self.bank,
                    &mut events,
                    &mut self.messages,
                ) {
                    continue;
                }
                // A corpus map point or cursor (`map:0.2:0.8`, `NAME:xy`)
                // plays the segment there, found now.
                let found = self.bank.get(&e.sound, e.variant).or_else(|| {
                    let (corpus, segment) = self.corpora.resolve(&e.sound)?;
                    self.bank.get(corpus, segment)
                });
                let Some(sample) = found else {
                    if self.warned.insert(format!("{name}/{}", e.sound)) {
                        self.messages.push(format!(
                            "loop '{name}': unknown sound '{}' (known: {})",
                            e.sound,
                            self.bank.names().join(", ")
                        ));
                    }
                    continue;
                };
                let length = e.legato.or(def.legato).map(held);
                events.push(SoundEvent {
                    frame,
                    sample: Arc::clone(sample),
                    gain: e.gain.map_or(gain, |g| g as f32 * state.gain_scale) * e.velocity as f32,
                    // `jux` pans a note; `hurry` scales its rate (kept in range).
                    pan: e.pan.map_or(def.pan, |p| p.clamp(-1.0, 1.0) as f32),
                    rate: (e.rate.unwrap_or(f64::from(def.rate)) * e.rate_scale)
                        .clamp(-values::MAX_RATE, values::MAX_RATE)
                        as f32,
                    length,
                    // `chop`, `striate`: the part of the sample that plays.
                    slice: (fraction(e.slice.0), fraction(e.slice.1)),
                    immediate: false,
                    pattern_credits: def.credits,
                    tone: None,
                });
            }
        }
        events.sort_by_key(|e| e.frame);
        events
    }

    fn take_due_changes(&mut self, bar: i64) {
        if let Some((at, k)) = self.pending_octave {
            if at <= bar {
                self.global_octave = k;
                self.pending_octave = None;
            }
        }
        self.loops.retain(|_, state| {
            if let Some((at, _)) = &state.pending {
                if *at <= bar {
                    let (_, next) = state.pending.take().unwrap_or((0, None));
                    state.current = next;
                    return state.current.is_some();
                }
            }
            true
        });
    }
}

/// An exact fraction of a sample as the voice reads it.
fn fraction(x: Rational) -> f32 {
    (*x.numer() as f64 / *x.denom() as f64) as f32
}

/// The first multiple of `q` at or after `bar`.
fn round_up(bar: i64, q: i64) -> i64 {
    (bar + q - 1).div_euclid(q) * q
}

/// A stable hash of a loop name, so each loop draws its own random numbers.
fn name_hash(name: &str) -> u64 {
    // FNV-1a: stable across runs and platforms.
    name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Why a loop's own octave could not be changed; the text names the loop.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoopOctaveError {
    /// No loop by this name.
    NoLoop(String),
    /// The loop is stopping at the next bar, so there is nothing to change.
    Stopping(String),
}

impl std::fmt::Display for LoopOctaveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoopOctaveError::NoLoop(name) => write!(f, "no loop named '{name}'"),
            LoopOctaveError::Stopping(name) => write!(f, "loop '{name}' is stopping"),
        }
    }
}

impl std::error::Error for LoopOctaveError {}

/// How far a note's pattern transforms (`transpose`, `octave_shift`) moved its pitch.
fn note_shift(e: &crate::pattern::Note) -> crate::pitch::loop_pitch::NoteShift {
    crate::pitch::loop_pitch::NoteShift {
        steps: e.transpose,
        periods: e.octave_shift,
    }
}
