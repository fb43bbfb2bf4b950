//! The scheduler feeding a real engine, driven offline block by block: what
//! is sent when, a bar hook that is late, and tempo changes made now.

use super::{BarHook, Change, LoopDef, Planner, Scheduler};
use crate::audio::{Engine, EngineConfig, EngineHandle};
use crate::pattern::Pattern;
use crate::sound::{Sample, SoundBank};
use crate::time::{Metre, Tempo};

const RATE: u32 = 48_000;
const BLOCK: usize = 256;
/// How far ahead of the engine's clock events are sent, as `loam serve` does.
const LOOKAHEAD: u64 = 2_048;

/// A one-frame click, so each event shows as one non-zero output frame.
fn click_bank() -> SoundBank {
    let mut data = vec![0.0; 32];
    data[0] = 1.0;
    let mut bank = SoundBank::new();
    for name in ["click", "tick"] {
        bank.insert(
            name,
            vec![Sample {
                name: name.into(),
                channels: 1,
                data: data.clone(),
                source: format!("{name} (test)"),
                credit: crate::data::credit::Credit::NONE,
            }],
        );
    }
    bank
}

fn def(name: &str, pattern: &str) -> LoopDef {
    LoopDef::new(name, pattern, Pattern::parse(pattern).unwrap())
}

struct Rig {
    scheduler: Scheduler,
    engine: Engine,
    handle: EngineHandle,
}

impl Rig {
    /// 4/4 at 120: a bar is 96 000 frames, a quarter 24 000.
    fn new() -> Rig {
        let mut planner = Planner::new(RATE, click_bank());
        planner.apply(Change::Metre {
            metre: Metre::parse("4/4").unwrap(),
            now: false,
        });
        let (engine, handle) = Engine::new(&EngineConfig::new(RATE));
        Rig {
            scheduler: Scheduler::new(planner),
            engine,
            handle,
        }
    }

    /// Renders until the engine's clock reaches `end`, filling the queue a
    /// lookahead ahead before every block; returns the frames that sounded.
    fn play_until(&mut self, end: u64, mut hook: Option<&mut Hook>) -> Vec<u64> {
        let mut onsets = Vec::new();
        let mut out = vec![0.0f32; BLOCK * 2];
        while self.engine.frame() < end {
            let now = self.handle.frames();
            let hook = hook.as_mut().map(|h| &mut **h as &mut dyn BarHook);
            self.scheduler.fill(&mut self.handle, now + LOOKAHEAD, hook);
            let start = self.engine.frame();
            self.engine.process(&mut out);
            self.handle.collect_garbage();
            let loud = out.chunks(2).enumerate().filter(|(_, f)| f[0].abs() > 1e-3);
            onsets.extend(loud.map(|(i, _)| start + i as u64));
        }
        onsets
    }
}

#[test]
fn events_go_to_the_engine_only_inside_the_lookahead() {
    let mut rig = Rig::new();
    rig.scheduler.apply(Change::Loop(def("a", "click*4")));
    // Bar 0 is planned at once; only the first quarter is inside the window.
    rig.scheduler.fill(&mut rig.handle, LOOKAHEAD, None);
    assert_eq!(rig.scheduler.planner().next_bar(), 1);
    assert_eq!(rig.scheduler.queued(), 3);
    assert_eq!(
        rig.handle.room(),
        EngineConfig::new(RATE).event_capacity - 1
    );
    // Bar 1 is planned 100 ms (the plan margin) before the lookahead reaches it.
    rig.scheduler
        .fill(&mut rig.handle, 96_000 - 4_800 - 1, None);
    assert_eq!(rig.scheduler.planner().next_bar(), 1);
    rig.scheduler
        .fill(&mut rig.handle, 96_000 - 4_800 + 1, None);
    assert_eq!(rig.scheduler.planner().next_bar(), 2);
    assert_eq!(
        rig.play_until(200_000, None),
        vec![0, 24_000, 48_000, 72_000, 96_000, 120_000, 144_000, 168_000, 192_000]
    );
}

/// A bar hook that answers with a change for one bar, and may keep the
/// scheduler waiting.
struct Hook {
    ready: bool,
    asked: Vec<i64>,
    prepared: Vec<i64>,
    change_at: i64,
}

impl BarHook for Hook {
    fn prepare(&mut self, bar: i64) {
        self.prepared.push(bar);
    }
    fn ready(&mut self, _bar: i64) -> bool {
        self.ready
    }
    fn on_bar(&mut self, bar: i64) -> Vec<Change> {
        self.asked.push(bar);
        if bar == self.change_at {
            vec![Change::Loop(def("a", "tick tick"))]
        } else {
            Vec::new()
        }
    }
}

