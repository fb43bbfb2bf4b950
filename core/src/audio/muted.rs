//! The control side's account of the sources the engine muted before the
//! mix ([`super::guard`]): it turns each [`SourceFault`] into one line for the
//! performer (told once per source) and keeps the list `/status` shows.

use super::guard::{MixSource, SourceFault};
use super::model_slots::MODEL_SLOTS;

/// Muted sounds `/status` lists (the first ones muted); more are still
/// muted, counted and told, only not listed, so the reply stays small.
pub const MUTED_SOUNDS_LISTED: usize = 16;

/// What has been muted, and what the performer has been told.
#[derive(Debug)]
pub struct MutedSources {
    sample_rate: u32,
    /// Per model slot: the model muted there now, as `/status` shows it.
    slots: Vec<Option<String>>,
    /// Sounds a voice of which was muted, by name (each told once).
    sounds: Vec<String>,
    /// `/status` entries for sounds.
    sounds_listed: Vec<String>,
}

impl MutedSources {
    /// Nothing muted yet; `sample_rate` turns frames into seconds in messages.
    pub fn new(sample_rate: u32) -> MutedSources {
        MutedSources {
            sample_rate: sample_rate.max(1),
            slots: vec![None; MODEL_SLOTS],
            sounds: Vec::new(),
            sounds_listed: Vec::new(),
        }
    }

    /// The line to tell the performer about `fault`, or `None` when this
    /// source was already told. `model_name` names the model in a slot.
    pub fn tell(
        &mut self,
        fault: SourceFault,
        model_name: impl Fn(usize) -> Option<String>,
    ) -> Option<String> {
        let at = fault.frame as f64 / f64::from(self.sample_rate);
        match fault.source {
            MixSource::Model { slot } => {
                let name = model_name(slot).unwrap_or_else(|| format!("in slot {slot}"));
                if let Some(entry) = self.slots.get_mut(slot) {
                    *entry = Some(format!("model {name}: {}", fault.fault.short()));
                }
                Some(format!(
                    "model '{name}' {} at {at:.2} s: it is muted until it is loaded again or \
                     unloaded; everything else plays on",
                    fault.fault.describe()
                ))
            }
            MixSource::Voice(sample) => {
                if self.sounds.iter().any(|n| *n == sample.name) {
                    return None;
                }
                self.sounds.push(sample.name.clone());
                if self.sounds_listed.len() < MUTED_SOUNDS_LISTED {
                    self.sounds_listed.push(format!(
                        "sound {}: {}",
                        sample.name,
                        fault.fault.short()
                    ));
                }
                Some(format!(
                    "sound '{}' ({}) {} at {at:.2} s: each voice of it that does is muted; \
                     everything else plays on",
                    sample.name,
                    sample.source,
                    fault.fault.describe()
                ))
            }
        }
    }

    /// A stream was attached to or detached from `slot`: what was muted
    /// there is gone.
    pub fn slot_cleared(&mut self, slot: usize) {
        if let Some(entry) = self.slots.get_mut(slot) {
            *entry = None;
        }
    }

    /// What is muted now, for `/status`: models first, then sounds.
    pub fn list(&self) -> Vec<String> {
        self.slots
            .iter()
            .flatten()
            .chain(self.sounds_listed.iter())
            .cloned()
            .collect()
    }
}
