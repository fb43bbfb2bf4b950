//! Reading OSC as real clients write it. Every type tag of OSC 1.0 and 1.1
//! that a client sends is read (`i f s S b h t d c r m T F N I [ ]`; the
//! symbol `S` of liblo and SuperCollider arrives as a string), a message
//! with no type tag string at all (old and minimal clients) is a message
//! without arguments, and a bundle is split here element by element, so one
//! bad element is refused on its own (with its number and, when readable,
//! its address) while the good ones around it still act.
//!
//! Nothing here panics or allocates more than the datagram holds: every
//! size is checked against what is left before it is used.

use std::fmt;

use rosc::{OscArray, OscColor, OscMessage, OscMidiMessage, OscTime, OscType};

/// Bundles nested deeper than this are refused (no client nests them; the
/// limit keeps a hostile packet from recursing deeply).
pub const MAX_DEPTH: usize = 8;

/// Arrays (`[ ]`) nested deeper than this are refused, for the same reason.
pub const MAX_ARRAY_DEPTH: usize = 8;

const BUNDLE_TAG: &[u8] = b"#bundle\0";

/// A decoded packet: a message, a bundle of elements, or something refused.
#[derive(Clone, Debug, PartialEq)]
pub enum Element {
    /// One message.
    Message(OscMessage),
    /// A bundle: its elements play together at its timetag.
    Bundle {
        /// When, as NTP time (seconds since 1900 and 2⁻³² fractions); 1 means now.
        timetag: OscTime,
        /// Its messages and bundles, in packet order.
        content: Vec<Element>,
    },
    /// Unreadable: answered `/fail ADDRESS REASON` and counted.
    /// `address` is the message's address when it could be read, else
    /// `#bundle` (inside a bundle) or `?`.
    Refused {
        /// The message's address, `#bundle` or `?`.
        address: String,
        /// Why it was refused (a [`MalformedMessage`] or a framing error), in words.
        reason: String,
    },
}

/// Why a message could not be read; arguments are named by their number
/// (1-based) and type tag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MalformedMessage {
    /// Bytes after the address but no `,` type tag string to read them by.
    NoTypeTags {
        /// Bytes left after the address.
        bytes: usize,
    },
    /// A string argument with no bytes left for it.
    Missing {
        /// The argument's number, 1-based.
        index: usize,
        /// Its type tag.
        tag: char,
    },
    /// An argument that needs more bytes than are left.
    Short {
        /// The argument's number, 1-based.
        index: usize,
        /// Its type tag.
        tag: char,
        /// Bytes it needs.
        needs: usize,
        /// Bytes left in the message.
        left: usize,
    },
    /// A blob whose size is negative.
    BlobSize {
        /// The argument's number, 1-based.
        index: usize,
        /// The size the blob claims, in bytes.
        size: i32,
    },
    /// A `c` argument whose code is not a Unicode scalar value.
    NotChar {
        /// The argument's number, 1-based.
        index: usize,
        /// The code it carries.
        code: u32,
    },
    /// Arrays nested deeper than [`MAX_ARRAY_DEPTH`].
    ArrayDepth,
    /// A `]` with no `[` open.
    ClosesNoArray {
        /// The number of the argument it would close, 1-based.
        index: usize,
    },
    /// A type tag loam does not read.
    UnknownTag {
        /// The argument's number, 1-based.
        index: usize,
        /// The type tag.
        tag: char,
    },
    /// A `[` never closed.
    OpenArray,
}

impl fmt::Display for MalformedMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MalformedMessage::NoTypeTags { bytes } => write!(
                f,
                "no type tag string (',…') after the address, and {bytes} bytes of arguments that cannot be read without one"
            ),
            MalformedMessage::Missing { index, tag } => {
                write!(f, "argument {index} ('{tag}') is missing")
            }
            MalformedMessage::Short {
                index,
                tag,
                needs,
                left,
            } => write!(
                f,
                "argument {index} ('{tag}') needs {needs} bytes, {left} are left"
            ),
            MalformedMessage::BlobSize { index, size } => {
                write!(f, "argument {index} (blob) has size {size}")
            }
            MalformedMessage::NotChar { index, code } => {
                write!(f, "argument {index} ('c') {code:#x} is not a character")
            }
            MalformedMessage::ArrayDepth => {
                write!(f, "arrays nested more than {MAX_ARRAY_DEPTH} deep")
            }
            MalformedMessage::ClosesNoArray { index } => {
                write!(f, "type tag {index} ']' closes no array")
            }
            MalformedMessage::UnknownTag { index, tag } => write!(
                f,
                "unknown type tag '{}' (argument {index}); loam reads i f s S b h t d c r m T F N I [ ]",
                tag.escape_debug()
            ),
            MalformedMessage::OpenArray => f.write_str("an array ('[') is never closed (']')"),
        }
    }
}

