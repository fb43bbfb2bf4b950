//! Keeping loam from talking to itself. Two servers (or one server and its
//! own socket) that answer each other's answers make a storm: loam once
//! answered its own `/beat` with `/fail`, and that `/fail` with another,
//! 250,000 times a second. So an answer is never answered, a packet from
//! loam's own socket is never handled, and loam's own address is never a
//! subscriber or a destination.

use std::net::{IpAddr, SocketAddr, UdpSocket};

use rosc::{OscMessage, OscType};

/// The addresses loam sends and never answers: replies, notices and beats.
/// `/status` and `/clock` are requests without arguments and replies with
/// them; `/model/NAME/step` is a request with at most a count and a notice
/// with a label, ticks and a probability.
pub const ANSWERS: &[&str] = &["/done", "/fail", "/beat", "/reloaded", "/error", "/info"];

/// True when `msg` is something loam (or scsynth, or another loam) sends
/// as an answer or a notice, which must be ignored, never answered.
pub fn is_answer(msg: &OscMessage) -> bool {
    let addr = msg.addr.as_str();
    if ANSWERS.contains(&addr) {
        return true;
    }
    if matches!(addr, "/status" | "/clock") {
        return !msg.args.is_empty();
    }
    addr.starts_with("/model/")
        && addr.ends_with("/step")
        && matches!(msg.args.first(), Some(OscType::String(_)))
}

/// True when `addr` reaches loam's own socket, bound at `local`: the same
/// port on the bound address, on loopback (`127.0.0.1`, `::1`, `localhost`),
/// on the unspecified address (`0.0.0.0`, which the kernel delivers
/// locally), or, when loam listens on every interface, on any address of
/// this machine.
pub fn is_own(addr: SocketAddr, local: SocketAddr) -> bool {
    if addr.port() != local.port() {
        return false;
    }
    let ip = addr.ip().to_canonical();
    let bound = local.ip().to_canonical();
    if ip == bound {
        return true;
    }
    let bound_everywhere = bound.is_unspecified();
    if ip.is_unspecified() {
        return true;
    }
    if ip.is_loopback() {
        return bound_everywhere || bound.is_loopback();
    }
    bound_everywhere && is_this_machine(ip)
}

/// Whether `ip` is one of this machine's addresses: only those can be bound.
fn is_this_machine(ip: IpAddr) -> bool {
    UdpSocket::bind(SocketAddr::new(ip, 0)).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(addr: &str, args: Vec<OscType>) -> OscMessage {
        OscMessage {
            addr: addr.into(),
            args,
        }
    }

    #[test]
    fn answers_are_told_from_requests() {
        for a in ANSWERS {
            assert!(is_answer(&msg(a, vec![])), "{a}");
        }
        assert!(!is_answer(&msg("/status", vec![])));
        assert!(is_answer(&msg("/status", vec![OscType::Float(120.0)])));
        assert!(!is_answer(&msg("/clock", vec![])));
        assert!(is_answer(&msg("/clock", vec![OscType::Long(5)])));
        assert!(!is_answer(&msg("/model/m/step", vec![OscType::Int(2)])));
        assert!(is_answer(&msg(
            "/model/m/step",
            vec![
                OscType::String("kick".into()),
                OscType::Int(3),
                OscType::Float(0.5)
            ]
        )));
        assert!(!is_answer(&msg("/tempo", vec![OscType::Float(120.0)])));
    }

    #[test]
    fn loams_own_address_in_every_spelling() {
        let a = |s: &str| s.parse::<SocketAddr>().unwrap();
        let lo = a("127.0.0.1:57130");
        assert!(is_own(a("127.0.0.1:57130"), lo));
        assert!(is_own(a("127.0.0.5:57130"), lo));
        assert!(is_own(a("0.0.0.0:57130"), lo));
        assert!(is_own(a("[::ffff:127.0.0.1]:57130"), lo));
        assert!(!is_own(a("127.0.0.1:57131"), lo));
        assert!(!is_own(a("192.0.2.1:57130"), lo));
        let any = a("0.0.0.0:57130");
        assert!(is_own(a("127.0.0.1:57130"), any));
        assert!(is_own(a("[::1]:57130"), any));
        assert!(!is_own(a("192.0.2.1:57130"), any), "not this machine");
        let v6 = a("[::1]:57130");
        assert!(is_own(a("[::1]:57130"), v6));
        assert!(is_own(a("127.0.0.1:57130"), v6));
    }
}
