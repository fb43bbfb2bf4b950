//! Answers, following scsynth: `/done ADDRESS …` on success, `/fail ADDRESS
//! REASON` on failure, sent to whoever asked. Answers that need the control
//! thread come back on a channel; the replier thread waits for them in the
//! order they were asked (the control thread handles commands in order).

use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError};
use rosc::{encoder, OscMessage, OscPacket, OscType};

use super::fail_limit::FailLimit;
use super::sending_thread::spawn_sending_thread;
use super::OscCounters;
use crate::control::{Answer, AnswerArg};
// The control thread quotes input in its answers by the same rule.
pub use crate::control::quote::{list, quote, MAX_LISTED, MAX_QUOTED_CHARS};

/// How long an answer from the control thread may take (an `/eval` of a
/// heavy snippet included) before the client is told it timed out.
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);

/// An answer's reason, and each text argument of a `/done`, keeps at most
/// this many characters (its start and its end, an ellipsis between): at
/// most 16 KB of UTF-8, so every answer fits one UDP datagram (64 KB).
pub const MAX_TEXT_CHARS: usize = 4000;

/// `text` kept whole up to [`MAX_TEXT_CHARS`] characters; longer, its
/// first and last halves with " … " between.
pub fn fit(text: &str) -> String {
    let n = text.chars().count();
    if n <= MAX_TEXT_CHARS {
        return text.to_string();
    }
    let half = MAX_TEXT_CHARS / 2;
    let head: String = text.chars().take(half).collect();
    let tail: String = text.chars().skip(n - half).collect();
    format!("{head} … {tail}")
}

/// `/done ADDRESS args…`
pub fn done(address: &str, args: Vec<OscType>) -> OscMessage {
    let mut all = Vec::with_capacity(args.len() + 1);
    all.push(OscType::String(quote_address(address)));
    all.extend(args.into_iter().map(|a| match a {
        OscType::String(s) => OscType::String(fit(&s)),
        other => other,
    }));
    OscMessage {
        addr: "/done".into(),
        args: all,
    }
}

/// `/fail ADDRESS REASON`, fitting one datagram whatever it was sent.
pub fn fail(address: &str, reason: &str) -> OscMessage {
    OscMessage {
        addr: "/fail".into(),
        args: vec![
            OscType::String(quote_address(address)),
            OscType::String(fit(reason)),
        ],
    }
}

/// The address an answer is about: whole when it is of a sane length (a
/// client matches answers by it), else quoted.
fn quote_address(address: &str) -> String {
    if address.len() <= 256 {
        address.to_string()
    } else {
        quote(address)
    }
}

/// Encodes and sends a packet; a failure is counted, never fatal.
pub fn send(socket: &UdpSocket, to: SocketAddr, packet: &OscPacket, counters: &OscCounters) {
    match encoder::encode(packet) {
        Ok(bytes) => {
            if socket.send_to(&bytes, to).is_err() {
                OscCounters::add(&counters.send_errors);
            }
        }
        Err(_) => OscCounters::add(&counters.send_errors),
    }
}

/// Sends one message.
pub fn send_message(socket: &UdpSocket, to: SocketAddr, msg: OscMessage, counters: &OscCounters) {
    send(socket, to, &OscPacket::Message(msg), counters);
}

/// An answer the control thread owes a client.
pub struct Pending {
    /// The client to answer.
    pub to: SocketAddr,
    /// The request's address, repeated in `/done` or `/fail`.
    pub address: String,
    /// Where the control thread's answer arrives.
    pub answer: Receiver<Answer>,
}