impl std::error::Error for MalformedMessage {}

/// Decodes one datagram.
pub fn decode(bytes: &[u8]) -> Element {
    if bytes.starts_with(BUNDLE_TAG) {
        bundle(bytes, 1)
    } else if bytes.first() == Some(&b'/') {
        match message(bytes) {
            Ok(m) => Element::Message(m),
            Err(reason) => Element::Refused {
                address: address_of(bytes).unwrap_or_else(|| "?".into()),
                reason: format!("malformed message: {reason}"),
            },
        }
    } else {
        Element::Refused {
            address: "?".into(),
            reason: not_osc(bytes),
        }
    }
}

fn not_osc(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        "malformed packet: it is empty".into()
    } else {
        format!(
            "malformed packet: {} bytes that start with neither '/' (a message) nor '#bundle'",
            bytes.len()
        )
    }
}

/// A bundle at nesting `depth` (1 for a datagram's own bundle).
fn bundle(bytes: &[u8], depth: usize) -> Element {
    let refused = |reason: String| Element::Refused {
        address: "#bundle".into(),
        reason,
    };
    if depth > MAX_DEPTH {
        return refused(format!("bundles nested more than {MAX_DEPTH} deep"));
    }
    if bytes.len() < 16 {
        return refused(format!(
            "malformed bundle: {} bytes, too short for its timetag (16 bytes)",
            bytes.len()
        ));
    }
    let timetag = OscTime {
        seconds: be_u32(&bytes[8..12]),
        fractional: be_u32(&bytes[12..16]),
    };
    let mut content = Vec::new();
    let mut pos = 16;
    let mut number = 0;
    while pos < bytes.len() {
        number += 1;
        let left = bytes.len() - pos;
        if left < 4 {
            content.push(refused(format!(
                "bundle element {number}: {left} stray bytes where an element size belongs"
            )));
            break;
        }
        let size = be_u32(&bytes[pos..pos + 4]) as i32;
        let start = pos + 4;
        if size <= 0 {
            content.push(refused(format!(
                "bundle element {number}: its size is {size}; an element has at least 4 bytes"
            )));
            if size == 0 {
                // The next element follows at once.
                pos = start;
                continue;
            }
            // A negative size hides where the next element starts.
            break;
        }
        let size = size as usize;
        if size > bytes.len() - start {
            content.push(refused(format!(
                "bundle element {number}: its size {size} runs past the end of the bundle ({} bytes left)",
                bytes.len() - start
            )));
            break;
        }
        let inner = &bytes[start..start + size];
        pos = start + size;
        content.push(if inner.starts_with(BUNDLE_TAG) {
            bundle(inner, depth + 1)
        } else if inner.first() == Some(&b'/') {
            match message(inner) {
                Ok(m) => Element::Message(m),
                Err(reason) => Element::Refused {
                    address: address_of(inner).unwrap_or_else(|| "#bundle".into()),
                    reason: format!("bundle element {number}: malformed message: {reason}"),
                },
            }
        } else {
            refused(format!(
                "bundle element {number} ({size} bytes) is neither a message nor a bundle"
            ))
        });
    }
    Element::Bundle { timetag, content }
}

fn be_u32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// The address a message starts with, if it is one.
fn address_of(bytes: &[u8]) -> Option<String> {
    let (text, _) = string(bytes, 0);
    text.starts_with('/').then_some(text)
}

/// Reads an OSC string at `pos`: its text and where the next field starts
/// (past the terminating zero and padding). A string that runs to the end
/// of the data without a zero or full padding is accepted, as minimal
/// clients send it. Bytes that are not UTF-8 become U+FFFD.
fn string(bytes: &[u8], pos: usize) -> (String, usize) {
    let rest = bytes.get(pos..).unwrap_or_default();
    let len = rest.iter().position(|b| *b == 0).unwrap_or(rest.len());
    let text = String::from_utf8_lossy(&rest[..len]).into_owned();
    let next = (pos + len + 4) & !3;
    (text, next.min(bytes.len()))
}

