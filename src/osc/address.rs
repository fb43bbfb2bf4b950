//! The address space: what each OSC address does. Runs on the handler
//! thread; `/status`, `/clock`, `/subscribe` and `/unsubscribe` are answered
//! here, everything else becomes a [`Command`] for the control thread.
//!
//! | address | arguments | effect |
//! |---|---|---|
//! | `/tempo` | `f bpm [s note-value]` | tempo at the next bar |
//! | `/metre` | `s metre` | metre at the next bar |
//! | `/octave` | `i k [s loop]` | tempo octave (global, or one loop's) |
//! | `/play` | `s sound [s key, f value]…` | play a sound now or at the bundle's time; `gain`, `pan`, `rate`/`speed` (negative: reversed), `length`/`sustain`, `n` follow [`crate::pattern::values`] |
//! | `/set` | `s name, f value` | a named control scripts read with `ctrl(name)` |
//! | `/loop/NAME/mute`, `…/unmute`, `…/solo`, `/unsolo` | | loop switches |
//! | `/hush` | | silence and stop every loop |
//! | `/eval` | `s code [s origin]` | run code against the running script |
//! | `/load` | `s path` | run a script file |
//! | `/status` | | answered with `/status …` |
//! | `/clock` | | answered with `/clock h frame, t time, i sample-rate` |
//! | `/subscribe`, `/unsubscribe` | `[i port]` | beats and script news |
//! | `/link` | `i on` | join (1) or leave (0) the Ableton Link session (builds with the `link` feature) |
//! | `/link/quantum` | `f beats` | read Link's phase over this many beats, a whole number of bars (0: loam's bar) |
//! | `/link/start_stop` | `i on` | start and stop loops with the session's transport |
//! | `/link/play` | `i on` | press play (1) or stop (0) on the session's transport |
//! | `/capture` | `s name, i bars` | record the next `bars` bars of live input, from the next bar line, into the sound `name` (answered when the take is set up) |
//! | `/input/gain`, `/input/monitor` | `f level` | the live input's gain; its level in the mix (0: off) |

use crate::model::torchscript::AttrValue;
use crate::schedule::ModelOp;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crossbeam_channel::{Receiver, SendTimeoutError, Sender};
use rosc::{OscMessage, OscTime, OscType};

use super::args::Args;
use super::reply::{done, fail};
use super::subscribers::Subscribers;
use super::timetag::When;
use super::{Access, OscCounters};
use crate::control::{Answer, Command, PlayRequest, Reply, StatusBoard};
use crate::pattern::values;
use crate::schedule::Change;
use crate::time::wallclock::{self, ClockStamp, Frame};
use crate::time::{Metre, NoteValue, Tempo, TempoOctave};

/// The addresses loam answers, for "unknown address" replies.
pub const KNOWN: &str = "/tempo /metre /octave /play /set /loop/NAME/mute /loop/NAME/unmute \
/loop/NAME/solo /unsolo /hush /eval /load /status /clock /subscribe /unsubscribe \
/model/load /model/NAME/latent /model/NAME/shape /model/NAME/set /model/NAME/gain /model/NAME/unload /midi/learn \
/link /link/quantum /link/start_stop /link/play /capture /input/gain /input/monitor /corpus/NAME/xy";

/// How long the handler waits for room in the control thread's queue.
const SEND_TIMEOUT: Duration = Duration::from_secs(1);

/// What the handler needs to act on one message.
pub struct Context<'a> {
    /// The control thread's queue.
    pub commands: &'a Sender<Command>,
    /// The latest status, for `/status` without waiting on the control thread.
    pub board: &'a StatusBoard,
    /// The server's counters (received, refused, answered…).
    pub counters: &'a OscCounters,
    /// Who hears beats and notices (`/subscribe`).
    pub subscribers: &'a Subscribers,
    /// Who is heard (`--osc-allow`), and whether other machines may send code.
    pub access: &'a Access,
    /// The sender's address: answers go there.
    pub from: SocketAddr,
    /// Where loam's own socket is bound.
    pub local: SocketAddr,
}

/// The answer to one message.
pub enum Outcome {
    /// Send this now.
    Reply(OscMessage),
    /// The control thread will answer (`/done` or `/fail`).
    Pending(Receiver<Answer>),
}

