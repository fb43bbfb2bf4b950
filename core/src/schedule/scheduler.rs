//! Keeps the engine's event queue filled up to a lookahead window.
//!
//! Bars are planned whole, as soon as their first frame comes within the
//! window, into a local queue; events move to the engine only once their
//! frame is inside the window, so a change made "now" can still replace
//! what was planned but not yet sent.

use std::collections::VecDeque;

use super::{Change, Planner};
use crate::audio::{EngineHandle, QueueFull, SoundEvent};

/// Something that is asked, before each bar is planned, what should change
/// (a performer's script with a `bar(n)` function).
pub trait BarHook: Send {
    /// The metre bar `on_bar` prepares starts in (told just before it).
    fn metre_for_bar(&mut self, _metre: &crate::time::Metre) {}
    /// Bar `bar` will be planned soon: start working on it (a script on its
    /// own thread is sent the job here). Called again until it is planned.
    fn prepare(&mut self, _bar: i64) {}
    /// True when [`BarHook::on_bar`] can answer for `bar` without waiting.
    /// The scheduler waits for this only until the bar's planning deadline.
    fn ready(&mut self, _bar: i64) -> bool {
        true
    }
    /// The changes for bar `bar`, given now: never waits (a hook that is not
    /// ready answers with no changes and says so in its messages).
    fn on_bar(&mut self, bar: i64) -> Vec<Change>;
    /// Messages for the performer (errors, prints).
    fn take_messages(&mut self) -> Vec<String> {
        Vec::new()
    }
}

/// Feeds a planner's events to the engine, ahead of the audio clock.
pub struct Scheduler {
    planner: Planner,
    queue: VecDeque<SoundEvent>,
    /// Bars are planned this many frames before events are sent, so script
    /// code for a bar has finished long before its first event is due.
    plan_margin: u64,
    /// Frame of the last event handed to the engine.
    sent_until: u64,
}

impl Scheduler {
    /// A scheduler over `planner`, planning 100 ms (a tenth of the sample rate in frames) ahead of sending.
    pub fn new(planner: Planner) -> Scheduler {
        let margin = planner.timeline().sample_rate() as u64 / 10;
        Scheduler {
            planner,
            queue: VecDeque::new(),
            plan_margin: margin,
            sent_until: 0,
        }
    }

    /// How far ahead of sending bars are planned, in frames.
    pub fn plan_margin(&self) -> u64 {
        self.plan_margin
    }

    /// How far ahead of sending bars are planned (default 100 ms).
    pub fn set_plan_margin(&mut self, frames: u64) {
        self.plan_margin = frames;
    }

    /// The planner: loops, timeline and sounds.
    pub fn planner(&self) -> &Planner {
        &self.planner
    }

    /// The planner, to change loops or sounds.
    pub fn planner_mut(&mut self) -> &mut Planner {
        &mut self.planner
    }

    /// Events planned but not yet sent.
    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    /// Plans bars starting before `until` and sends the engine every event
    /// whose frame is before `until`. Stops early if the engine's ring is full
    /// (the rest goes next time).
    pub fn fill(&mut self, handle: &mut EngineHandle, until: u64, hook: Option<&mut dyn BarHook>) {
        // A bar is asked of the hook once it starts within the plan margin
        // and planned as soon as the hook is ready, or at the latest when it
        // starts within a fifth of the margin: the hook gets ~80 ms.
        let deadline = until + self.plan_margin / 5;
        self.plan_with_deadline(until + self.plan_margin, deadline, hook);
        while let Some(front) = self.queue.front() {
            if front.frame >= until {
                break;
            }
            let Some(event) = self.queue.pop_front() else {
                break;
            };
            let frame = event.frame;
            if let Err(QueueFull(event)) = handle.send(event) {
                self.queue.push_front(event);
                break;
            }
            self.sent_until = frame;
        }
    }

    /// Plans every bar that starts before `until` (offline renders and tests
    /// use this directly).
    pub fn plan_until(&mut self, until: u64, hook: Option<&mut dyn BarHook>) {
        self.plan_with_deadline(until, u64::MAX, hook);
    }