/// Reads `n` bytes at `*pos`, or says which argument ran out.
fn take<'a>(
    bytes: &'a [u8],
    pos: &mut usize,
    n: usize,
    tag: char,
    index: usize,
) -> Result<&'a [u8], MalformedMessage> {
    let end = pos
        .checked_add(n)
        .filter(|e| *e <= bytes.len())
        .ok_or_else(|| MalformedMessage::Short {
            index,
            tag,
            needs: n,
            left: bytes.len().saturating_sub(*pos),
        })?;
    let out = &bytes[*pos..end];
    *pos = end;
    Ok(out)
}

/// One message: address, type tags (if any), arguments.
fn message(bytes: &[u8]) -> Result<OscMessage, MalformedMessage> {
    let (addr, mut pos) = string(bytes, 0);
    if pos >= bytes.len() {
        // No type tag string: an old or minimal client's message without arguments.
        return Ok(OscMessage { addr, args: vec![] });
    }
    if bytes[pos] != b',' {
        return Err(MalformedMessage::NoTypeTags {
            bytes: bytes.len() - pos,
        });
    }
    let (tags, next) = string(bytes, pos);
    pos = next;
    // Arrays under construction: the outermost list is the message's own.
    let mut stack: Vec<Vec<OscType>> = vec![Vec::new()];
    for (i, tag) in tags.chars().skip(1).enumerate() {
        let index = i + 1;
        let value = match tag {
            'i' => OscType::Int(be_u32(take(bytes, &mut pos, 4, tag, index)?) as i32),
            'f' => OscType::Float(f32::from_bits(be_u32(take(
                bytes, &mut pos, 4, tag, index,
            )?))),
            'h' => OscType::Long(be_u64(take(bytes, &mut pos, 8, tag, index)?) as i64),
            'd' => OscType::Double(f64::from_bits(be_u64(take(
                bytes, &mut pos, 8, tag, index,
            )?))),
            't' => {
                let b = take(bytes, &mut pos, 8, tag, index)?;
                OscType::Time(OscTime {
                    seconds: be_u32(&b[..4]),
                    fractional: be_u32(&b[4..]),
                })
            }
            's' | 'S' => {
                if pos >= bytes.len() {
                    return Err(MalformedMessage::Missing { index, tag });
                }
                let (text, next) = string(bytes, pos);
                pos = next;
                OscType::String(text)
            }
            'b' => {
                let size = be_u32(take(bytes, &mut pos, 4, tag, index)?) as i32;
                let size = usize::try_from(size)
                    .map_err(|_| MalformedMessage::BlobSize { index, size })?;
                let data = take(bytes, &mut pos, size, tag, index)?.to_vec();
                pos = ((pos + 3) & !3).min(bytes.len());
                OscType::Blob(data)
            }
            'c' => {
                let code = be_u32(take(bytes, &mut pos, 4, tag, index)?);
                OscType::Char(
                    char::from_u32(code).ok_or(MalformedMessage::NotChar { index, code })?,
                )
            }
            'r' => {
                let b = take(bytes, &mut pos, 4, tag, index)?;
                OscType::Color(OscColor {
                    red: b[0],
                    green: b[1],
                    blue: b[2],
                    alpha: b[3],
                })
            }
            'm' => {
                let b = take(bytes, &mut pos, 4, tag, index)?;
                OscType::Midi(OscMidiMessage {
                    port: b[0],
                    status: b[1],
                    data1: b[2],
                    data2: b[3],
                })
            }
            'T' => OscType::Bool(true),
            'F' => OscType::Bool(false),
            'N' => OscType::Nil,
            'I' => OscType::Inf,
            '[' => {
                if stack.len() > MAX_ARRAY_DEPTH {
                    return Err(MalformedMessage::ArrayDepth);
                }
                stack.push(Vec::new());
                continue;
            }
            ']' => {
                if stack.len() < 2 {
                    return Err(MalformedMessage::ClosesNoArray { index });
                }
                let content = stack.pop().unwrap_or_default();
                OscType::Array(OscArray { content })
            }
            other => return Err(MalformedMessage::UnknownTag { index, tag: other }),
        };
        if let Some(top) = stack.last_mut() {
            top.push(value);
        }
    }
    if stack.len() > 1 {
        return Err(MalformedMessage::OpenArray);
    }
    let args = stack.pop().unwrap_or_default();
    Ok(OscMessage { addr, args })
}