/// Acts on one message; a message inside a bundle comes with the bundle's time.
pub fn dispatch(msg: &OscMessage, when: When, cx: &Context) -> Outcome {
    match route(msg, when, cx) {
        Ok(outcome) => outcome,
        Err(Refusal::Bad(reason)) => {
            OscCounters::add(&cx.counters.bad);
            Outcome::Reply(fail(&msg.addr, &reason))
        }
        Err(Refusal::Refused(reason)) => {
            OscCounters::add(&cx.counters.refused);
            Outcome::Reply(fail(&msg.addr, &reason))
        }
        Err(Refusal::Busy(reason)) => {
            OscCounters::add(&cx.counters.dropped);
            Outcome::Reply(fail(&msg.addr, &reason))
        }
    }
}

enum Refusal {
    /// Wrong arguments or an unknown address.
    Bad(String),
    /// Not allowed from this client.
    Refused(String),
    /// The control thread could not take it.
    Busy(String),
}

impl From<String> for Refusal {
    fn from(s: String) -> Refusal {
        Refusal::Bad(s)
    }
}

impl From<super::args::ArgError> for Refusal {
    fn from(e: super::args::ArgError) -> Refusal {
        Refusal::Bad(e.to_string())
    }
}

fn route(msg: &OscMessage, when: When, cx: &Context) -> Result<Outcome, Refusal> {
    let a = Args::new(msg);
    let addr = msg.addr.as_str();
    let ok = || Ok(Outcome::Reply(done(addr, Vec::new())));
    match addr {
        "/status" => {
            a.count(0, 0, "")?;
            Ok(Outcome::Reply(status(cx)))
        }
        "/clock" => {
            a.count(0, 0, "")?;
            Ok(Outcome::Reply(clock(cx.board)))
        }
        "/tempo" => {
            a.count(1, 2, "bpm [note-value]")?;
            let mut tempo = Tempo::bpm(a.number(0, "bpm")?).map_err(|e| format!("/tempo: {e}"))?;
            if a.len() == 2 {
                let note = NoteValue::parse(a.string(1, "note value")?)
                    .map_err(|e| format!("/tempo: {e}"))?;
                tempo = tempo.counting(note);
            }
            send(cx, Command::Change(Change::Tempo { tempo, now: false }))?;
            ok()
        }
        "/metre" => {
            a.count(1, 1, "metre")?;
            let metre = Metre::parse(a.string(0, "metre")?).map_err(|e| format!("/metre: {e}"))?;
            send(cx, Command::Change(Change::Metre { metre, now: false }))?;
            ok()
        }
        "/octave" => {
            a.count(1, 2, "k [loop]")?;
            let k = values::OCTAVE
                .check(a.number(0, "k")?)
                .map_err(|e| format!("/octave: {e}"))?;
            let octave = TempoOctave::new(k as i64).map_err(|e| format!("/octave: {e}"))?;
            if a.len() == 2 {
                let name = a.string(1, "loop")?.to_string();
                pending(cx, |reply| Command::LoopOctave {
                    name,
                    octave,
                    reply,
                })
            } else {
                send(cx, Command::Change(Change::Octave(octave)))?;
                ok()
            }
        }
        "/play" => {
            let request = play_request(&a, when)?;
            pending(cx, |reply| Command::Play { request, reply })
        }
        "/set" => {
            a.count(2, 2, "name value")?;
            let name = a.string(0, "name")?.to_string();
            let value = a.number(1, "value")?;
            send(cx, Command::SetControl { name, value })?;
            ok()
        }
        "/hush" => {
            a.count(0, 0, "")?;
            send(cx, Command::Hush)?;
            ok()
        }
        "/model/load" => {
            a.count(2, 3, "name path [route]")?;
            may_send_code(cx)?;
            let name = a.string(0, "name")?.to_string();
            let path = std::path::PathBuf::from(a.string(1, "path")?);
            let route = if a.len() == 3 {
                Some(a.string(2, "route")?.to_string())
            } else {
                None
            };
            pending(cx, |reply| Command::Model {
                op: ModelOp::Load { name, path, route },
                reply,
            })
        }
        "/midi/learn" => {
            a.count(1, 4, "target [min max] [curve]")?;
            let mut text = a.string(0, "target")?.to_string();
            if a.len() >= 3 {
                text += &format!(" {} {}", a.number(1, "min")?, a.number(2, "max")?);
            }
            if a.len() == 2 || a.len() == 4 {
                text += " ";
                text += a.string(a.len() - 1, "curve")?;
            }
            let req =
                crate::control::midi::LearnRequest::parse(&text).map_err(|e| e.to_string())?;
            pending(cx, |reply| Command::Midi {
                command: crate::control::midi::MidiCommand::Learn(req),
                reply,
            })
        }
        "/link" | "/link/start_stop" | "/link/play" => {
            a.count(1, 1, "on (1) or off (0)")?;
            let on = a.int(0, "on")? != 0;
            let request = match addr {
                "/link" => crate::control::link::LinkRequest::Join(on),
                "/link/play" => crate::control::link::LinkRequest::Play(on),
                _ => crate::control::link::LinkRequest::StartStop(on),
            };
            pending(cx, |reply| Command::Link { request, reply })
        }
        "/link/quantum" => {
            a.count(1, 1, "beats")?;
            let q = a.number(0, "beats")?;
            if !(q.is_finite() && q >= 0.0) {
                return Err(Refusal::Bad(format!(
                    "/link/quantum: {q} is not a number of beats (0 for loam's bar)"
                )));
            }
            let request = crate::control::link::LinkRequest::Quantum(q);
            pending(cx, |reply| Command::Link { request, reply })
        }
        "/unsolo" => {
            a.count(0, 0, "")?;
            pending(cx, |reply| Command::Solo { name: None, reply })
        }
        "/eval" => {
            a.count(1, 2, "code [origin]")?;
            may_send_code(cx)?;
            let code = a.string(0, "code")?.to_string();
            let origin = if a.len() == 2 {
                a.string(1, "origin")?.to_string()
            } else {
                "<osc>".to_string()
            };
            pending(cx, |reply| Command::Eval {
                code,
                origin,
                reply,
            })
        }
        "/load" => {
            a.count(1, 1, "path")?;
            may_send_code(cx)?;
            let path = PathBuf::from(a.string(0, "path")?);
            pending(cx, |reply| Command::Load { path, reply })
        }
        "/subscribe" => {
            a.count(0, 1, "[port]")?;
            let to = subscriber(&a, cx.from)?;
            if super::echo::is_own(to, cx.local) {
                return Err(Refusal::Bad(format!(
                    "/subscribe: {to} is loam's own socket; loam would answer its own beats"
                )));
            }
            cx.subscribers
                .add(to)
                .map_err(|e| format!("/subscribe: {e}"))?;
            Ok(Outcome::Reply(done(
                addr,
                vec![OscType::Int(to.port() as i32)],
            )))
        }
        "/unsubscribe" => {
            a.count(0, 1, "[port]")?;
            let to = subscriber(&a, cx.from)?;
            if cx.subscribers.remove(to) {
                Ok(Outcome::Reply(done(
                    addr,
                    vec![OscType::Int(to.port() as i32)],
                )))
            } else {
                Err(Refusal::Bad(format!(
                    "/unsubscribe: {to} is not subscribed"
                )))
            }
        }
        "/capture" => {
            a.count(2, 2, "name bars")?;
            let name = a.string(0, "name")?.to_string();
            let bars = a.int(1, "bars")?;
            let op = crate::schedule::InputOp::Capture { name, bars };
            op.check()?;
            pending(cx, |reply| Command::Input { op, reply })
        }
        "/input/gain" | "/input/monitor" => {
            a.count(1, 1, "level")?;
            let level = a.number(0, "level")?;
            let op = if addr == "/input/gain" {
                crate::schedule::InputOp::Gain(level)
            } else {
                crate::schedule::InputOp::Monitor(level)
            };
            op.check()?;
            pending(cx, |reply| Command::Input { op, reply })
        }
        _ if addr.starts_with("/model/") => model_address(addr, &a, cx),
        _ if addr.starts_with("/corpus/") => corpus_address(addr, &a, cx),
        _ => match loop_switch(addr) {
            Some((name, action)) => {
                a.count(0, 0, "")?;
                let name = name.to_string();
                match action {
                    "mute" => pending(cx, |reply| Command::Mute {
                        name,
                        muted: true,
                        reply,
                    }),
                    "unmute" => pending(cx, |reply| Command::Mute {
                        name,
                        muted: false,
                        reply,
                    }),
                    _ => pending(cx, |reply| Command::Solo {
                        name: Some(name),
                        reply,
                    }),
                }
            }
            None => Err(Refusal::Bad(format!(
                "unknown address {} (loam knows {KNOWN})",
                short(addr)
            ))),
        },
    }
}

