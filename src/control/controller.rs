//! The control loop. Owns the [`Session`]; wakes for every command (so OSC
//! round trips don't wait for a timer) and at least every 2 ms to keep the
//! engine's queue a lookahead ahead of the audio clock, to look for saved
//! scripts, and to announce beats ahead of time.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};

use super::{Answer, AnswerArg, Command, ControlError, Notice, PlayRequest, Reply};
use super::{StatusBoard, StatusReport};
use crate::audio::{EngineStatus, SoundEvent};
use crate::schedule::Change;
use crate::script::{EvalKind, ScriptJob};
use crate::session::Session;
use crate::time::{wallclock, Frame, Rational};

/// Runs a live session until asked to stop.
pub struct Controller {
    /// The engine, scheduler, script thread and sound bank it runs.
    pub session: Session,
    commands: Receiver<Command>,
    notices: Vec<Sender<Notice>>,
    /// Replies owed for evaluations the script thread is running, by ticket.
    evaluations: std::collections::BTreeMap<u64, Option<Reply>>,
    lookahead: u64,
    /// The next beat to announce: (bar, index of its group).
    next_beat: (i64, usize),
    /// Print messages on stderr as well as sending them as notices.
    pub echo: bool,
    /// Where the status is published after every step (OSC `/status`).
    board: Option<Arc<StatusBoard>>,
    /// MIDI clock, loop notes, learn and clock following (`None`: no MIDI).
    midi: Option<super::midi::MidiDesk>,
    /// Loaded models and models being loaded.
    pub models: super::models::Models,
    /// Ableton Link (a build with the `link` feature; otherwise it refuses).
    link: super::link::LinkDesk,
    /// The live input: gain, monitor, captures.
    pub input: super::live_input::InputDesk,
    /// When latent frames were last published, and what was sent.
    latents_at: Instant,
    latents_sent: std::collections::BTreeMap<String, Vec<f32>>,
    /// Signals driving latents and `/signal/NAME` (see [`super::signal_drivers`]).
    signals: super::signal_drivers::SignalDrivers,
}

impl Controller {
    /// Takes over `session`, moving its script onto its own thread (which
    /// also reloads it when its folder's `.rhai` files are saved): this
    /// thread keeps time and never runs script code or reads files.
    pub fn new(mut session: Session, commands: Receiver<Command>, lookahead: u64) -> Controller {
        if let Err(e) = session.script.start_thread(true) {
            crate::say!(
                "loam: error: no thread could be started for the script ({e}): its code cannot run, loops play as they are"
            );
        }
        Controller {
            session,
            commands,
            notices: Vec::new(),
            evaluations: Default::default(),
            lookahead,
            next_beat: (0, 0),
            echo: true,
            board: None,
            midi: None,
            latents_at: Instant::now(),
            latents_sent: Default::default(),
            signals: Default::default(),
            models: Default::default(),
            link: super::link::LinkDesk::new(),
            input: Default::default(),
        }
    }

    /// Runs MIDI (clock, loop notes, learn, following) with this controller.
    pub fn attach_midi(&mut self, desk: super::midi::MidiDesk) {
        self.midi = Some(desk);
    }

    /// Stops MIDI clock out (Stop) before the ports close.
    pub fn shutdown_midi(&mut self) {
        if let Some(m) = self.midi.as_mut() {
            m.shutdown(&self.session);
        }
    }

    /// The MIDI part, if attached (tests).
    pub fn midi_mut(&mut self) -> Option<&mut super::midi::MidiDesk> {
        self.midi.as_mut()
    }

    /// Publishes the status on `board` after every step, and now.
    pub fn publish_status(&mut self, board: Arc<StatusBoard>) {
        board.publish(self.status());
        self.board = Some(board);
    }

    /// Another listener for notices (OSC subscribers, tests).
    pub fn subscribe(&mut self, tx: Sender<Notice>) {
        self.notices.push(tx);
    }

    /// Stops watching the script file for saves.
    pub fn without_watcher(mut self) -> Controller {
        self.session.script.watch(false);
        self
    }

    fn notify(&mut self, notice: Notice) {
        if self.echo {
            match &notice {
                Notice::Error(m) => crate::say!("loam: error: {m}"),
                Notice::Info(m) | Notice::Reloaded(m) => crate::say!("loam: {m}"),
                Notice::Beat { .. }
                | Notice::ModelStep { .. }
                | Notice::Latent { .. }
                | Notice::CorpusPlayed { .. }
                | Notice::Signal { .. } => {}
            }
        }
        // A full subscriber misses this notice; a gone one is forgotten.
        self.notices.retain(|tx| {
            !matches!(
                tx.try_send(notice.clone()),
                Err(crossbeam_channel::TrySendError::Disconnected(_))
            )
        });
    }

