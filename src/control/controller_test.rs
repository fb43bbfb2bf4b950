//! The controller driven in-process on the engine's clock: no server, no
//! sockets, no sleeps. Each test renders blocks offline, calling
//! [`Controller::step`] before each as the control thread does, and hands
//! commands to [`Controller::handle`]. Only answers from the script thread
//! are waited for (with a generous deadline), never a duration.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, Receiver};

use super::command::Reply;
use super::{Answer, Command, Controller, Notice, PlayRequest};
use crate::audio::{Engine, EngineConfig};
use crate::schedule::Change;
use crate::session::Session;
use crate::sound::Sample;
use crate::time::{Tempo, TempoOctave};

const RATE: u32 = 48_000;
const BLOCK: usize = 256;
const LOOKAHEAD: u64 = 2_048;
/// 4/4 at 120 (a bar is 96 000 frames) and one click a bar.
const ONE_CLICK_A_BAR: &str = "tempo(120); metre(\"4/4\"); live_loop(\"a\", \"click\");";

struct Rig {
    controller: Controller,
    engine: Engine,
    notices: Receiver<Notice>,
    dir: PathBuf,
}

impl Rig {
    /// A controller playing `script` (in its own folder), with one-frame
    /// `click` and `tick` sounds in its bank.
    fn new(tag: &str, script: &str) -> Rig {
        let dir =
            std::env::temp_dir().join(format!("loam-controller-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("main.rhai");
        std::fs::write(&path, script).unwrap();
        let (mut session, engine) = Session::start(&path, &EngineConfig::new(RATE)).unwrap();
        let bank = session.scheduler.planner_mut().bank_mut();
        let mut data = vec![0.0; 32];
        data[0] = 1.0;
        for name in ["click", "tick"] {
            let sample = Sample {
                name: name.into(),
                channels: 1,
                data: data.clone(),
                source: format!("{name} (test)"),
                credit: crate::data::credit::Credit::NONE,
            };
            bank.insert(name, vec![sample]);
        }
        // Commands go straight to `handle`; nothing sends on this channel.
        let (_, commands) = bounded(1);
        let mut controller = Controller::new(session, commands, LOOKAHEAD).without_watcher();
        controller.echo = false;
        let (tx, notices) = bounded(4096);
        controller.subscribe(tx);
        Rig {
            controller,
            engine,
            notices,
            dir,
        }
    }

    /// Renders until the engine's clock reaches `end`; the frames that sounded.
    fn play_until(&mut self, end: u64) -> Vec<u64> {
        let mut onsets = Vec::new();
        let mut out = vec![0.0f32; BLOCK * 2];
        while self.engine.frame() < end {
            self.controller.step();
            let start = self.engine.frame();
            self.engine.process(&mut out);
            let loud = out.chunks(2).enumerate().filter(|(_, f)| f[0].abs() > 1e-3);
            onsets.extend(loud.map(|(i, _)| start + i as u64));
        }
        onsets
    }

    /// Hands over a command with a reply and steps (without moving the
    /// clock) until it is answered.
    fn ask(&mut self, command: impl FnOnce(Option<Reply>) -> Command) -> Result<String, String> {
        let (tx, rx) = bounded(1);
        assert!(self.controller.handle(command(Some(tx))));
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(answer) = rx.try_recv() {
                return match answer {
                    Answer::Text(text) => Ok(text),
                    Answer::List(items) => Ok(format!("{items:?}")),
                    Answer::Failed(e) => Err(e.to_string()),
                };
            }
            assert!(Instant::now() < deadline, "no answer within 60 s");
            self.controller.step();
            std::thread::yield_now();
        }
    }

    fn eval(&mut self, code: &str) -> Result<String, String> {
        self.ask(|reply| Command::Eval {
            code: code.into(),
            origin: "test".into(),
            reply,
        })
    }

    fn errors(&self) -> Vec<String> {
        self.notices
            .try_iter()
            .filter_map(|n| match n {
                Notice::Error(e) => Some(e),
                _ => None,
            })
            .collect()
    }
}

impl Drop for Rig {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn an_eval_is_answered_and_plays_from_the_next_bar() {
    let mut rig = Rig::new("eval", ONE_CLICK_A_BAR);
    assert_eq!(rig.play_until(24_000), vec![0]);
    assert_eq!(
        rig.eval("live_loop(\"a\", \"click click\");"),
        Ok("evaluated".to_string())
    );
    assert_eq!(rig.play_until(200_000), vec![96_000, 144_000, 192_000]);
}

#[test]
fn a_failing_change_is_answered_and_the_old_version_keeps_playing() {
    let mut rig = Rig::new("failing", ONE_CLICK_A_BAR);
    assert_eq!(rig.play_until(24_000), vec![0]);
    // A call that does not exist, after a change that would have applied.
    let e = rig
        .eval("live_loop(\"a\", \"click*4\"); no_such_function();")
        .unwrap_err();
    assert!(e.contains("no_such_function"), "{e}");
    // A syntax error, and a pattern that does not parse.
    assert!(rig.eval("live_loop(\"a\", ").is_err());
    assert!(rig.eval("live_loop(\"a\", \"click [\");").is_err());
    // Each failure is told to subscribers too.
    let errors = rig.errors();
    assert!(errors.len() >= 3, "{errors:?}");
    assert!(
        errors.iter().any(|e| e.contains("no_such_function")),
        "{errors:?}"
    );
    assert_eq!(rig.play_until(200_000), vec![96_000, 192_000]);
    assert_eq!(rig.controller.status().loops, vec!["a".to_string()]);
}

#[test]
fn load_reads_a_script_from_the_scripts_folder() {
    let mut rig = Rig::new("load", ONE_CLICK_A_BAR);
    std::fs::write(
        rig.dir.join("other.rhai"),
        "live_loop(\"b\", \"tick tick\");",
    )
    .unwrap();
    assert_eq!(rig.play_until(24_000), vec![0]);
    let ok = rig
        .ask(|reply| Command::Load {
            path: "other.rhai".into(),
            reply,
        })
        .unwrap();
    assert!(
        ok.starts_with("loaded ") && ok.ends_with("other.rhai"),
        "{ok}"
    );
    // b's second tick shows that it plays from bar 1.
    assert_eq!(rig.play_until(150_000), vec![96_000, 144_000]);
    assert!(rig.controller.status().loops.contains(&"b".to_string()));
    // A file that is not there is refused by name; the music goes on.
    let e = rig
        .ask(|reply| Command::Load {
            path: "missing.rhai".into(),
            reply,
        })
        .unwrap_err();
    assert!(e.contains("missing.rhai"), "{e}");
    assert_eq!(rig.play_until(200_000), vec![192_000]);
}

#[test]
fn set_reaches_the_scripts_controls() {
    let mut rig = Rig::new("set", ONE_CLICK_A_BAR);
    let check = "if ctrl(\"x\", 0.0) != 0.75 { throw \"x is \" + ctrl(\"x\", 0.0); }";
    let e = rig.eval(check).unwrap_err();
    assert!(e.contains("x is 0"), "{e}");
    assert!(rig.controller.handle(Command::SetControl {
        name: "x".into(),
        value: 0.75,
    }));
    assert_eq!(rig.eval(check), Ok("evaluated".to_string()));
}

#[test]
fn play_sounds_a_sound_now_and_names_unknown_ones() {
    let mut rig = Rig::new("play", ONE_CLICK_A_BAR);
    assert_eq!(rig.play_until(24_000), vec![0]);
    let now = rig.engine.frame();
    let answer = rig.ask(|reply| Command::Play {
        request: PlayRequest::new("tick"),
        reply,
    });
    assert_eq!(answer, Ok("tick".to_string()));
    assert_eq!(rig.play_until(30_000), vec![now]);
    let e = rig
        .ask(|reply| Command::Play {
            request: PlayRequest::new("nope"),
            reply,
        })
        .unwrap_err();
    assert!(
        e.starts_with("unknown sound 'nope' (known: ") && e.contains("click"),
        "{e}"
    );
}

#[test]
fn mute_hush_and_stop() {
    let mut rig = Rig::new(
        "hush",
        "tempo(120); metre(\"4/4\"); live_loop(\"a\", \"click*4\"); live_loop(\"b\", \"tick\");",
    );
    assert_eq!(rig.play_until(10_000), vec![0]);
    let muted = rig.ask(|reply| Command::Mute {
        name: "a".into(),
        muted: true,
        reply,
    });
    assert_eq!(muted, Ok("a".to_string()));
    let unknown = rig.ask(|reply| Command::Mute {
        name: "zz".into(),
        muted: true,
        reply,
    });
    assert_eq!(unknown, Err("no loop named 'zz'".to_string()));
    // Heard within the lookahead, not at the bar: only b's bar-1 tick is left.
    assert_eq!(rig.play_until(100_000), vec![96_000]);
    assert!(rig.controller.handle(Command::Hush));
    assert!(rig.controller.status().loops.is_empty());
    assert_eq!(rig.play_until(300_000), Vec::<u64>::new());
    assert!(!rig.controller.handle(Command::Stop));
}

#[test]
fn bars_and_beats_in_six_eight() {
    let mut rig = Rig::new(
        "beats",
        "tempo(120); metre(\"6/8\"); live_loop(\"a\", \"click\");",
    );
    // Two dotted-quarter beats a bar: 48 000 frames a bar at 120.
    assert_eq!(rig.play_until(100_000), vec![0, 48_000, 96_000]);
    let beats: Vec<(i64, i64, i64)> = rig
        .notices
        .try_iter()
        .filter_map(|n| match n {
            Notice::Beat {
                bar, beat, pulse, ..
            } => Some((bar, beat, pulse)),
            _ => None,
        })
        .collect();
    assert_eq!(
        beats,
        vec![(0, 0, 0), (0, 1, 3), (1, 0, 0), (1, 1, 3), (2, 0, 0)]
    );
    let status = rig.controller.status();
    assert_eq!((status.bar, status.beat), (2, 0));
    assert_eq!(status.metre, "3+3/8");
    assert_eq!(status.tempo, 120.0);
}

#[test]
fn tempo_and_octave_changes_wait_for_the_bar() {
    let mut rig = Rig::new("tempo", ONE_CLICK_A_BAR);
    assert_eq!(rig.play_until(24_000), vec![0]);
    rig.controller.handle(Command::Change(Change::Tempo {
        tempo: Tempo::bpm(240.0).unwrap(),
        now: false,
    }));
    // Bar 1 starts where it always would; from there a bar is 48 000 frames.
    assert_eq!(rig.play_until(150_000), vec![96_000, 144_000]);
    let octave = rig.ask(|reply| Command::LoopOctave {
        name: "a".into(),
        octave: TempoOctave::new(1).unwrap(),
        reply,
    });
    assert_eq!(octave, Ok("a".to_string()));
    // Twice a bar from bar 3 (192 000), the next bar line.
    assert_eq!(rig.play_until(250_000), vec![192_000, 216_000, 240_000]);
    let unknown = rig.ask(|reply| Command::LoopOctave {
        name: "zz".into(),
        octave: TempoOctave::new(1).unwrap(),
        reply,
    });
    assert_eq!(unknown, Err("no loop named 'zz'".to_string()));
}