fn be_u64(b: &[u8]) -> u64 {
    u64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])
}

#[cfg(test)]
mod tests {
    use super::*;
    use rosc::{encoder, OscBundle, OscPacket};

    fn msg(addr: &str, args: Vec<OscType>) -> OscMessage {
        OscMessage {
            addr: addr.into(),
            args,
        }
    }

    fn raw(addr: &str, tags: &str, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        for s in [addr, tags] {
            out.extend_from_slice(s.as_bytes());
            out.push(0);
            while out.len() % 4 != 0 {
                out.push(0);
            }
        }
        out.extend_from_slice(data);
        out
    }

    fn element(bytes: &[u8]) -> Vec<u8> {
        let mut out = (bytes.len() as u32).to_be_bytes().to_vec();
        out.extend_from_slice(bytes);
        out
    }

    fn bundle_of(parts: &[&[u8]]) -> Vec<u8> {
        let mut out = b"#bundle\0\0\0\0\0\0\0\0\x01".to_vec();
        for p in parts {
            out.extend_from_slice(p);
        }
        out
    }

    #[test]
    fn what_rosc_encodes_decodes_the_same() {
        let packet = OscPacket::Bundle(OscBundle {
            timetag: OscTime {
                seconds: 7,
                fractional: 9,
            },
            content: vec![OscPacket::Message(msg(
                "/x",
                vec![
                    OscType::Int(-3),
                    OscType::Float(0.5),
                    OscType::String("abc".into()),
                    OscType::Blob(vec![1, 2, 3, 4, 5]),
                    OscType::Long(-1 << 40),
                    OscType::Double(0.25),
                    OscType::Time(OscTime {
                        seconds: 1,
                        fractional: 2,
                    }),
                    OscType::Char('λ'),
                    OscType::Color(OscColor {
                        red: 1,
                        green: 2,
                        blue: 3,
                        alpha: 4,
                    }),
                    OscType::Midi(OscMidiMessage {
                        port: 0,
                        status: 0x90,
                        data1: 60,
                        data2: 100,
                    }),
                    OscType::Bool(true),
                    OscType::Bool(false),
                    OscType::Nil,
                    OscType::Inf,
                    OscType::Array(OscArray {
                        content: vec![
                            OscType::Int(1),
                            OscType::Array(OscArray {
                                content: vec![OscType::String("in".into())],
                            }),
                        ],
                    }),
                    OscType::Int(2),
                ],
            ))],
        });
        let bytes = encoder::encode(&packet).unwrap();
        let OscPacket::Bundle(b) = packet else {
            unreachable!()
        };
        let OscPacket::Message(m) = &b.content[0] else {
            unreachable!()
        };
        assert_eq!(
            decode(&bytes),
            Element::Bundle {
                timetag: b.timetag,
                content: vec![Element::Message(m.clone())]
            }
        );
    }

