//! A performance put together: sound bank, script, planner, scheduler and
//! engine, at one sample rate. Shared by the live server and offline renders.

use std::path::Path;

use crate::audio::{Engine, EngineConfig, EngineHandle};
use crate::schedule::{BarHook, Change, Planner, Scheduler};
use crate::script::{Script, ScriptError, ScriptJob, ScriptRunner};
use crate::sound::SoundBank;

/// The control side of a running performance.
pub struct Session {
    /// Plans each bar's events from the loops and sends them to the engine.
    pub scheduler: Scheduler,
    /// The control side of the audio engine: its event ring, return queue and live counters.
    pub handle: EngineHandle,
    /// The performer's script: inline until [`ScriptRunner::start_thread`].
    pub script: ScriptRunner,
    /// Frames per second of the output.
    pub sample_rate: u32,
    /// Model operations scripts asked for, for the control thread to carry out.
    pub model_ops: Vec<crate::schedule::ModelOp>,
    /// Live input operations scripts asked for (capture, gain, monitor),
    /// for the control thread (an offline render's `--input` file takes
    /// them: `output/offline_input.rs`).
    pub input_ops: Vec<crate::schedule::InputOp>,
}

impl Session {
    /// Loads `script` and builds everything for `config.sample_rate`. The
    /// returned [`Engine`] goes to the audio callback (or an offline loop).
    pub fn start(script: &Path, config: &EngineConfig) -> Result<(Session, Engine), ScriptError> {
        // The folder as it was before the script was read: a save from
        // here on is heard once the performance runs.
        let watcher = crate::script::ScriptWatcher::new(script);
        let (script, changes) = Script::load_at(script, config.sample_rate)?;
        let bank = SoundBank::with_drum_kit(config.sample_rate);
        let planner = Planner::new(config.sample_rate, bank);
        let mut scheduler = Scheduler::new(planner);
        let mut model_ops = Vec::new();
        for change in changes {
            match change {
                Change::Model(op) => model_ops.push(op),
                other => scheduler.apply(other),
            }
        }
        let (engine, handle) = Engine::new(config);
        Ok((
            Session {
                scheduler,
                handle,
                script: ScriptRunner::inline(script).with_watcher(watcher),
                sample_rate: config.sample_rate,
                model_ops,
                input_ops: Vec::new(),
            },
            engine,
        ))
    }

    /// Plans and queues everything due before `until`, frees what the engine
    /// returned, and gives back messages for the performer.
    pub fn tick(&mut self, until: u64) -> Vec<String> {
        self.scheduler.fill(
            &mut self.handle,
            until,
            Some(&mut self.script as &mut dyn BarHook),
        );
        self.handle.collect_garbage();
        let ops = self.scheduler.planner_mut().take_model_ops();
        self.model_ops.extend(ops);
        let ops = self.scheduler.planner_mut().take_input_ops();
        self.input_ops.extend(ops);
        let mut m = self.scheduler.take_messages();
        m.extend(self.script.take_messages());
        m
    }

    /// Applies changes (from a reload, an eval, OSC) at the next bar.
    pub fn apply(&mut self, changes: Vec<Change>) {
        for c in changes {
            match c {
                Change::Model(op) => self.model_ops.push(op),
                c @ (Change::Tempo { now: true, .. } | Change::Metre { now: true, .. }) => {
                    let now = self.handle.frames();
                    self.scheduler.apply_now(c, now);
                }
                other => self.scheduler.apply(other),
            }
        }
    }

    /// Silences everything now and stops every loop: what was planned but
    /// not yet sent is dropped, so nothing sounds past the lookahead.
    pub fn hush(&mut self) {
        self.scheduler.planner_mut().clear_loops();
        let now = self.handle.frames();
        self.scheduler.drop_unsent(now);
        self.handle.command(crate::audio::EngineCommand::Hush);
    }

    /// Mutes or unmutes a loop, heard within the lookahead. False if there
    /// is no such loop.
    pub fn set_muted(&mut self, name: &str, muted: bool) -> bool {
        let ok = self.scheduler.planner_mut().set_muted(name, muted);
        if ok {
            let now = self.handle.frames();
            self.scheduler.drop_unsent(now);
        }
        ok
    }

    /// Plays only loop `name` (`None`: all loops again), heard within the
    /// lookahead. False if there is no such loop.
    pub fn set_solo(&mut self, name: Option<&str>) -> bool {
        let ok = self.scheduler.planner_mut().set_solo(name);
        if ok {
            let now = self.handle.frames();
            self.scheduler.drop_unsent(now);
        }
        ok
    }

    /// Reloads the script file; on error the running version keeps playing.
    /// Waits for the script (offline renders and tests; the live control
    /// thread submits jobs instead).
    pub fn reload(&mut self) -> Result<(), ScriptError> {
        let changes = self.script.run_now(ScriptJob::Reload { ticket: 0 })?;
        self.apply(changes);
        Ok(())
    }

    /// Evaluates code against the running script, waiting for it (offline
    /// renders and tests; the live control thread submits jobs instead).
    pub fn eval(&mut self, code: &str, origin: &str) -> Result<(), ScriptError> {
        let changes = self.script.run_now(ScriptJob::Eval {
            code: code.to_string(),
            origin: origin.to_string(),
            ticket: 0,
        })?;
        self.apply(changes);
        Ok(())
    }
}