    /// Runs until `stop` is set, a `Stop` command arrives, or `duration` passes.
    pub fn run(&mut self, stop: &Arc<AtomicBool>, duration: Option<Duration>) {
        let started = Instant::now();
        while !stop.load(Ordering::Relaxed) {
            if duration.is_some_and(|d| started.elapsed() >= d) {
                break;
            }
            match self.commands.recv_timeout(Duration::from_millis(2)) {
                Ok(cmd) => {
                    if !self.handle(cmd) {
                        break;
                    }
                    while let Ok(cmd) = self.commands.try_recv() {
                        if !self.handle(cmd) {
                            return;
                        }
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => std::thread::sleep(Duration::from_millis(2)),
            }
            self.step();
        }
    }

    fn model_op(&mut self, op: crate::schedule::ModelOp, reply: Option<Reply>) {
        use crate::schedule::ModelOp;
        match op {
            ModelOp::Step { name, count } => {
                let a = match self.session.script.shared().step_model(&name, count) {
                    Ok(steps) => Answer::List(
                        steps
                            .iter()
                            .flat_map(|s| {
                                [
                                    AnswerArg::Str(s.label.clone()),
                                    AnswerArg::Int(s.ticks.min(i32::MAX as u32) as i32),
                                    AnswerArg::Float(s.p),
                                ]
                            })
                            .collect(),
                    ),
                    Err(e) => Answer::Failed(ControlError::Model(e.into())),
                };
                send_answer(reply, a);
            }
            ModelOp::Input { name, sound } => {
                // "in", "in:2": the live input (see `models.rs`, `listen`).
                let live = crate::audio::stream_output::InputChannels::parse(&sound);
                if live.is_some() || self.models.hears_live_input(&name) {
                    let r = self.models.listen(&name, live).map_err(ControlError::Model);
                    if live.is_some() || r.is_err() {
                        if let Err(e) = &r {
                            self.notify(Notice::Error(e.to_string()));
                        }
                        answer(reply, r);
                        return;
                    }
                }
                let r = if sound.is_empty() {
                    self.models
                        .set_input(&name, None)
                        .map_err(ControlError::Model)
                } else {
                    let (base, variant) = match sound.split_once(':') {
                        Some((b, v)) => (b, v.parse().unwrap_or(0)),
                        None => (sound.as_str(), 0),
                    };
                    let bank = self.session.scheduler.planner().bank();
                    match bank.get(base, variant).cloned() {
                        Some(sample) => self
                            .models
                            .set_input(&name, Some(sample))
                            .map_err(ControlError::Model),
                        None => Err(ControlError::UnknownSound {
                            name: sound.clone(),
                            known: bank.names().into_iter().map(String::from).collect(),
                        }),
                    }
                };
                if let Err(e) = &r {
                    self.notify(Notice::Error(e.to_string()));
                }
                answer(reply, r);
            }
            ModelOp::Load { name, path, route } => {
                // The loading thread applies loam's one path rule
                // (crate::data::paths): the timekeeper never waits on the disk.
                let script = self.session.script.path();
                let dir = script.parent().unwrap_or(std::path::Path::new(""));
                let rate = self.session.sample_rate;
                self.models
                    .load(name, dir.to_path_buf(), path, route, rate, reply);
            }
            ModelOp::LatentSignals { name, values } => {
                // Held numbers meet the same rule as `model_latent`'s.
                let r = values
                    .iter()
                    .try_for_each(|v| match v {
                        crate::schedule::LatentValue::Number(x) => crate::pattern::values::LATENT
                            .check(*x)
                            .map(|_| ())
                            .map_err(|error| super::ModelOpError::Value {
                                model: name.clone(),
                                error,
                            }),
                        crate::schedule::LatentValue::Signal(_) => Ok(()),
                    })
                    .map(|_| {
                        self.signals.drive(&name, values);
                        name
                    });
                if let Err(e) = &r {
                    self.notify(Notice::Error(e.to_string()));
                }
                answer(reply, r.map_err(ControlError::Model));
            }
            other => {
                // A latent set by number, or an unloaded model, is no
                // longer driven by signals.
                if let ModelOp::Latent { name, .. } | ModelOp::Unload { name } = &other {
                    self.signals.stop(name);
                }
                let r = self.models.apply(other, &mut self.session.handle);
                if let Err(e) = &r {
                    self.notify(Notice::Error(e.to_string()));
                }
                answer(reply, r.map_err(ControlError::Model));
            }
        }
    }

    /// One round of upkeep: reload on save, plan and queue, report, beats.
    pub fn step(&mut self) {
        for op in std::mem::take(&mut self.session.model_ops) {
            self.model_op(op, None);
        }
        for n in self.models.poll(&mut self.session.handle) {
            self.notify(n);
        }
        self.models.feed();
        for op in std::mem::take(&mut self.session.input_ops) {
            let r = self.input.apply(op, &mut self.session, self.lookahead);
            self.notify(match r {
                Ok(m) => Notice::Info(m),
                Err(e) => Notice::Error(e),
            });
        }
        for n in self.input.poll(&mut self.session) {
            self.notify(n);
        }
        self.drive_signals();
        // Sources the engine muted before the mix (audio/guard.rs), told once each.
        let models = &self.models;
        for line in self
            .session
            .handle
            .muted_sources(|slot| models.slot_name(slot))
        {
            self.notify(Notice::Error(line));
        }
        self.apply_evaluations();
        let now = self.session.handle.frames();
        for m in self.session.tick(now + self.lookahead) {
            let notice = if m.contains("error")
                || m.contains("unknown")
                || m.contains("keeps its")
                || m.contains("skipped")
            {
                Notice::Error(m)
            } else {
                Notice::Info(m)
            };
            self.notify(notice);
        }
        // Link after planning, before beats are announced: bar lines move
        // onto Link's grid before anyone is told where they are.
        for n in self.link.step(&mut self.session) {
            self.notify(n);
        }
        for m in self.session.script.shared().take_link_requests() {
            let r = super::link::LinkRequest::parse(&m)
                .map_err(|e| e.to_string())
                .and_then(|req| self.link.handle(req, &mut self.session));
            match r {
                Ok(text) => self.notify(Notice::Info(text)),
                Err(e) => self.notify(Notice::Error(e)),
            }
        }
        self.announce_beats(now + self.lookahead);
        self.announce_models();
        if let Some(midi) = self.midi.as_mut() {
            for n in midi.step(&mut self.session, now + self.lookahead) {
                self.notify(n);
            }
        }
        if let Some(board) = &self.board {
            board.publish(self.status());
        }
    }

    /// Every [`super::signal_drivers::SIGNAL_INTERVAL`]: signals read at
    /// the musical time the engine has reached set the latents they drive
    /// and go to subscribers as `/signal/NAME`.
    fn drive_signals(&mut self) {
        if !self.signals.due() {
            return;
        }
        let planner = self.session.scheduler.planner();
        if planner.signal_outs().is_empty() && !self.signals.drives_any() {
            return;
        }
        let cycles = planner.cycles_at_frame(self.session.handle.frames());
        let (sets, notices) = self
            .signals
            .read(cycles, planner.seed(), planner.signal_outs());
        for (model, dim, value) in sets {
            // A model still loading takes its latent once it plays.
            let _ = self.models.set_latent(&model, dim, value);
        }
        for n in notices {
            self.notify(n);
        }
    }

    /// Applies what finished evaluations asked for (all of it, or nothing
    /// when the evaluation failed) and answers whoever asked.
    fn apply_evaluations(&mut self) {
        for (ticket, kind, result) in self.session.script.take_finished() {
            let reply = self.evaluations.remove(&ticket).flatten();
            let path = self.session.script.path().display().to_string();
            let r = match result {
                Ok(changes) => {
                    self.session.apply(changes);
                    let bar = self.session.scheduler.planner().next_bar();
                    Ok(match &kind {
                        EvalKind::Eval => "evaluated".to_string(),
                        EvalKind::Reload => format!("reloaded {path}; it plays from bar {bar}"),
                        EvalKind::Load(p) => format!("loaded {}", p.display()),
                    })
                }
                Err(e) => Err(ControlError::Script(e)),
            };
            match (&r, &kind, ticket) {
                (Ok(m), EvalKind::Reload, 0) => self.notify(Notice::Reloaded(m.clone())),
                (Err(e), EvalKind::Reload, 0) => self.notify(Notice::Error(format!(
                    "{e} (the last good version keeps playing)"
                ))),
                (Err(e), EvalKind::Eval, _) => self.notify(Notice::Error(e.to_string())),
                _ => {}
            }
            answer(reply, r);
        }
    }

    /// Steps named step models took, and (every [`LATENT_INTERVAL`]) the
    /// latent frames playing models decode: to the script
    /// (`model_latent_now`) and, when changed, to subscribers.
    fn announce_models(&mut self) {
        for (name, s) in self.session.script.shared().take_model_steps() {
            self.notify(Notice::ModelStep {
                name,
                label: s.label,
                ticks: s.ticks,
                p: s.p,
            });
        }
        if self.latents_at.elapsed() < super::models::LATENT_INTERVAL {
            return;
        }
        self.latents_at = Instant::now();
        let latents = self.models.latents();
        for (name, values) in &latents {
            if self.latents_sent.get(name) != Some(values) {
                self.notify(Notice::Latent {
                    name: name.clone(),
                    values: values.clone(),
                });
            }
        }
        self.session.script.shared().set_latents(latents.clone());
        self.latents_sent = latents;
    }

    /// Sends a `Beat` notice for every group start before `until`.
    fn announce_beats(&mut self, until: u64) {
        let sr = self.session.sample_rate;
        loop {
            let (bar, group) = self.next_beat;
            if bar >= self.session.scheduler.planner().next_bar() {
                return;
            }
            let timeline = self.session.scheduler.planner().timeline();
            let bar_pos = Rational::from_integer(bar as i128);
            let metre = timeline.metre_at(bar_pos).clone();
            let starts = metre.group_starts();
            let end = timeline.bar_end(bar);
            if group >= starts.len() || bar_pos + starts[group] >= end {
                self.next_beat = (bar + 1, 0);
                continue;
            }
            let frame = timeline.frame_at(bar_pos + starts[group]);
            if frame >= until {
                return;
            }
            let pulse: u32 = metre.groups()[..group].iter().sum();
            let nanos = wallclock::nanos_at(
                super::audio_clock::stamp(&self.session.handle.status),
                sr,
                Frame(frame),
            );
            self.next_beat = (bar, group + 1);
            self.notify(Notice::Beat {
                bar,
                beat: group as i64,
                pulse: pulse as i64,
                nanos,
            });
        }
    }

    /// Handles one command; false means stop.
    pub fn handle(&mut self, cmd: Command) -> bool {
        match cmd {
            Command::Stop => return false,
            Command::Eval {
                code,
                origin,
                reply,
            } => {
                let ticket = self.session.script.submit(ScriptJob::Eval {
                    code,
                    origin,
                    ticket: 0,
                });
                self.evaluations.insert(ticket, reply);
                self.apply_evaluations();
            }
            Command::Load { path, reply } => {
                // The script thread applies loam's one path rule
                // (crate::data::paths): the timekeeper never waits on the disk.
                let ticket = self
                    .session
                    .script
                    .submit(ScriptJob::Load { path, ticket: 0 });
                self.evaluations.insert(ticket, reply);
                self.apply_evaluations();
            }
            Command::Change(c) => self.session.scheduler.apply(c),
            Command::ChangeNow(c) => {
                let now = self.session.handle.frames();
                self.session.scheduler.apply_now(c, now);
            }
            Command::LoopOctave {
                name,
                octave,
                reply,
            } => {
                let r = self
                    .session
                    .scheduler
                    .planner_mut()
                    .set_loop_octave(&name, octave);
                answer(reply, r.map(|_| name).map_err(ControlError::Loop));
            }
            Command::Play { request, reply } => answer(reply, self.play(request)),
            Command::Mute { name, muted, reply } => {
                let ok = self.session.set_muted(&name, muted);
                answer(
                    reply,
                    if ok {
                        Ok(name)
                    } else {
                        Err(ControlError::NoLoop(name))
                    },
                );
            }
            Command::Solo { name, reply } => {
                let ok = self.session.set_solo(name.as_deref());
                let n = name.unwrap_or_default();
                answer(
                    reply,
                    if ok {
                        Ok(n)
                    } else {
                        Err(ControlError::NoLoop(n))
                    },
                );
            }
            Command::Hush => self.session.hush(),
            Command::SetControl { name, value } => {
                self.session.script.shared().set_control(&name, value)
            }
            Command::Status(tx) => {
                let _ = tx.try_send(self.status());
            }
            Command::SetLatent { model, dim, value } => {
                if let Err(e) = self.models.set_latent(&model, dim, value) {
                    self.notify(Notice::Error(e.to_string()));
                }
            }
            Command::Model { op, reply } => self.model_op(op, reply),
            Command::Tell(notice) => self.notify(notice),
            Command::Corpus {
                name,
                x,
                y,
                play,
                reply,
            } => match super::corpus_cursor::move_cursor(&mut self.session, &name, x, y, play) {
                Ok((args, played)) => {
                    if let Some(n) = played {
                        self.notify(n);
                    }
                    send_answer(reply, Answer::List(args));
                }
                Err(e) => {
                    if reply.is_none() {
                        self.notify(Notice::Error(e.to_string()));
                    }
                    answer(reply, Err(e));
                }
            },
            Command::Link { request, reply } => {
                let r = self.link.handle(request, &mut self.session);
                if let Ok(text) = &r {
                    self.notify(Notice::Info(text.clone()));
                }
                if let (Err(e), None) = (&r, &reply) {
                    self.notify(Notice::Error(e.clone()));
                }
                answer(reply, r.map_err(ControlError::Link));
            }
            Command::Input { op, reply } => {
                let r = self.input.apply(op, &mut self.session, self.lookahead);
                if let (Err(e), None) = (&r, &reply) {
                    self.notify(Notice::Error(e.clone()));
                }
                answer(reply, r.map_err(ControlError::Input));
            }
            Command::Midi { command, reply } => {
                let r = match self.midi.as_mut() {
                    Some(m) => m
                        .handle(command, &mut self.session)
                        .map_err(ControlError::Midi),
                    None => Err(ControlError::MidiOff),
                };
                if let (Some(m), Err(e)) = (self.midi.as_mut(), &r) {
                    if reply.is_none() {
                        m.say_error(e.to_string());
                    }
                }
                answer(reply, r);
            }
        }
        true
    }

    fn play(&mut self, req: PlayRequest) -> Result<String, ControlError> {
        let sr = self.session.sample_rate;
        let status = self.session.handle.status.clone();
        let bank = self.session.scheduler.planner().bank();
        let sample = bank.get(&req.sound, req.variant).cloned().ok_or_else(|| {
            ControlError::UnknownSound {
                name: req.sound.clone(),
                known: bank.names().into_iter().map(String::from).collect(),
            }
        })?;
        let frame = match req.at_nanos {
            Some(n) => wallclock::frame_at(super::audio_clock::stamp(&status), sr, n).get(),
            // Now: the next block the engine renders.
            None => status.frames(),
        };
        let mut ev = SoundEvent::new(frame, sample);
        ev.gain = req.gain;
        ev.pan = req.pan;
        ev.rate = req.rate;
        ev.length = req.length.map(|s| (s.max(0.0) * sr as f64).round() as u64);
        ev.immediate = req.at_nanos.is_none();
        self.session
            .handle
            .send_direct(ev)
            .map(|_| req.sound.clone())
            .map_err(|_| ControlError::QueueFull)
    }

    /// The state of the performance now.
    pub fn status(&self) -> StatusReport {
        let st = &self.session.handle.status;
        let frames = st.frames();
        let planner = self.session.scheduler.planner();
        let timeline = planner.timeline();
        let pos = timeline.position_at_frame(frames);
        let bar = pos.floor();
        let metre = timeline.metre_at(pos).clone();
        let frac = pos - bar;
        let beat = metre
            .group_starts()
            .iter()
            .filter(|s| **s <= frac)
            .count()
            .saturating_sub(1);
        StatusReport {
            tempo: timeline.tempo_at(pos).bpm_f64(),
            metre: metre.to_string(),
            octave: planner.global_octave().get() as i64,
            bar: bar.to_integer() as i64,
            beat: beat as i64,
            loops: planner.loop_names(),
            models: self.models.names(),
            late_events: EngineStatus::get(&st.late_events),
            xruns: EngineStatus::get(&st.xruns),
            queue_full: EngineStatus::get(&st.queue_full),
            active_voices: EngineStatus::get(&st.active_voices),
            late_bars: self.session.script.late_bars(),
            muted_sources: EngineStatus::get(&st.muted_sources),
            muted: self.session.handle.muted.list(),
            frames,
            link: self.link.report(),
            model_timings: self.models.timings(),
            nan_values: crate::pattern::signal::non_finite_count(),
        }
    }

    /// Applies a change at the next bar (for callers holding the controller).
    pub fn apply(&mut self, change: Change) {
        self.session.scheduler.apply(change);
    }
}

/// Sends `Ok(text)` as done, `Err` as failed, to whoever asked.
fn answer(reply: Option<Reply>, r: Result<String, ControlError>) {
    send_answer(reply, Answer::from(r));
}

fn send_answer(reply: Option<Reply>, a: Answer) {
    if let Some(tx) = reply {
        let _ = tx.try_send(a);
    }
}
