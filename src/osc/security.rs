//! Who may talk to loam. By default only this machine: the socket binds to
//! loopback, and binding anywhere else needs an explicit flag. Code
//! (`/eval`, `/load`) from another machine is refused unless allowed, and an
//! allow-list can restrict which clients are heard at all.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

/// An access setting loam refuses, naming the flag's text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AccessError {
    /// An `--osc-allow` entry that is not an IP address.
    NotAnAddress(String),
    /// An `--osc-allow` network whose prefix length is above `max` (32 or 128).
    Prefix {
        /// The entry as given.
        text: String,
        /// The longest prefix its family takes: 32 (IPv4) or 128 (IPv6).
        max: u8,
    },
    /// A bind address other machines can reach, without `--osc-public`.
    Public(SocketAddr),
}

impl fmt::Display for AccessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AccessError::NotAnAddress(text) => write!(
                f,
                "'{text}' is not an IP address (give 192.168.1.20 or 10.0.0.0/8)"
            ),
            AccessError::Prefix { text, max } => {
                write!(f, "'{text}': the prefix length must be 0 to {max}")
            }
            AccessError::Public(addr) => write!(
                f,
                "--osc {addr} would let other machines control loam; add --osc-public to allow it \
                 (and --osc-allow ADDRESS to list the clients you trust)"
            ),
        }
    }
}

impl std::error::Error for AccessError {}

/// One allowed client address or network: `192.168.1.20`, `10.0.0.0/8`, `fe80::/10`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AllowEntry {
    net: IpAddr,
    prefix: u8,
}

impl FromStr for AllowEntry {
    type Err = AccessError;

    fn from_str(text: &str) -> Result<AllowEntry, AccessError> {
        let (ip, prefix) = match text.split_once('/') {
            Some((ip, p)) => (ip, Some(p)),
            None => (text, None),
        };
        let net: IpAddr = ip
            .trim()
            .parse()
            .map_err(|_| AccessError::NotAnAddress(text.to_string()))?;
        let net = net.to_canonical();
        let max = if net.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => match p.trim().parse::<u8>() {
                Ok(n) if n <= max => n,
                _ => {
                    return Err(AccessError::Prefix {
                        text: text.to_string(),
                        max,
                    })
                }
            },
        };
        Ok(AllowEntry { net, prefix })
    }
}

impl AllowEntry {
    /// True when `ip` is inside this network (IPv4-mapped IPv6 addresses count as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.net, ip.to_canonical()) {
            (IpAddr::V4(n), IpAddr::V4(a)) => prefix_match(&n.octets(), &a.octets(), self.prefix),
            (IpAddr::V6(n), IpAddr::V6(a)) => prefix_match(&n.octets(), &a.octets(), self.prefix),
            _ => false,
        }
    }
}

fn prefix_match(net: &[u8], addr: &[u8], prefix: u8) -> bool {
    let full = (prefix / 8) as usize;
    if net[..full] != addr[..full] {
        return false;
    }
    let rest = prefix % 8;
    if rest == 0 {
        return true;
    }
    let mask = 0xffu8 << (8 - rest);
    net[full] & mask == addr[full] & mask
}

/// The access rules of one server.
#[derive(Clone, Debug, Default)]
pub struct Access {
    /// Accept `/eval` and `/load` from other machines.
    pub allow_remote_code: bool,
    /// If not empty, only these clients (and this machine) are heard.
    pub allow: Vec<AllowEntry>,
}

impl Access {
    /// Whether a packet from `ip` is handled at all.
    pub fn admits(&self, ip: IpAddr) -> bool {
        ip.to_canonical().is_loopback()
            || self.allow.is_empty()
            || self.allow.iter().any(|e| e.contains(ip))
    }

    /// Whether `ip` may send code (`/eval`, `/load`).
    pub fn may_send_code(&self, ip: IpAddr) -> bool {
        ip.to_canonical().is_loopback() || self.allow_remote_code
    }
}

/// Refuses a non-loopback bind address unless `public` was asked for.
pub fn check_bind(addr: SocketAddr, public: bool) -> Result<(), AccessError> {
    if addr.ip().to_canonical().is_loopback() || public {
        Ok(())
    } else {
        Err(AccessError::Public(addr))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks_and_single_addresses() {
        let net: AllowEntry = "10.1.0.0/16".parse().unwrap();
        assert!(net.contains("10.1.200.3".parse().unwrap()));
        assert!(!net.contains("10.2.0.1".parse().unwrap()));
        let one: AllowEntry = "192.168.1.20".parse().unwrap();
        assert!(one.contains("::ffff:192.168.1.20".parse().unwrap()));
        assert!(!one.contains("192.168.1.21".parse().unwrap()));
        let odd: AllowEntry = "172.16.0.0/12".parse().unwrap();
        assert!(odd.contains("172.31.255.255".parse().unwrap()));
        assert!(!odd.contains("172.32.0.0".parse().unwrap()));
        assert!("10.0.0.0/33".parse::<AllowEntry>().is_err());
        assert!("kick".parse::<AllowEntry>().is_err());
    }

    #[test]
    fn loopback_always_passes_and_code_needs_permission() {
        let access = Access {
            allow_remote_code: false,
            allow: vec!["10.0.0.5".parse().unwrap()],
        };
        assert!(access.admits("127.0.0.1".parse().unwrap()));
        assert!(access.admits("10.0.0.5".parse().unwrap()));
        assert!(!access.admits("10.0.0.6".parse().unwrap()));
        assert!(!access.may_send_code("10.0.0.5".parse().unwrap()));
        assert!(access.may_send_code("::1".parse().unwrap()));
        assert!(check_bind("0.0.0.0:57130".parse().unwrap(), false).is_err());
        assert!(check_bind("0.0.0.0:57130".parse().unwrap(), true).is_ok());
        assert!(check_bind("127.0.0.1:57130".parse().unwrap(), false).is_ok());
    }
}