/// `/model/NAME/latent f…`, `/model/NAME/shape i dim f offset f scale`,
/// `/model/NAME/set s attr value…`, `/model/NAME/gain f [f pan]`, `/model/NAME/unload`,
/// `/model/NAME/step [i count]` (a step model a script loaded by name).
fn model_address(addr: &str, a: &Args, cx: &Context) -> Result<Outcome, Refusal> {
    let rest = addr.strip_prefix("/model/").unwrap_or_default();
    let Some((name, action)) = rest.rsplit_once('/').filter(|(n, _)| !n.is_empty()) else {
        return Err(Refusal::Bad(format!(
            "unknown address {} (loam knows {KNOWN})",
            short(addr)
        )));
    };
    let name = name.to_string();
    let op = match action {
        "latent" => {
            a.count(1, 64, "value…")?;
            let latent = (0..a.len())
                .map(|i| {
                    let v = a.number(i, "latent value")?;
                    values::LATENT.check(v).map_err(|e| {
                        Refusal::Bad(format!("/model/{name}/latent: argument {}: {e}", i + 1))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            ModelOp::Latent {
                name,
                values: latent,
            }
        }
        "shape" => {
            a.count(3, 3, "dim offset scale")?;
            let dim = a.int(0, "dim")?;
            let dim =
                usize::try_from(dim).map_err(|_| format!("/model: dimension {dim} is negative"))?;
            ModelOp::Shape {
                name,
                dim,
                offset: a.number(1, "offset")?,
                scale: a.number(2, "scale")?,
            }
        }
        "set" => {
            a.count(2, 16, "attribute value…")?;
            let attr = a.string(0, "attribute")?.to_string();
            let values = (1..a.len())
                .map(|i| match a.raw(i) {
                    Some(rosc::OscType::Int(v)) => Ok(AttrValue::Int(*v as i64)),
                    Some(rosc::OscType::Long(v)) => Ok(AttrValue::Int(*v)),
                    Some(rosc::OscType::Float(v)) => Ok(AttrValue::Float(*v as f64)),
                    Some(rosc::OscType::Double(v)) => Ok(AttrValue::Float(*v)),
                    Some(rosc::OscType::Bool(v)) => Ok(AttrValue::Bool(*v)),
                    Some(rosc::OscType::String(v)) => Ok(AttrValue::Str(v.clone())),
                    _ => Err(format!(
                        "/model/{}/set: argument {} must be a number, bool or string",
                        name,
                        i + 1
                    )),
                })
                .collect::<Result<Vec<_>, _>>()?;
            ModelOp::Set { name, attr, values }
        }
        "gain" => {
            a.count(1, 2, "gain [pan]")?;
            let rule = |i: usize, rule: values::Rule| -> Result<f32, Refusal> {
                let v = a.number(i, rule.name)?;
                rule.check(v)
                    .map(|v| v as f32)
                    .map_err(|e| Refusal::Bad(format!("/model/{name}/gain: {e}")))
            };
            let pan = if a.len() == 2 {
                rule(1, values::PAN)?
            } else {
                0.0
            };
            let gain = rule(0, values::GAIN)?;
            ModelOp::Gain { name, gain, pan }
        }
        "unload" => {
            a.count(0, 0, "")?;
            ModelOp::Unload { name }
        }
        "input" => {
            a.count(0, 1, "[sound]")?;
            let sound = if a.len() == 1 {
                a.string(0, "sound")?.to_string()
            } else {
                String::new()
            };
            ModelOp::Input { name, sound }
        }
        "step" => {
            a.count(0, 1, "[count]")?;
            let count = if a.len() == 1 { a.int(0, "count")? } else { 1 };
            if !(1..=256).contains(&count) {
                return Err(Refusal::Bad(format!(
                    "/model/{name}/step: count {count} must be 1 to 256"
                )));
            }
            ModelOp::Step {
                name,
                count: count as usize,
            }
        }
        _ => {
            return Err(Refusal::Bad(format!(
                "unknown address {} (loam knows {KNOWN})",
                short(addr)
            )))
        }
    };
    pending(cx, |reply| Command::Model { op, reply })
}

/// `/corpus/NAME/xy f x, f y [i play]`: moves corpus NAME's cursor (both
/// 0..1; `map` names the corpus loaded last), selecting the nearest segment
/// for `NAME:xy` steps and, unless `play` is 0, playing it now. Answered
/// `/done /corpus/NAME/xy i segment, f x, f y, s recording`.
fn corpus_address(addr: &str, a: &Args, cx: &Context) -> Result<Outcome, Refusal> {
    let rest = addr.strip_prefix("/corpus/").unwrap_or_default();
    let Some(name) = rest
        .strip_suffix("/xy")
        .filter(|n| !n.is_empty() && !n.contains('/'))
    else {
        return Err(Refusal::Bad(format!(
            "unknown address {} (loam knows {KNOWN})",
            short(addr)
        )));
    };
    a.count(2, 3, "x y [play]")?;
    let mut point = [0.0; 2];
    for (i, what) in ["x", "y"].into_iter().enumerate() {
        let v = a.number(i, what)?;
        if !(0.0..=1.0).contains(&v) {
            return Err(Refusal::Bad(format!(
                "{addr}: {what} {v} is off the map (give 0 to 1)"
            )));
        }
        point[i] = v;
    }
    let play = if a.len() < 3 || a.int(2, "play")? != 0 {
        crate::control::corpus_cursor::CursorPlay::Always
    } else {
        crate::control::corpus_cursor::CursorPlay::Never
    };
    let name = name.to_string();
    pending(cx, |reply| Command::Corpus {
        name,
        x: Some(point[0]),
        y: Some(point[1]),
        play,
        reply,
    })
}

/// `/loop/NAME/mute|unmute|solo` → (NAME, action).
fn loop_switch(addr: &str) -> Option<(&str, &str)> {
    let rest = addr.strip_prefix("/loop/")?;
    let (name, action) = rest.rsplit_once('/')?;
    (!name.is_empty() && matches!(action, "mute" | "unmute" | "solo")).then_some((name, action))
}

fn short(s: &str) -> String {
    super::reply::quote(s)
}

fn may_send_code(cx: &Context) -> Result<(), Refusal> {
    if cx.access.may_send_code(cx.from.ip()) {
        Ok(())
    } else {
        Err(Refusal::Refused(format!(
            "code from {} is refused: start loam with --osc-allow-code to accept /eval and /load from other machines",
            cx.from.ip()
        )))
    }
}

fn subscriber(a: &Args, from: SocketAddr) -> Result<SocketAddr, Refusal> {
    if a.is_empty() {
        return Ok(from);
    }
    let port = a.int(0, "port")?;
    if !(1..=65535).contains(&port) {
        return Err(Refusal::Bad(format!(
            "port {port} is not a UDP port (1 to 65535)"
        )));
    }
    Ok(SocketAddr::new(from.ip(), port as u16))
}

fn send(cx: &Context, cmd: Command) -> Result<(), Refusal> {
    cx.commands
        .send_timeout(cmd, SEND_TIMEOUT)
        .map_err(|e| match e {
            SendTimeoutError::Timeout(_) => {
                Refusal::Busy("the control thread is busy; try again".into())
            }
            SendTimeoutError::Disconnected(_) => Refusal::Busy("loam is stopping".into()),
        })
}

fn pending(cx: &Context, make: impl FnOnce(Option<Reply>) -> Command) -> Result<Outcome, Refusal> {
    let (tx, rx) = crossbeam_channel::bounded(1);
    send(cx, make(Some(tx)))?;
    Ok(Outcome::Pending(rx))
}

/// `/play s sound [s key, value]…`; `sound` may name a variant (`hat:2`).
fn play_request(a: &Args, when: When) -> Result<PlayRequest, Refusal> {
    if a.is_empty() || a.len().is_multiple_of(2) {
        return Err(Refusal::Bad(format!(
            "/play takes a sound and key-value pairs (gain, pan, rate, length, n), got {} argument{}",
            a.len(),
            if a.len() == 1 { "" } else { "s" }
        )));
    }
    let name = a.string(0, "sound")?;
    let (sound, variant) = match name.rsplit_once(':') {
        Some((s, v)) => (
            s,
            v.parse::<u32>().map_err(|_| {
                Refusal::Bad(format!(
                    "/play: '{}': the variant after ':' must be a whole number",
                    short(name)
                ))
            })?,
        ),
        None => (name, 0),
    };
    if sound.is_empty() {
        return Err(Refusal::Bad("/play: the sound name is empty".into()));
    }
    let mut req = PlayRequest::new(sound);
    req.variant = variant;
    for i in (1..a.len()).step_by(2) {
        let key = a.string(i, "key")?;
        // Each value by its one rule (see [`crate::pattern::values`]).
        let value = |rule: values::Rule| -> Result<f64, Refusal> {
            let v = a.number(i + 1, key)?;
            rule.check(v)
                .map_err(|e| Refusal::Bad(format!("/play: {e}")))
        };
        match key {
            "gain" => req.gain = value(values::GAIN)? as f32,
            "pan" => req.pan = value(values::PAN)? as f32,
            "rate" | "speed" => req.rate = value(values::RATE)? as f32,
            "length" | "sustain" => req.length = Some(value(values::LENGTH)?),
            "n" | "variant" => req.variant = value(values::VARIANT)? as u32,
            other => {
                return Err(Refusal::Bad(format!(
                    "/play: unknown key '{}' (use gain, pan, rate, length or n)",
                    short(other)
                )))
            }
        }
    }
    req.at_nanos = when.at_nanos();
    Ok(req)
}

fn int(x: u64) -> OscType {
    OscType::Int(x.min(i32::MAX as u64) as i32)
}

fn status(cx: &Context) -> OscMessage {
    status_message(cx.board, cx.counters)
}

/// `/status tempo metre octave bar beat loops models late_events xruns
/// dropped_packets late_bundles bad_packets voices late_bars muted_sources
/// muted link link_peers link_tempo link_phase link_quantum model_rtf
/// model_latency models_too_slow nan_values` (Link: 1 in a session, else 0
/// and zeros; `model_rtf` is `name=rtf` per loaded model, its real-time
/// factor as measured when it loaded, `model_latency` is `name=frames`, the
/// latency it adds in engine frames, both space-separated in the order of
/// `models`; `models_too_slow` counts the models that measured slower than
/// real time; `nan_values`: signal values that were NaN or infinite,
/// withheld and counted)
pub fn status_message(board: &StatusBoard, c: &OscCounters) -> OscMessage {
    let r = board.read();
    OscMessage {
        addr: "/status".into(),
        args: vec![
            OscType::Float(r.tempo as f32),
            OscType::String(r.metre),
            OscType::Int(r.octave as i32),
            OscType::Int(r.bar.clamp(i32::MIN as i64, i32::MAX as i64) as i32),
            OscType::Int(r.beat as i32),
            OscType::String(r.loops.join(" ")),
            OscType::String(r.models.join(" ")),
            int(r.late_events),
            int(r.xruns),
            int(OscCounters::get(&c.dropped) + OscCounters::get(&c.refused)),
            int(OscCounters::get(&c.late_bundles)),
            int(OscCounters::get(&c.bad)),
            int(r.active_voices),
            int(r.late_bars),
            int(r.muted_sources),
            OscType::String(r.muted.join("; ")),
            OscType::Int(r.link.on as i32),
            int(r.link.peers),
            OscType::Float(r.link.tempo as f32),
            OscType::Float(r.link.phase as f32),
            OscType::Float(r.link.quantum as f32),
            OscType::String(
                r.model_timings
                    .iter()
                    .map(|t| format!("{}={:.4}", t.name, t.rtf))
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            OscType::String(
                r.model_timings
                    .iter()
                    .map(|t| format!("{}={}", t.name, t.latency_frames))
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            int(r.model_timings.iter().filter(|t| !t.real_time).count() as u64),
            int(r.nan_values),
        ],
    }
}

/// `/clock h frame, t time, i sample-rate`: the frame that plays at `time`
/// (the output's latest stamp), so a client can map its clock onto loam's.
fn clock(board: &StatusBoard) -> OscMessage {
    let stamp = board.engine.clock().unwrap_or_else(|| ClockStamp {
        frame: Frame(board.engine.frames()),
        nanos: wallclock::now_nanos(),
    });
    let (seconds, fractional) = wallclock::nanos_to_ntp(stamp.nanos);
    OscMessage {
        addr: "/clock".into(),
        args: vec![
            OscType::Long(stamp.frame.get() as i64),
            OscType::Time(OscTime {
                seconds,
                fractional,
            }),
            OscType::Int(board.sample_rate as i32),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loop_addresses() {
        assert_eq!(loop_switch("/loop/kick/mute"), Some(("kick", "mute")));
        assert_eq!(loop_switch("/loop/a/b/solo"), Some(("a/b", "solo")));
        assert_eq!(loop_switch("/loop//mute"), None);
        assert_eq!(loop_switch("/loop/kick/explode"), None);
    }
}
