//! A performance put together: sound bank, script, planner, scheduler and
//! engine, at one sample rate. Shared by the live server and offline renders.

use std::path::Path;

use crate::audio::{Engine, EngineConfig, EngineHandle};
use crate::schedule::{Planner, Scheduler};
use crate::script::{Script, ScriptError};
use crate::sound::SoundBank;

/// The control side of a running performance.
pub struct Session {
    pub scheduler: Scheduler,
    pub handle: EngineHandle,
    pub sample_rate: u32,
}

impl Session {
    /// Loads `script` and builds everything for `config.sample_rate`. The
    /// returned [`Engine`] goes to the audio callback (or an offline loop).
    pub fn start(script: &Path, config: &EngineConfig) -> Result<(Session, Engine), ScriptError> {
        let (script, changes) = Script::load(script)?;
        let bank = SoundBank::with_drum_kit(config.sample_rate);
        let mut planner = Planner::new(config.sample_rate, bank);
        if let Some(dir) = script.path().parent() {
            planner.set_base_dir(dir.to_path_buf());
        }
        let mut scheduler = Scheduler::new(planner, None);
        for change in changes {
            scheduler.apply(change);
        }
        scheduler.set_hook(Some(Box::new(script)));
        let (engine, handle) = Engine::new(config);
        Ok((
            Session {
                scheduler,
                handle,
                sample_rate: config.sample_rate,
            },
            engine,
        ))
    }

    /// Plans and queues everything due before `until`, frees what the engine
    /// returned, and gives back messages for the performer.
    pub fn tick(&mut self, until: u64) -> Vec<String> {
        self.scheduler.fill(&mut self.handle, until);
        self.handle.collect_garbage();
        self.scheduler.take_messages()
    }
}
