//! Direct (OSC, MIDI) events waiting inside the engine for their frame,
//! kept in frame order from the moment they arrive. Audio thread only
//! (built with its fixed capacity before the audio starts).
//!
//! Direct events may come in any order, unlike the scheduler's. Each one is
//! put in its place as it arrives: after every waiting event due at the
//! same frame or earlier, so events due together start in the order they
//! came. The engine then only looks at the front. Events that arrive in
//! time order (a burst of `/play`, MIDI notes, a client's bundles) go in at
//! the back in constant time, so a block that takes `n` of them costs
//! O(n); one that arrives before others already waiting moves those along
//! by one place (a memory move inside the fixed buffer).
//!
//! NOTE: the buffer is a `VecDeque` made with its capacity up front and
//! never filled past it, so nothing here allocates or frees.

use std::collections::VecDeque;

use rtrb::Consumer;

use super::SoundEvent;

/// Direct events waiting for their frame, earliest first.
pub struct WaitingEvents {
    events: VecDeque<SoundEvent>,
    capacity: usize,
}

impl WaitingEvents {
    /// Room for `capacity` events, allocated now (not on the audio thread).
    pub fn with_capacity(capacity: usize) -> WaitingEvents {
        WaitingEvents {
            events: VecDeque::with_capacity(capacity),
            capacity,
        }
    }

    /// Events waiting.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// No event is waiting.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// Moves events from `ring` into their places while there is room.
    /// Returns `true` when the ring still holds events that did not fit
    /// (they stay there, for a later block). Audio thread: no allocation.
    pub fn take_from(&mut self, ring: &mut Consumer<SoundEvent>) -> bool {
        while self.events.len() < self.capacity {
            match ring.pop() {
                Ok(event) => self.insert(event),
                Err(_) => return false,
            }
        }
        !ring.is_empty()
    }

    /// Puts `event` after every waiting event due at its frame or earlier.
    /// The caller has checked there is room.
    fn insert(&mut self, event: SoundEvent) {
        let frame = event.frame;
        match (self.events.front(), self.events.back()) {
            (_, None) => self.events.push_back(event),
            (_, Some(last)) if last.frame <= frame => self.events.push_back(event),
            (Some(first), _) if frame < first.frame => self.events.push_front(event),
            _ => {
                let at = self.events.partition_point(|e| e.frame <= frame);
                self.events.insert(at, event);
            }
        }
    }

    /// The earliest waiting event, if it is due before frame `end`.
    pub fn next_before(&self, end: u64) -> Option<&SoundEvent> {
        self.events.front().filter(|e| e.frame < end)
    }

    /// Takes the earliest waiting event.
    pub fn pop(&mut self) -> Option<SoundEvent> {
        self.events.pop_front()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use rtrb::RingBuffer;

    use super::*;
    use crate::sound::Sample;

    fn event(frame: u64, gain: f32) -> SoundEvent {
        let sample = Arc::new(Sample {
            name: "click".into(),
            channels: 1,
            data: vec![1.0],
            source: "test".into(),
            credit: crate::data::credit::Credit::NONE,
        });
        let mut e = SoundEvent::new(frame, sample);
        e.gain = gain;
        e
    }

    /// Pops every waiting event as (frame, gain).
    fn drain(w: &mut WaitingEvents) -> Vec<(u64, f32)> {
        std::iter::from_fn(|| w.pop().map(|e| (e.frame, e.gain))).collect()
    }

    #[test]
    fn events_arriving_in_any_order_come_out_earliest_first() {
        let (mut tx, mut rx) = RingBuffer::new(16);
        for f in [50, 10, 90, 30, 30, 70, 0, 90] {
            tx.push(event(f, 0.0)).unwrap();
        }
        let mut w = WaitingEvents::with_capacity(16);
        assert!(!w.take_from(&mut rx));
        let frames: Vec<u64> = drain(&mut w).into_iter().map(|(f, _)| f).collect();
        assert_eq!(frames, [0, 10, 30, 30, 50, 70, 90, 90]);
    }

    #[test]
    fn events_due_together_keep_their_order_of_arrival() {
        let (mut tx, mut rx) = RingBuffer::new(16);
        // Gain marks the arrival: four at frame 20, arriving around others.
        for (f, g) in [
            (20, 1.0),
            (40, 2.0),
            (20, 3.0),
            (5, 4.0),
            (20, 5.0),
            (20, 6.0),
        ] {
            tx.push(event(f, g)).unwrap();
        }
        let mut w = WaitingEvents::with_capacity(16);
        w.take_from(&mut rx);
        assert_eq!(
            drain(&mut w),
            [
                (5, 4.0),
                (20, 1.0),
                (20, 3.0),
                (20, 5.0),
                (20, 6.0),
                (40, 2.0)
            ]
        );
    }

    #[test]
    fn what_does_not_fit_stays_in_the_ring_and_the_buffer_never_grows() {
        let (mut tx, mut rx) = RingBuffer::new(16);
        for f in (0..10).rev() {
            tx.push(event(f, 0.0)).unwrap();
        }
        let mut w = WaitingEvents::with_capacity(4);
        let room = w.events.capacity();
        assert!(w.take_from(&mut rx), "six events did not fit");
        assert_eq!(w.len(), 4);
        assert_eq!(rx.slots(), 6);
        // The four that fit (frames 9, 8, 7, 6) come out earliest first.
        assert_eq!(w.next_before(7).map(|e| e.frame), Some(6));
        assert_eq!(w.next_before(6).map(|e| e.frame), None);
        let frames: Vec<u64> = drain(&mut w).into_iter().map(|(f, _)| f).collect();
        assert_eq!(frames, [6, 7, 8, 9]);
        assert!(w.is_empty());
        // Taking the rest, in two goes, never reallocates.
        assert!(w.take_from(&mut rx));
        w.pop();
        w.pop();
        assert!(!w.take_from(&mut rx));
        assert_eq!(w.len(), 4);
        assert_eq!(w.events.capacity(), room);
    }
}
