//! The port watcher driven by calls against an in-process backend: ports
//! appear, leave, refuse and come back between looks.

use std::cell::RefCell;
use std::rc::Rc;

use super::*;

/// What the fake MIDI system holds; the test changes it between looks.
#[derive(Default)]
struct World {
    /// Other programs' ports, as listed.
    names: Vec<String>,
    /// Ports that refuse a connection.
    refuse: Vec<String>,
    /// No MIDI system to reach.
    unreachable: bool,
    reached: usize,
    lists: usize,
    /// Every connection made, by name, in order.
    connects: Vec<String>,
}

struct Fake {
    direction: Direction,
    world: Rc<RefCell<World>>,
}

#[derive(Debug)]
struct FakePort {
    name: String,
    /// Which connection this is (0 first).
    serial: usize,
}

impl Backend for Fake {
    type Port = FakePort;

    fn direction(&self) -> Direction {
        self.direction
    }

    fn reach(&mut self) -> Result<(), MidiError> {
        let mut w = self.world.borrow_mut();
        if w.unreachable {
            return Err(MidiError::no_system(&"connection refused"));
        }
        w.reached += 1;
        Ok(())
    }

    fn list(&mut self) -> Vec<String> {
        let mut w = self.world.borrow_mut();
        w.lists += 1;
        w.names.clone()
    }

    fn connect(&mut self, name: &str) -> Result<FakePort, MidiError> {
        let mut w = self.world.borrow_mut();
        if w.refuse.iter().any(|r| r == name) {
            return Err(MidiError::Connect {
                direction: self.direction,
                name: name.into(),
                detail: "port busy".into(),
            });
        }
        w.connects.push(name.into());
        Ok(FakePort {
            name: name.into(),
            serial: w.connects.len() - 1,
        })
    }

    fn make_virtual(&mut self, name: &str) -> Result<(String, FakePort), MidiError> {
        if self.world.borrow().unreachable {
            return Err(MidiError::Virtual {
                direction: self.direction,
                name: name.into(),
                detail: "no server".into(),
            });
        }
        let full = format!("loam-in:{name}");
        Ok((
            full.clone(),
            FakePort {
                name: full,
                serial: 0,
            },
        ))
    }
}

fn world(names: &[&str]) -> Rc<RefCell<World>> {
    Rc::new(RefCell::new(World {
        names: names.iter().map(|n| n.to_string()).collect(),
        ..Default::default()
    }))
}

fn open(
    direction: Direction,
    world: &Rc<RefCell<World>>,
    spec: PortSpec,
) -> (PortWatcher<Fake>, Vec<PortNews>, Arc<MidiCounters>, Instant) {
    let counters = Arc::new(MidiCounters::default());
    let now = Instant::now();
    let fake = Fake {
        direction,
        world: world.clone(),
    };
    let (w, news) = PortWatcher::open(fake, &spec, counters.clone(), now).unwrap();
    (w, news, counters, now)
}

fn texts(news: &[PortNews]) -> Vec<String> {
    news.iter().map(|n| n.to_string()).collect()
}

fn pattern(p: &str) -> PortSpec {
    PortSpec::Pattern(p.into())
}

#[test]
fn a_pattern_connects_to_the_first_match_and_says_so() {
    let w = world(&["Midi Through:0", "nanoKONTROL2:CTRL", "nanoPAD:PAD"]);
    let (mut watcher, news, counters, _) = open(Direction::Input, &w, pattern("NANO"));
    assert_eq!(texts(&news), ["MIDI input: nanoKONTROL2:CTRL"]);
    assert!(!news[0].is_error());
    assert_eq!(watcher.name(), Some("nanoKONTROL2:CTRL"));
    assert_eq!(watcher.port().unwrap().name, "nanoKONTROL2:CTRL");
    assert_eq!(w.borrow().connects, ["nanoKONTROL2:CTRL"]);
    // Still listed: nothing to say, nothing reconnected.
    assert!(watcher.look().is_empty());
    assert_eq!(w.borrow().connects.len(), 1);
    assert_eq!(MidiCounters::get(&counters.reconnects), 0);
}

