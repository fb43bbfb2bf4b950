//! The MIDI part of the control thread: it owns the clock generator, the
//! clock follower and the queue to the output thread, and is called by the
//! [`Controller`](crate::control::Controller) after every step and for
//! every [`MidiCommand`]. Everything here runs on the control thread, with
//! the live [`Session`] at hand.
//!
//! The port threads (loam's `midi` folder, above this layer) plug in
//! through two seams: a [`MidiOut`] that queues messages for the output
//! thread, and the [`LearnedBindings`] the input thread plays from.

use super::clock_in::{nudge, ClockFollower};
use super::clock_out::{ClockOut, PER_WHOLE};
use super::desk_error::MidiDeskError;
use super::learn::{LearnRequest, Mapping};
use super::message::MidiMessage;
use super::tuning_out::{MidiTuning, Placement, TunedNotes};
use super::MidiCommand;
use crate::control::audio_clock;
use crate::control::Notice;
use crate::schedule::Change;
use crate::session::Session;
use crate::time::wallclock::{self, Frame, Nanos};
use crate::time::{NoteValue, Rational, Tempo};

/// Where the desk's messages go: the queue to the MIDI output thread.
pub trait MidiOut: Send {
    /// Queues `message` to go out at `nanos` on loam's monotonic clock
    /// ([`wallclock`]).
    fn send_at(&mut self, nanos: Nanos, message: MidiMessage);
}

/// The learned bindings the MIDI input thread plays from, as requests to
/// the desk change them.
pub trait LearnedBindings: Send {
    /// Binds the next control moved as `request` says.
    fn learn(&self, request: LearnRequest);
    /// Forgets every binding to `target` (its text form, e.g. `tempo`) and
    /// saves the bindings file; how many bindings went.
    fn forget(&self, target: &str) -> Result<usize, MidiDeskError>;
    /// The bindings now, in the file's order.
    fn mappings(&self) -> Vec<Mapping>;
}

/// Where an external clock's bar lines meet loam's.
#[derive(Clone, Copy, Debug)]
struct Anchor {
    /// An external pulse count on a bar line …
    pulse: i64,
    /// … and the loam bar it is tied to.
    bar: i64,
    /// External pulses per bar (loam's metre when the anchor was set).
    per_bar: f64,
}

/// The control thread's MIDI state.
pub struct MidiDesk {
    out: Option<Box<dyn MidiOut>>,
    clock: ClockOut,
    follower: ClockFollower,
    following: bool,
    anchor: Option<Anchor>,
    last_correction: i64,
    bindings: Box<dyn LearnedBindings>,
    notices: Vec<Notice>,
    /// Places loop notes on channels and keys, in tune.
    tuned: TunedNotes,
    /// The last phase error measured while following, in seconds (loam ahead: positive).
    pub phase_error: Option<f64>,
}

impl MidiDesk {
    /// A desk sending on `out` (`None`: no output port), with clock out
    /// and clock following as `loam serve`'s flags asked.
    pub fn new(
        out: Option<Box<dyn MidiOut>>,
        clock_out: bool,
        follow: bool,
        bindings: Box<dyn LearnedBindings>,
    ) -> MidiDesk {
        MidiDesk {
            out,
            clock: ClockOut::new(clock_out),
            follower: ClockFollower::new(),
            following: follow,
            anchor: None,
            last_correction: i64::MIN,
            bindings,
            notices: Vec::new(),
            tuned: TunedNotes::new(MidiTuning::default()),
            phase_error: None,
        }
    }

    /// The desk sending notes between the keys as `tuning` says
    /// (`loam serve --midi-tuning`; per-note bend by default).
    pub fn tuned(mut self, tuning: MidiTuning) -> MidiDesk {
        self.tuned = TunedNotes::new(tuning);
        self
    }