    #[test]
    fn symbols_and_messages_without_type_tags() {
        assert_eq!(
            decode(&raw("/metre", ",S", b"7/8\0")),
            Element::Message(msg("/metre", vec![OscType::String("7/8".into())]))
        );
        // No type tag string at all, padded or not.
        assert_eq!(
            decode(b"/hush\0\0\0"),
            Element::Message(msg("/hush", vec![]))
        );
        assert_eq!(decode(b"/status"), Element::Message(msg("/status", vec![])));
        // A type tag string with no arguments, and none at all after a comma.
        assert_eq!(
            decode(&raw("/hush", ",", &[])),
            Element::Message(msg("/hush", vec![]))
        );
        // Data but no type tags: refused, saying why.
        match decode(b"/tempo\0\0\x42\xf0\0\0") {
            Element::Refused { address, reason } => {
                assert_eq!(address, "/tempo");
                assert!(reason.contains("no type tag string"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bad_messages_say_what_is_wrong() {
        let refused = |b: &[u8]| match decode(b) {
            Element::Refused { address, reason } => (address, reason),
            other => panic!("{other:?}"),
        };
        let (a, r) = refused(&raw("/set", ",u", &[]));
        assert_eq!(a, "/set");
        assert!(r.contains("unknown type tag 'u'"), "{r}");
        let (_, r) = refused(&raw("/set", ",si", b"x\0\0\0\0\0"));
        assert!(
            r.contains("argument 2 ('i') needs 4 bytes, 2 are left"),
            "{r}"
        );
        let (_, r) = refused(&raw("/b", ",b", &[0xff, 0xff, 0xff, 0xff]));
        assert!(r.contains("size -1"), "{r}");
        let (_, r) = refused(&raw("/b", ",b", &[0, 0, 0x10, 0]));
        assert!(r.contains("needs 4096 bytes"), "{r}");
        let (_, r) = refused(&raw("/a", ",[i", &[0, 0, 0, 1]));
        assert!(r.contains("never closed"), "{r}");
        let (_, r) = refused(&raw("/a", ",]", &[]));
        assert!(r.contains("closes no array"), "{r}");
        let (_, r) = refused(&raw("/a", &format!(",{}", "[".repeat(40)), &[]));
        assert!(r.contains("nested more than"), "{r}");
        let (_, r) = refused(&raw("/c", ",c", &[0xff, 0xff, 0xff, 0xff]));
        assert!(r.contains("not a character"), "{r}");
        let (a, r) = refused(b"");
        assert_eq!(a, "?");
        assert!(r.contains("empty"), "{r}");
        let (a, _) = refused(b"xyz\0");
        assert_eq!(a, "?");
    }

    #[test]
    fn a_bad_element_is_refused_alone() {
        let set_u = raw("/set", ",u", &[]);
        let status = raw("/status", ",", &[]);
        let b = bundle_of(&[&element(&set_u), &element(&status)]);
        match decode(&b) {
            Element::Bundle { content, .. } => {
                assert_eq!(content.len(), 2);
                assert!(
                    matches!(&content[0], Element::Refused { address, reason }
                        if address == "/set" && reason.contains("bundle element 1")),
                    "{content:?}"
                );
                assert_eq!(content[1], Element::Message(msg("/status", vec![])));
            }
            other => panic!("{other:?}"),
        }
        // A zero size: refused, and the next element still read.
        let b = bundle_of(&[&0u32.to_be_bytes(), &element(&status)]);
        let Element::Bundle { content, .. } = decode(&b) else {
            panic!()
        };
        assert!(
            matches!(&content[0], Element::Refused { reason, .. } if reason.contains("size is 0"))
        );
        assert_eq!(content[1], Element::Message(msg("/status", vec![])));
        // Negative, past the end, stray bytes, garbage: the good ones before still stand.
        for (tail, says) in [
            (vec![0xff, 0xff, 0xff, 0xfc, 1, 2, 3, 4], "size is -4"),
            (vec![0, 0, 1, 0, 1, 2], "runs past the end"),
            (vec![0, 0], "stray bytes"),
            (element(b"garbage!"), "neither a message nor a bundle"),
        ] {
            let b = bundle_of(&[&element(&status), &tail]);
            let Element::Bundle { content, .. } = decode(&b) else {
                panic!()
            };
            assert_eq!(content[0], Element::Message(msg("/status", vec![])));
            assert!(
                matches!(&content[1], Element::Refused { address, reason }
                    if address == "#bundle" && reason.contains(says) && reason.contains("element 2")),
                "{says}: {content:?}"
            );
        }
        // Too short for a timetag.
        assert!(matches!(decode(b"#bundle\0\0\0"), Element::Refused { .. }));
    }

    #[test]
    fn nesting_is_limited() {
        let mut p = raw("/status", ",", &[]);
        for _ in 0..MAX_DEPTH {
            p = bundle_of(&[&element(&p)]);
        }
        let mut e = decode(&p);
        for _ in 0..MAX_DEPTH - 1 {
            let Element::Bundle { mut content, .. } = e else {
                panic!("{e:?}")
            };
            e = content.remove(0);
        }
        assert!(matches!(e, Element::Bundle { .. }), "{e:?}");
        let deeper = bundle_of(&[&element(&p)]);
        let mut e = decode(&deeper);
        while let Element::Bundle { mut content, .. } = e {
            e = content.remove(0);
        }
        assert!(
            matches!(&e, Element::Refused { reason, .. } if reason.contains("nested more than 8")),
            "{e:?}"
        );
    }
}