#[test]
fn loams_own_ports_never_match() {
    let w = world(&["loam-out:out", "loam-in:midi_in"]);
    let (watcher, news, _, _) = open(Direction::Output, &w, pattern("loam"));
    assert_eq!(watcher.name(), None);
    assert_eq!(
        news,
        [PortNews::NoMatch {
            direction: Direction::Output,
            pattern: "loam".into(),
            have: vec!["loam-out:out".into(), "loam-in:midi_in".into()],
        }]
    );
    assert!(w.borrow().connects.is_empty());
}

#[test]
fn no_match_yet_is_said_and_the_port_is_connected_when_it_appears() {
    let w = world(&[]);
    let (mut watcher, news, counters, _) = open(Direction::Output, &w, pattern("synth"));
    assert_eq!(
        texts(&news),
        ["no MIDI output matches 'synth' yet (have: none); loam connects when it appears"]
    );
    assert!(news[0].is_error());
    assert_eq!(watcher.name(), None);
    // Another port appears: still no match, and nothing said.
    w.borrow_mut().names.push("drums:in".into());
    assert!(watcher.look().is_empty());
    // The synth appears: connected (a first connection, not counted).
    w.borrow_mut().names.push("Synth:in".into());
    let news = watcher.look();
    assert_eq!(texts(&news), ["MIDI output connected: Synth:in"]);
    assert!(!news[0].is_error());
    assert_eq!(watcher.name(), Some("Synth:in"));
    assert_eq!(MidiCounters::get(&counters.reconnects), 0);

    let w = world(&["a:1", "b:2"]);
    let (_, news, _, _) = open(Direction::Input, &w, pattern("synth"));
    assert_eq!(
        texts(&news),
        ["no MIDI input matches 'synth' yet (have: a:1, b:2); loam connects when it appears"]
    );
}

#[test]
fn a_port_that_went_away_is_said_and_reconnected_when_it_is_back() {
    let w = world(&["dev:out"]);
    let (mut watcher, _, counters, _) = open(Direction::Input, &w, pattern("dev"));
    w.borrow_mut().names.clear();
    let news = watcher.look();
    assert_eq!(
        texts(&news),
        ["MIDI input 'dev:out' went away; the music goes on, and loam reconnects when it is back"]
    );
    assert!(news[0].is_error());
    assert!(watcher.port().is_none());
    // Said once, not at every look.
    assert!(watcher.look().is_empty());
    assert!(watcher.look().is_empty());
    w.borrow_mut().names.push("dev:out".into());
    assert_eq!(texts(&watcher.look()), ["MIDI input reconnected: dev:out"]);
    assert_eq!(MidiCounters::get(&counters.reconnects), 1);
    // A fresh connection, not the old one.
    assert_eq!(watcher.port().unwrap().serial, 1);
    // And again: every return is counted.
    w.borrow_mut().names.clear();
    watcher.look();
    w.borrow_mut().names.push("dev:out".into());
    assert_eq!(texts(&watcher.look()), ["MIDI input reconnected: dev:out"]);
    assert_eq!(MidiCounters::get(&counters.reconnects), 2);
}

#[test]
fn another_matching_port_takes_over_in_the_same_look() {
    let w = world(&["dev:in"]);
    let (mut watcher, _, counters, _) = open(Direction::Output, &w, pattern("dev"));
    w.borrow_mut().names = vec!["devB:in".into()];
    let news = watcher.look();
    assert_eq!(
        texts(&news),
        [
            "MIDI output 'dev:in' went away; the music goes on, and loam reconnects when it is back",
            "MIDI output reconnected: devB:in",
        ]
    );
    assert_eq!(watcher.name(), Some("devB:in"));
    assert_eq!(MidiCounters::get(&counters.reconnects), 1);
}