/// Starts the replier: it sends each pending answer as it arrives, in order.
pub fn spawn_replier(
    socket: Arc<UdpSocket>,
    pending: Receiver<Pending>,
    counters: Arc<OscCounters>,
    fails: Arc<FailLimit>,
    stop: Arc<AtomicBool>,
) -> std::io::Result<JoinHandle<()>> {
    spawn_sending_thread("loam-osc-replier", pending, stop, move |p: Pending| {
        let msg = match p.answer.recv_timeout(ANSWER_TIMEOUT) {
            Ok(answer) => answer_message(&p.address, answer),
            Err(RecvTimeoutError::Timeout) => {
                fail(&p.address, "the control thread did not answer in time")
            }
            Err(RecvTimeoutError::Disconnected) => fail(&p.address, "loam is stopping"),
        };
        if msg.addr == "/fail" && !fails.allow(p.to, std::time::Instant::now()) {
            OscCounters::add(&counters.fails_unsent);
            return;
        }
        send_message(&socket, p.to, msg, &counters);
    })
}

/// `/done ADDRESS …` or `/fail ADDRESS REASON` for the control thread's
/// answer: a text is one string argument (none when empty), a list keeps
/// each argument's type.
pub fn answer_message(address: &str, answer: Answer) -> OscMessage {
    match answer {
        Answer::Text(text) if text.is_empty() => done(address, Vec::new()),
        Answer::Text(text) => done(address, vec![OscType::String(text)]),
        Answer::List(items) => done(
            address,
            items
                .into_iter()
                .map(|item| match item {
                    AnswerArg::Str(s) => OscType::String(s),
                    AnswerArg::Int(i) => OscType::Int(i),
                    AnswerArg::Float(f) => OscType::Float(f),
                })
                .collect(),
        ),
        Answer::Failed(e) => fail(address, &e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::control::ControlError;

    /// The arguments after the address of a `/done`.
    fn answer_args(answer: Answer) -> Vec<OscType> {
        let m = answer_message("/x", answer);
        assert_eq!(m.addr, "/done");
        m.args[1..].to_vec()
    }

    #[test]
    fn list_answers_keep_the_types_they_were_given() {
        let list = Answer::List(vec![
            AnswerArg::Str("60".into()),
            AnswerArg::Int(24),
            AnswerArg::Float(0.25),
            AnswerArg::Str("nan".into()),
        ]);
        assert_eq!(
            answer_args(list),
            vec![
                OscType::String("60".into()),
                OscType::Int(24),
                OscType::Float(0.25),
                OscType::String("nan".into()),
            ]
        );
        assert_eq!(
            answer_args(Answer::Text("plain".into())),
            vec![OscType::String("plain".into())]
        );
        assert_eq!(answer_args(Answer::Text(String::new())), vec![]);
        // A text that looks like a list stays one string.
        assert_eq!(
            answer_args(Answer::Text("\u{1f}i3".into())),
            vec![OscType::String("\u{1f}i3".into())]
        );
        assert_eq!(
            answer_message("/play", Answer::Failed(ControlError::QueueFull)),
            fail("/play", "the engine's queue is full")
        );
    }

    #[test]
    fn answers_fit_a_datagram_whatever_they_quote() {
        let name = "a".repeat(65_400);
        assert_eq!(quote(&name).chars().count(), MAX_QUOTED_CHARS + 1);
        assert!(quote(&name).ends_with('…'));
        assert_eq!(quote("kick"), "kick");
        let sounds: Vec<String> = (0..5000).map(|i| format!("sound{i}")).collect();
        let listed = list(&sounds);
        assert!(listed.starts_with("sound0, sound1, "), "{listed}");
        assert!(listed.ends_with(&format!("… and {} more", 5000 - MAX_LISTED)));
        assert_eq!(list(&["a", "b"]), "a, b");
        // Even a reason and an address built from whole input fit.
        let reason = format!("unknown sound '{name}' (known: {})", sounds.join(", "));
        let m = fail(&format!("/loop/{name}/mute"), &reason);
        let bytes = encoder::encode(&OscPacket::Message(m.clone())).unwrap();
        assert!(bytes.len() < 20_000, "{}", bytes.len());
        let OscType::String(r) = &m.args[1] else {
            panic!()
        };
        assert!(r.starts_with("unknown sound 'aaa") && r.ends_with("sound4999)"));
        let d = done("/eval", vec![OscType::String("x".repeat(100_000))]);
        assert!(encoder::encode(&OscPacket::Message(d)).unwrap().len() < 20_000);
    }
}