    /// Plans every bar that starts before `until`; a bar whose hook is not
    /// [`BarHook::ready`] waits (for a later call) while it starts at or
    /// after `deadline`, and is planned without waiting once it starts
    /// before it.
    pub fn plan_with_deadline(
        &mut self,
        until: u64,
        deadline: u64,
        mut hook: Option<&mut dyn BarHook>,
    ) {
        while self.planner.next_bar_frame() < until {
            let bar = self.planner.next_bar();
            if let Some(hook) = hook.as_deref_mut() {
                let start = crate::time::Rational::from_integer(bar as i128);
                hook.metre_for_bar(self.planner.timeline().metre_at(start));
                hook.prepare(bar);
                if !hook.ready(bar) && self.planner.next_bar_frame() >= deadline {
                    return;
                }
                for change in hook.on_bar(bar) {
                    self.planner.apply(change);
                }
            }
            let events = self.planner.plan_next_bar();
            self.enqueue(events);
        }
    }

    /// Adds sorted events to the queue, keeping it sorted by frame (a
    /// humanised note may fall before the end of the previous bar) and never
    /// earlier than what was already sent.
    fn enqueue(&mut self, events: Vec<SoundEvent>) {
        for mut e in events {
            e.frame = e.frame.max(self.sent_until);
            if self.queue.back().is_none_or(|b| b.frame <= e.frame) {
                self.queue.push_back(e);
            } else {
                let at = self.queue.partition_point(|q| q.frame <= e.frame);
                self.queue.insert(at, e);
            }
        }
    }

    /// Applies changes that wait for the next bar or grid meeting point.
    pub fn apply(&mut self, change: Change) {
        self.planner.apply(change);
    }

    /// Applies a tempo or metre change now: at the first frame not yet sent
    /// to the engine (after `now_frame`), replanning what was planned beyond it.
    pub fn apply_now(&mut self, change: Change, now_frame: u64) {
        let from = self.first_unsent(now_frame);
        let pos = self.planner.timeline().position_at_frame(from);
        self.apply_at(change, pos);
    }

    /// The first frame whose events may still change (not yet sent).
    pub fn first_unsent(&self, now_frame: u64) -> u64 {
        self.sent_until.max(now_frame) + 1
    }

    /// Applies a tempo or metre change at `pos`, which must not lie before
    /// [`Scheduler::first_unsent`]; replans what was planned beyond it.
    /// (MIDI clock following times its changes on the pulse grid, so that
    /// positions keep small denominators.)
    pub fn apply_at(&mut self, change: Change, pos: crate::time::Rational) {
        let Some(stale_from) = self.planner.apply_at(change, pos) else {
            return;
        };
        self.replan_from(stale_from);
    }

    /// Cuts the bar holding `cut` short exactly there, the next bar starting
    /// in `metre` (see [`Planner::cut_bar_at`]); `cut` must not lie before
    /// [`Scheduler::first_unsent`]. Replans what was planned beyond it.
    pub fn cut_bar_at(&mut self, cut: crate::time::Rational, metre: crate::time::Metre) {
        let stale_from = self.planner.cut_bar_at(cut, metre);
        self.replan_from(stale_from);
    }

    /// Forgets what was planned from `stale_from` on and plans it again.
    fn replan_from(&mut self, stale_from: crate::time::Rational) {
        let stale_frame = self.planner.timeline().frame_at(stale_from);
        self.queue.retain(|e| e.frame < stale_frame);
        self.planner.drop_midi_notes_from(stale_frame);
        // Replan the rest of the bar holding the change, and every bar after.
        let bar = stale_from.floor().to_integer() as i64;
        if bar < self.planner.next_bar() {
            let end = self.planner.timeline().bar_end(bar);
            if stale_from < end {
                let events = self.planner.plan_span(stale_from, end);
                self.enqueue(events);
            }
            self.planner.rewind_to(bar + 1);
        }
    }

    /// Forgets planned events not yet sent to the engine and plans the rest
    /// of the bar again, as the planner now stands (after a mute, solo or
    /// hush that must be heard now): the change is heard within the
    /// lookahead, not at the bar line. `now_frame` is the engine's clock.
    pub fn drop_unsent(&mut self, now_frame: u64) {
        let from = self.first_unsent(now_frame);
        self.queue.retain(|e| e.frame < from);
        self.planner.drop_midi_notes_from(from);
        let pos = self.planner.timeline().position_at_frame(from);
        let bar = pos.floor().to_integer() as i64;
        if bar < self.planner.next_bar() {
            let end = self.planner.timeline().bar_end(bar);
            if pos < end {
                let events = self.planner.plan_span(pos, end);
                self.enqueue(events);
            }
            self.planner.rewind_to(bar + 1);
        }
    }

    /// Messages from the planner, for the performer.
    pub fn take_messages(&mut self) -> Vec<String> {
        self.planner.take_messages()
    }
}