#[test]
fn a_port_that_refuses_is_said_and_tried_at_each_look() {
    let w = world(&["synth:in"]);
    w.borrow_mut().refuse.push("synth:in".into());
    let (mut watcher, news, counters, _) = open(Direction::Output, &w, pattern("synth"));
    assert_eq!(
        texts(&news),
        ["cannot connect MIDI output 'synth:in': port busy"]
    );
    assert!(news[0].is_error());
    assert_eq!(watcher.name(), None);
    assert_eq!(
        texts(&watcher.look()),
        ["cannot connect MIDI output 'synth:in': port busy"]
    );
    w.borrow_mut().refuse.clear();
    // Never connected before: a first connection.
    assert_eq!(texts(&watcher.look()), ["MIDI output connected: synth:in"]);
    assert_eq!(MidiCounters::get(&counters.reconnects), 0);
}

#[test]
fn a_virtual_port_is_made_announced_and_never_watched() {
    let w = world(&["pads:out"]);
    let (mut watcher, news, _, now) = open(Direction::Input, &w, PortSpec::Virtual("pads".into()));
    assert_eq!(texts(&news), ["MIDI input: loam-in:pads"]);
    assert_eq!(watcher.name(), Some("loam-in:pads"));
    w.borrow_mut().names.clear();
    assert!(watcher.look().is_empty());
    assert!(watcher.look_if_due(now + WATCH_INTERVAL * 10).is_empty());
    assert_eq!(watcher.name(), Some("loam-in:pads"));
    // No list was opened or read for it.
    assert_eq!((w.borrow().reached, w.borrow().lists), (0, 0));
}

#[test]
fn an_unreachable_system_or_a_virtual_port_that_cannot_be_made_fails_the_start() {
    let w = world(&["dev:out"]);
    w.borrow_mut().unreachable = true;
    let fake = || Fake {
        direction: Direction::Input,
        world: w.clone(),
    };
    let counters = Arc::new(MidiCounters::default());
    let e = PortWatcher::open(fake(), &pattern("dev"), counters.clone(), Instant::now())
        .err()
        .unwrap();
    assert_eq!(e, MidiError::no_system(&"connection refused"));
    let e = PortWatcher::open(
        fake(),
        &PortSpec::Virtual("pads".into()),
        counters,
        Instant::now(),
    )
    .err()
    .unwrap();
    assert_eq!(
        e.to_string(),
        "cannot create the virtual MIDI input 'pads': no server"
    );
}

#[test]
fn ports_are_listed_once_per_watch_interval() {
    let w = world(&["dev:out"]);
    let (mut watcher, _, _, t0) = open(Direction::Input, &w, pattern("dev"));
    let lists = || w.borrow().lists;
    assert_eq!(lists(), 1, "the opening lists once");
    let just_before = WATCH_INTERVAL - Duration::from_millis(1);
    assert!(watcher.look_if_due(t0 + just_before).is_empty());
    assert_eq!(lists(), 1);
    w.borrow_mut().names.clear();
    let news = watcher.look_if_due(t0 + WATCH_INTERVAL);
    assert_eq!(lists(), 2);
    assert!(matches!(news[..], [PortNews::WentAway { .. }]));
    // The next look is due an interval after this one.
    watcher.look_if_due(t0 + WATCH_INTERVAL + just_before);
    assert_eq!(lists(), 2);
    watcher.look_if_due(t0 + WATCH_INTERVAL * 2);
    assert_eq!(lists(), 3);
    // A clock that seems to go back never looks early.
    watcher.look_if_due(t0);
    assert_eq!(lists(), 3);
}

#[test]
fn a_taken_port_leaves_the_watcher_empty() {
    let w = world(&["dev:out"]);
    let (mut watcher, _, _, _) = open(Direction::Input, &w, pattern("dev"));
    let p = watcher.take().unwrap();
    assert_eq!(p.name, "dev:out");
    assert!(watcher.port().is_none());
}