    /// Answers one request.
    pub fn handle(
        &mut self,
        cmd: MidiCommand,
        session: &mut Session,
    ) -> Result<String, MidiDeskError> {
        match cmd {
            MidiCommand::Learn(req) => {
                let t = req.target.to_string();
                self.bindings.learn(req);
                Ok(format!("MIDI learn: move a control to bind it to {t}"))
            }
            MidiCommand::Forget(target) => {
                let n = self.bindings.forget(&target)?;
                Ok(format!("forgot {n} MIDI binding(s) to {target}"))
            }
            MidiCommand::Mappings => {
                let mappings = self.bindings.mappings();
                Ok(mappings
                    .iter()
                    .map(|m| {
                        format!(
                            "{} → {} ({} … {}, {:?})",
                            m.source, m.target, m.min, m.max, m.curve
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n"))
            }
            MidiCommand::LoopGain { name, gain } => {
                if session.scheduler.planner_mut().set_loop_gain(&name, gain) {
                    Ok(name)
                } else {
                    Err(MidiDeskError::NoLoop(name))
                }
            }
            MidiCommand::Tempo(bpm) => {
                let tempo = Tempo::bpm(bpm).map_err(MidiDeskError::Tempo)?;
                let pos = self.grid_position(session);
                session
                    .scheduler
                    .apply_at(Change::Tempo { tempo, now: true }, pos);
                Ok(format!("tempo {bpm:.2}"))
            }
            MidiCommand::Event { message, nanos } => {
                session
                    .script
                    .shared()
                    .push_midi_event(event_map(&message, nanos));
                Ok(String::new())
            }
            MidiCommand::ClockIn { message, nanos } => {
                self.follower.on_message(message, nanos);
                Ok(String::new())
            }
            MidiCommand::Follow(on) => {
                self.following = on;
                self.anchor = None;
                self.follower.needs_anchor = true;
                Ok(if on {
                    "following the external MIDI clock".into()
                } else {
                    "playing on loam's own clock".into()
                })
            }
            MidiCommand::ClockOut(on) => {
                let timeline = session.scheduler.planner().timeline();
                if on {
                    if self.clock.transport == super::clock_out::Transport::Stopped {
                        self.clock.transport = super::clock_out::Transport::StartAtBar;
                    }
                    Ok("MIDI clock out starts at the next bar line".into())
                } else {
                    let (st, sr) = (session.handle.status.clone(), session.sample_rate);
                    let out = &mut self.out;
                    self.clock.stop(timeline, &mut |f, m| {
                        if let Some(o) = out.as_mut() {
                            o.send_at(
                                wallclock::nanos_at(audio_clock::stamp(&st), sr, Frame(f)),
                                m,
                            );
                        }
                    });
                    Ok("MIDI clock out stopped".into())
                }
            }
            MidiCommand::Say { text, error } => {
                self.notices.push(if error {
                    Notice::Error(text)
                } else {
                    Notice::Info(text)
                });
                Ok(String::new())
            }
        }
    }

    /// The position of the next clock pulse not yet sent: where changes
    /// timed from MIDI go (small denominators, never in the sent past).
    fn grid_position(&mut self, session: &Session) -> Rational {
        self.clock
            .next_position(session.scheduler.planner().timeline())
    }

    /// After every control step: script requests, clock out, loop notes,
    /// clock following. `until` is the frame up to which events are sent.
    pub fn step(&mut self, session: &mut Session, until: u64) -> Vec<Notice> {
        for text in session.script.shared().take_midi_requests() {
            let r = parse_request(&text).and_then(|c| self.handle(c, session));
            match r {
                Ok(m) if !m.is_empty() => self.notices.push(Notice::Info(m)),
                Ok(_) => {}
                Err(e) => self.notices.push(Notice::Error(e.to_string())),
            }
        }
        let now = session.handle.frames();
        let (st, sr) = (session.handle.status.clone(), session.sample_rate);
        {
            let timeline = session.scheduler.planner().timeline();
            let out = &mut self.out;
            self.clock.generate(timeline, now, until, &mut |f, m| {
                if let Some(o) = out.as_mut() {
                    o.send_at(
                        wallclock::nanos_at(audio_clock::stamp(&st), sr, Frame(f)),
                        m,
                    );
                }
            });
        }
        let notes = session
            .scheduler
            .planner_mut()
            .take_midi_notes_before(until);
        if let Some(o) = self.out.as_mut() {
            // Notes planned before MIDI started (or during a stall) that
            // should already have sounded are skipped, not sent late.
            // The planner's notes become MIDI messages here, with the
            // tuning messages a note between the keys needs.
            let at = |f: u64| wallclock::nanos_at(audio_clock::stamp(&st), sr, Frame(f));
            for n in notes.into_iter().filter(|n| n.frame >= now) {
                let placed = self
                    .tuned
                    .send(&n, at(n.frame), at(n.end), &mut |t, m| o.send_at(t, m));
                if placed == Placement::Skipped && self.tuned.skipped == 1 {
                    self.notices.push(Notice::Error(format!(
                        "MIDI out: a note at pitch {:.3} skipped: every channel (or key) it could \
                         be tuned on was sounding (more notes between the keys at once than \
                         --midi-bend-channels has channels); later ones are counted only",
                        n.pitch
                    )));
                }
            }
        }
        if self.following {
            self.follow(session);
        }
        std::mem::take(&mut self.notices)
    }

    /// Steers loam's tempo so its bar lines meet the external clock's.
    fn follow(&mut self, session: &mut Session) {
        if !self.follower.running() {
            return;
        }
        let Some(line) = self.follower.line() else {
            return;
        };
        let (st, sr) = (session.handle.status.clone(), session.sample_rate);
        let timeline = session.scheduler.planner().timeline();
        if self.follower.needs_anchor || self.anchor.is_none() {
            let next = self.follower.next_pulse();
            let metre = timeline.metre_at(timeline.position_at_frame(session.handle.frames()));
            let per_bar = metre.bar_length() * PER_WHOLE;
            let per_bar_f = to_f64(per_bar);
            // The first external bar line at or after the next pulse.
            let pulse = if per_bar.is_integer() {
                let p = per_bar.to_integer() as i64;
                (next + p - 1).div_euclid(p) * p
            } else {
                next
            };
            let at = Nanos(line.nanos(pulse as f64).max(0.0) as u64);
            let pos = timeline
                .position_at_frame(wallclock::frame_at(audio_clock::stamp(&st), sr, at).get());
            let bar = pos.round().to_integer() as i64;
            self.anchor = Some(Anchor {
                pulse,
                bar,
                per_bar: per_bar_f,
            });
            self.follower.needs_anchor = false;
        }
        let Some(anchor) = self.anchor else { return };
        let heard = self.follower.next_pulse() - 1;
        if heard < self.last_correction.saturating_add(6) && heard >= self.last_correction {
            return;
        }
        self.last_correction = heard;
        let now_nanos = wallclock::now_nanos();
        let ext = line.pulse_at(now_nanos.get() as f64);
        let target = anchor.bar as f64 + (ext - anchor.pulse as f64) / anchor.per_bar;
        let frame = wallclock::frame_at(audio_clock::stamp(&st), sr, now_nanos).get();
        let here = to_f64(timeline.position_at_frame(frame));
        let ahead_bars = here - target;
        let ahead_secs = ahead_bars * anchor.per_bar * line.per_pulse / 1e9;
        self.phase_error = Some(ahead_secs);
        // Changes wait while a later change (a metre at the next bar) is planned.
        let pos = self.grid_position(session);
        let timeline = session.scheduler.planner().timeline();
        if timeline.segments().last().is_some_and(|s| s.start > pos) {
            return;
        }
        let bpm = line.bpm() * nudge(ahead_secs);
        let Ok(tempo) = Tempo::bpm(bpm) else { return };
        let tempo = tempo.counting(NoteValue(Rational::new(1, 4)));
        session
            .scheduler
            .apply_at(Change::Tempo { tempo, now: true }, pos);
    }

    /// Stops the clock (Stop at the next pulse) before the output closes.
    pub fn shutdown(&mut self, session: &Session) {
        let timeline = session.scheduler.planner().timeline();
        let out = &mut self.out;
        self.clock.stop(timeline, &mut |_, m| {
            if let Some(o) = out.as_mut() {
                // Now: the output thread is about to close.
                o.send_at(wallclock::now_nanos(), m);
            }
        });
    }

    /// Tells the performer about a failed request that had no one to answer.
    pub fn say_error(&mut self, text: String) {
        self.notices.push(Notice::Error(text));
    }

    /// Whether loam follows an external clock now.
    pub fn following(&self) -> bool {
        self.following
    }
}

fn to_f64(r: Rational) -> f64 {
    *r.numer() as f64 / *r.denom() as f64
}

/// A script's or the terminal's MIDI request: `learn TARGET [MIN MAX]
/// [lin|exp]`, `forget TARGET`, `mappings`, `follow on|off`, `clock on|off`.
pub fn parse_request(text: &str) -> Result<MidiCommand, MidiDeskError> {
    let t = text.trim();
    let (word, rest) = t.split_once(char::is_whitespace).unwrap_or((t, ""));
    let on_off = |what: &'static str| match rest.trim() {
        "on" | "true" | "1" => Ok(true),
        "off" | "false" | "0" => Ok(false),
        other => Err(MidiDeskError::OnOff {
            what,
            said: other.to_string(),
        }),
    };
    match word {
        "learn" => Ok(MidiCommand::Learn(LearnRequest::parse(rest)?)),
        "forget" if !rest.trim().is_empty() => Ok(MidiCommand::Forget(rest.trim().to_string())),
        "mappings" => Ok(MidiCommand::Mappings),
        "follow" => Ok(MidiCommand::Follow(on_off("follow")?)),
        "clock" => Ok(MidiCommand::ClockOut(on_off("clock")?)),
        _ => Err(MidiDeskError::UnknownRequest(t.to_string())),
    }
}

/// A message as a script sees it in `midi_events()`.
fn event_map(m: &MidiMessage, nanos: Nanos) -> rhai::Map {
    use rhai::Dynamic;
    let mut map = rhai::Map::new();
    let mut put = |k: &str, v: Dynamic| {
        map.insert(k.into(), v);
    };
    let (kind, channel) = match *m {
        MidiMessage::NoteOn {
            channel,
            note,
            velocity,
        } => {
            put("note", (note as i64).into());
            put("velocity", (velocity as f64 / 127.0).into());
            ("note_on", channel)
        }
        MidiMessage::NoteOff { channel, note, .. } => {
            put("note", (note as i64).into());
            ("note_off", channel)
        }
        MidiMessage::Control {
            channel,
            controller,
            value,
        } => {
            put("cc", (controller as i64).into());
            put("value", (value as f64 / 127.0).into());
            ("cc", channel)
        }
        MidiMessage::PitchBend { channel, value } => {
            put("value", (value as f64 / 8192.0).into());
            ("bend", channel)
        }
        MidiMessage::Program { channel, program } => {
            put("program", (program as i64).into());
            ("program", channel)
        }
        MidiMessage::ChannelPressure { channel, value } => {
            put("value", (value as f64 / 127.0).into());
            ("pressure", channel)
        }
        MidiMessage::PolyPressure {
            channel,
            note,
            value,
        } => {
            put("note", (note as i64).into());
            put("value", (value as f64 / 127.0).into());
            ("poly_pressure", channel)
        }
        _ => ("other", 0),
    };
    put("type", kind.into());
    put("channel", (channel as i64 + 1).into());
    put("time", (nanos.get() as f64 / 1e9).into());
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_parse() {
        assert!(matches!(
            parse_request("learn tempo 90 150 exp"),
            Ok(MidiCommand::Learn(_))
        ));
        assert!(matches!(
            parse_request("follow on"),
            Ok(MidiCommand::Follow(true))
        ));
        assert!(matches!(
            parse_request("clock off"),
            Ok(MidiCommand::ClockOut(false))
        ));
        assert!(parse_request("follow maybe").is_err());
        assert!(parse_request("forget").is_err());
        assert!(parse_request("dance").is_err());
    }
}