#[test]
fn a_bar_hooks_changes_land_on_its_bar() {
    let mut rig = Rig::new();
    rig.scheduler.apply(Change::Loop(def("a", "click")));
    let mut hook = Hook {
        ready: true,
        asked: Vec::new(),
        prepared: Vec::new(),
        change_at: 2,
    };
    let onsets = rig.play_until(300_000, Some(&mut hook));
    assert_eq!(onsets, vec![0, 96_000, 192_000, 240_000, 288_000]);
    assert_eq!(hook.asked, vec![0, 1, 2, 3]);
}

#[test]
fn a_late_hook_holds_its_bar_only_until_the_deadline() {
    let mut rig = Rig::new();
    rig.scheduler.apply(Change::Loop(def("a", "click")));
    let mut hook = Hook {
        ready: false,
        asked: Vec::new(),
        prepared: Vec::new(),
        change_at: -1,
    };
    // Bar 0 starts before its deadline: planned at once, without waiting.
    rig.scheduler
        .fill(&mut rig.handle, LOOKAHEAD, Some(&mut hook));
    assert_eq!(hook.asked, vec![0]);
    // Bar 1 is asked for 100 ms ahead but waits while the hook is not ready…
    rig.scheduler
        .fill(&mut rig.handle, 96_000 - 4_000, Some(&mut hook));
    assert_eq!(rig.scheduler.planner().next_bar(), 1);
    assert_eq!(hook.prepared.last(), Some(&1));
    // …until it starts within a fifth of the margin (960 frames): then it is
    // planned with what the planner has.
    rig.scheduler
        .fill(&mut rig.handle, 96_000 - 960 + 1, Some(&mut hook));
    assert_eq!(rig.scheduler.planner().next_bar(), 2);
    assert_eq!(hook.asked, vec![0, 1]);
    assert_eq!(rig.play_until(100_000, None), vec![0, 96_000]);
}

#[test]
fn a_tempo_change_now_replans_what_was_not_sent() {
    let mut rig = Rig::new();
    rig.scheduler.apply(Change::Loop(def("a", "click*4")));
    assert_eq!(rig.play_until(30_000, None), vec![0, 24_000]);
    // Double time from half way through the bar: told the clock is at
    // 47 999, the first frame not yet sent is 48 000.
    let tempo = Tempo::bpm(240.0).unwrap();
    rig.scheduler
        .apply_now(Change::Tempo { tempo, now: true }, 47_999);
    assert_eq!(
        rig.play_until(130_000, None),
        vec![48_000, 60_000, 72_000, 84_000, 96_000, 108_000, 120_000]
    );
}

#[test]
fn dropping_unsent_events_hears_a_mute_within_the_lookahead() {
    let mut rig = Rig::new();
    rig.scheduler.apply(Change::Loop(def("a", "click*4")));
    rig.scheduler.apply(Change::Loop(def("b", "tick*2")));
    assert_eq!(rig.play_until(10_000, None), vec![0]);
    assert!(rig.scheduler.planner_mut().set_muted("a", true));
    let now = rig.handle.frames();
    rig.scheduler.drop_unsent(now);
    // Only b's second tick is left in bar 0.
    assert_eq!(rig.play_until(96_000, None), vec![48_000]);
}

#[test]
fn a_bar_cut_anywhere_moves_the_next_downbeat_there() {
    // Following Ableton Link: bar 1 (already planned) is cut after 5/8 of
    // it, not at a group boundary; bar 2 starts there, in 7/8.
    let mut rig = Rig::new();
    rig.scheduler.apply(Change::Loop(def("a", "click")));
    rig.scheduler.fill(&mut rig.handle, 96_000 + 1, None);
    assert_eq!(rig.scheduler.planner().next_bar(), 2);
    let cut = crate::time::q(1, 1) + crate::time::q(5, 8);
    rig.scheduler
        .cut_bar_at(cut, Metre::parse("2+2+3/8").unwrap());
    let timeline = rig.scheduler.planner().timeline();
    assert_eq!(timeline.bar_end(1), cut);
    assert_eq!(timeline.frame_at(crate::time::q(2, 1)), 96_000 + 60_000);
    // 7/8 at 120 quarters: 3.5 quarters = 84 000 frames.
    assert_eq!(timeline.frame_at(crate::time::q(3, 1)), 156_000 + 84_000);
    assert_eq!(
        rig.play_until(250_000, None),
        vec![0, 96_000, 156_000, 240_000]
    );
}
