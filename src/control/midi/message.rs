//! MIDI bytes to messages, for anything a port may deliver: running status,
//! real-time bytes in the middle of a message, SysEx of any length, and
//! garbled or truncated input. Nothing here panics; what cannot be read is
//! skipped and counted ([`ParseCounts`]).

/// One message loam understands. Channels are 0-based here (0 = MIDI
/// channel 1); names shown to performers are 1-based.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MidiMessage {
    /// A note-on with velocity 0 is reported as a [`MidiMessage::NoteOff`].
    NoteOn {
        /// 0-based channel.
        channel: u8,
        /// MIDI note number, 0 … 127 (60 = middle C).
        note: u8,
        /// 1 … 127.
        velocity: u8,
    },
    /// A key released.
    NoteOff {
        /// 0-based channel.
        channel: u8,
        /// MIDI note number, 0 … 127.
        note: u8,
        /// Release velocity, 0 … 127 (most keyboards send 64 or 0).
        velocity: u8,
    },
    /// Aftertouch on one key.
    PolyPressure {
        /// 0-based channel.
        channel: u8,
        /// MIDI note number, 0 … 127.
        note: u8,
        /// Pressure, 0 … 127.
        value: u8,
    },
    /// A control change (a knob, a fader, a pedal).
    Control {
        /// 0-based channel.
        channel: u8,
        /// Controller number, 0 … 127.
        controller: u8,
        /// Position, 0 … 127.
        value: u8,
    },
    /// A program change.
    Program {
        /// 0-based channel.
        channel: u8,
        /// Program number, 0 … 127.
        program: u8,
    },
    /// Aftertouch for the whole channel.
    ChannelPressure {
        /// 0-based channel.
        channel: u8,
        /// Pressure, 0 … 127.
        value: u8,
    },
    /// −8192 … 8191, 0 = centre.
    PitchBend {
        /// 0-based channel.
        channel: u8,
        /// −8192 … 8191, 0 = centre.
        value: i16,
    },
    /// MIDI time code quarter frame (its data byte).
    QuarterFrame(u8),
    /// In MIDI beats (sixteenth notes = 6 clocks) since the song's start.
    SongPosition(u16),
    /// Song Select: the song number, 0 … 127.
    SongSelect(u8),
    /// Tune Request.
    TuneRequest,
    /// Timing Clock: 24 pulses per quarter note.
    Clock,
    /// Start from the song's beginning.
    Start,
    /// Continue from the current song position.
    Continue,
    /// Stop.
    Stop,
    /// Active Sensing (a keep-alive every 300 ms).
    ActiveSensing,
    /// System Reset.
    Reset,
    /// A complete SysEx message of this many bytes (F0 … F7 included); its
    /// contents are not used.
    SysEx {
        /// Bytes, F0 and F7 included.
        len: usize,
    },
    /// A MIDI Tuning Standard real-time single-note tuning change for one
    /// key (universal real-time SysEx `F0 7F dev 08 02 prog 01 key xx yy zz
    /// F7`): from now on `key` sounds `semitone` + `fraction`/16384
    /// semitones (as a MIDI note number). loam sends it
    /// ([`tuning_out`](super::tuning_out)); what arrives is read as
    /// [`MidiMessage::SysEx`].
    NoteTuning {
        /// Device ID, 0 … 127 (127: every device).
        device: u8,
        /// Tuning program, 0 … 127.
        program: u8,
        /// The key retuned, 0 … 127.
        key: u8,
        /// The MIDI note number at or below the pitch, 0 … 127.
        semitone: u8,
        /// How far above `semitone`, in 1/16384 of a semitone (0 … 16383).
        fraction: u16,
    },
}

/// The longest message loam sends, in bytes: a MIDI Tuning Standard
/// single-note change for one key ([`MidiMessage::NoteTuning`]).
pub const LONGEST: usize = 12;

impl MidiMessage {
    /// The wire bytes of a short message (not SysEx): up to three bytes and
    /// how many are used.
    #[rustfmt::skip] // One line per message: the table reads as the MIDI spec's.
    pub fn to_bytes(self) -> ([u8; 3], usize) {
        use MidiMessage::*;
        let ch = |status: u8, c: u8| status | (c & 0x0F);
        // A channel voice message with two data bytes.
        let two = |status: u8, c: u8, a: u8, b: u8| ([ch(status, c), a & 0x7F, b & 0x7F], 3);
        match self {
            NoteOn { channel, note, velocity } => two(0x90, channel, note, velocity),
            NoteOff { channel, note, velocity } => two(0x80, channel, note, velocity),
            PolyPressure { channel, note, value } => two(0xA0, channel, note, value),
            Control { channel, controller, value } => two(0xB0, channel, controller, value),
            Program { channel, program } => ([ch(0xC0, channel), program & 0x7F, 0], 2),
            ChannelPressure { channel, value } => ([ch(0xD0, channel), value & 0x7F, 0], 2),
            PitchBend { channel, value } => {
                let v = (value.clamp(-8192, 8191) as i32 + 8192) as u16;
                ([ch(0xE0, channel), (v & 0x7F) as u8, (v >> 7) as u8], 3)
            }
            QuarterFrame(v) => ([0xF1, v & 0x7F, 0], 2),
            SongPosition(p) => ([0xF2, (p & 0x7F) as u8, ((p >> 7) & 0x7F) as u8], 3),
            SongSelect(s) => ([0xF3, s & 0x7F, 0], 2),
            TuneRequest => ([0xF6, 0, 0], 1),
            Clock => ([0xF8, 0, 0], 1),
            Start => ([0xFA, 0, 0], 1),
            Continue => ([0xFB, 0, 0], 1),
            Stop => ([0xFC, 0, 0], 1),
            ActiveSensing => ([0xFE, 0, 0], 1),
            Reset => ([0xFF, 0, 0], 1),
            // Not a short message: callers never send SysEx through here.
            SysEx { .. } | NoteTuning { .. } => ([0xF7, 0, 0], 0),
        }
    }

    /// The wire bytes of any message loam sends (short ones and
    /// [`MidiMessage::NoteTuning`]) and how many are used; 0 for a
    /// [`MidiMessage::SysEx`], whose contents loam does not keep.
    pub fn wire(self) -> ([u8; LONGEST], usize) {
        let mut out = [0u8; LONGEST];
        if let MidiMessage::NoteTuning {
            device,
            program,
            key,
            semitone,
            fraction,
        } = self
        {
            let f = fraction.min(0x3FFF);
            let tuning = [
                0xF0,
                0x7F,
                device & 0x7F,
                0x08, // MIDI Tuning Standard
                0x02, // real-time single-note tuning change
                program & 0x7F,
                1, // one key
                key & 0x7F,
                semitone & 0x7F,
                (f >> 7) as u8,
                (f & 0x7F) as u8,
                0xF7,
            ];
            out.copy_from_slice(&tuning);
            return (out, LONGEST);
        }
        let (short, n) = self.to_bytes();
        out[..3].copy_from_slice(&short);
        (out, n)
    }
}

/// What the parser had to skip, and what it read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ParseCounts {
    /// Messages read (SysEx included).
    pub messages: u64,
    /// Messages cut short: a new status byte, or the end of a port message,
    /// before all data bytes arrived.
    pub truncated: u64,
    /// Data bytes with no status to belong to (no running status).
    pub stray: u64,
    /// Undefined status bytes (F4, F5, F9, FD) and an F7 outside SysEx.
    pub unknown: u64,
    /// SysEx messages (complete ones; cut ones count as truncated too).
    pub sysex: u64,
}

impl ParseCounts {
    /// Everything that was ignored.
    pub fn ignored(&self) -> u64 {
        self.truncated + self.stray + self.unknown
    }
}

/// Reads MIDI bytes into [`MidiMessage`]s. Keeps running status across
/// port messages, as a stream parser must; an unfinished SysEx may continue
/// in the next port message (ALSA splits long ones).
#[derive(Debug, Default)]
pub struct Parser {
    /// The running status (a channel message status byte, 0x80–0xEF), or a
    /// system common status waiting for its data (it does not run).
    status: Option<u8>,
    data: [u8; 2],
    have: usize,
    /// Bytes of a SysEx in progress.
    sysex: Option<usize>,
    /// What was skipped or dropped so far.
    pub counts: ParseCounts,
}

/// Data bytes a status byte takes.
fn data_len(status: u8) -> usize {
    match status & 0xF0 {
        0xC0 | 0xD0 => 1,
        0x80..=0xE0 if status < 0xF0 => 2,
        _ => match status {
            0xF1 | 0xF3 => 1,
            0xF2 => 2,
            _ => 0,
        },
    }
}

impl Parser {
    /// A parser with no running status and nothing counted.
    pub fn new() -> Parser {
        Parser::default()
    }

    /// Reads one message as a port delivered it. A message left unfinished
    /// at its end is dropped and counted (and ends running status); a
    /// SysEx may go on in the next one.
    pub fn feed(&mut self, bytes: &[u8], out: &mut impl FnMut(MidiMessage)) {
        for &b in bytes {
            self.byte(b, out);
        }
        if self.have > 0 {
            // A message cut short: its status does not run on into the
            // next port message (that would turn garbage into notes).
            self.counts.truncated += 1;
            self.have = 0;
            self.status = None;
        }
    }

    /// Reads a whole buffer and returns its messages (tests, files).
    pub fn parse_all(&mut self, bytes: &[u8]) -> Vec<MidiMessage> {
        let mut v = Vec::new();
        self.feed(bytes, &mut |m| v.push(m));
        v
    }

    fn byte(&mut self, b: u8, out: &mut impl FnMut(MidiMessage)) {
        if b >= 0xF8 {
            // Real-time bytes may appear anywhere, even inside other
            // messages, and change nothing else.
            let m = match b {
                0xF8 => MidiMessage::Clock,
                0xFA => MidiMessage::Start,
                0xFB => MidiMessage::Continue,
                0xFC => MidiMessage::Stop,
                0xFE => MidiMessage::ActiveSensing,
                0xFF => MidiMessage::Reset,
                _ => {
                    self.counts.unknown += 1;
                    return;
                }
            };
            self.counts.messages += 1;
            out(m);
            return;
        }
        if let Some(len) = self.sysex {
            if b == 0xF7 {
                self.sysex = None;
                self.counts.sysex += 1;
                self.counts.messages += 1;
                out(MidiMessage::SysEx { len: len + 1 });
                return;
            }
            if b < 0x80 {
                self.sysex = Some(len.saturating_add(1));
                return;
            }
            // Any other status byte ends a SysEx that never finished.
            self.sysex = None;
            self.counts.truncated += 1;
        }
        if b >= 0x80 {
            if self.have > 0 {
                self.counts.truncated += 1;
                self.have = 0;
            }
            match b {
                0xF0 => {
                    self.status = None;
                    self.sysex = Some(1);
                }
                0xF7 | 0xF4 | 0xF5 => {
                    self.status = None;
                    self.counts.unknown += 1;
                }
                0xF6 => {
                    self.status = None;
                    self.counts.messages += 1;
                    out(MidiMessage::TuneRequest);
                }
                _ => self.status = Some(b),
            }
            return;
        }
        let Some(status) = self.status else {
            self.counts.stray += 1;
            return;
        };
        self.data[self.have] = b;
        self.have += 1;
        if self.have < data_len(status) {
            return;
        }
        self.have = 0;
        if status >= 0xF0 {
            // System common messages do not run.
            self.status = None;
        }
        self.counts.messages += 1;
        out(decode(status, self.data));
    }
}

fn decode(status: u8, d: [u8; 2]) -> MidiMessage {
    let channel = status & 0x0F;
    match status & 0xF0 {
        0x80 => MidiMessage::NoteOff {
            channel,
            note: d[0],
            velocity: d[1],
        },
        0x90 if d[1] == 0 => MidiMessage::NoteOff {
            channel,
            note: d[0],
            velocity: 0,
        },
        0x90 => MidiMessage::NoteOn {
            channel,
            note: d[0],
            velocity: d[1],
        },
        0xA0 => MidiMessage::PolyPressure {
            channel,
            note: d[0],
            value: d[1],
        },
        0xB0 => MidiMessage::Control {
            channel,
            controller: d[0],
            value: d[1],
        },
        0xC0 => MidiMessage::Program {
            channel,
            program: d[0],
        },
        0xD0 => MidiMessage::ChannelPressure {
            channel,
            value: d[0],
        },
        0xE0 => MidiMessage::PitchBend {
            channel,
            value: ((d[0] as i16) | ((d[1] as i16) << 7)) - 8192,
        },
        _ => match status {
            0xF1 => MidiMessage::QuarterFrame(d[0]),
            0xF2 => MidiMessage::SongPosition(d[0] as u16 | ((d[1] as u16) << 7)),
            _ => MidiMessage::SongSelect(d[0]),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::MidiMessage::*;
    use super::*;

    fn parse(bytes: &[u8]) -> (Vec<MidiMessage>, ParseCounts) {
        let mut p = Parser::new();
        let m = p.parse_all(bytes);
        (m, p.counts)
    }

    #[test]
    fn channel_messages() {
        let (m, c) = parse(&[0x91, 60, 100]);
        assert_eq!(
            m,
            [NoteOn {
                channel: 1,
                note: 60,
                velocity: 100
            }]
        );
        assert_eq!(c.ignored(), 0);
        let (m, _) = parse(&[0x90, 60, 0]);
        assert!(matches!(m[0], NoteOff { velocity: 0, .. }));
        let (m, _) = parse(&[0xB0, 1, 64, 0xC3, 5, 0xE0, 0, 0x40, 0xE0, 0x7F, 0x7F]);
        assert_eq!(
            m,
            [
                Control {
                    channel: 0,
                    controller: 1,
                    value: 64
                },
                Program {
                    channel: 3,
                    program: 5
                },
                PitchBend {
                    channel: 0,
                    value: 0
                },
                PitchBend {
                    channel: 0,
                    value: 8191
                }
            ]
        );
    }

    #[test]
    fn running_status_and_realtime_inside() {
        // Two notes under one status byte, a clock in the middle of the second.
        let (m, c) = parse(&[0x90, 60, 100, 62, 0xF8, 90]);
        assert_eq!(m.len(), 3);
        assert_eq!(m[1], Clock);
        assert_eq!(
            m[2],
            NoteOn {
                channel: 0,
                note: 62,
                velocity: 90
            }
        );
        assert_eq!(c.ignored(), 0);
        // Running status survives across port messages.
        let mut p = Parser::new();
        p.parse_all(&[0xB0, 7, 1]);
        assert_eq!(
            p.parse_all(&[7, 2]),
            [Control {
                channel: 0,
                controller: 7,
                value: 2
            }]
        );
    }

    #[test]
    fn sysex_of_any_length_is_counted() {
        let mut bytes = vec![0xF0];
        bytes.extend(std::iter::repeat_n(0x11, 5000));
        bytes.push(0xF7);
        bytes.extend([0x90, 1, 2]);
        let (m, c) = parse(&bytes);
        assert_eq!(m[0], SysEx { len: 5002 });
        assert!(matches!(m[1], NoteOn { .. }));
        assert_eq!(c.sysex, 1);
        // A SysEx split over two port messages.
        let mut p = Parser::new();
        assert!(p.parse_all(&[0xF0, 1, 2]).is_empty());
        assert_eq!(p.parse_all(&[3, 0xF7]), [SysEx { len: 5 }]);
        // An unfinished SysEx cut by a status byte.
        let (m, c) = parse(&[0xF0, 1, 2, 0x80, 60, 0]);
        assert_eq!(m.len(), 1);
        assert_eq!(c.truncated, 1);
    }

    #[test]
    fn garbled_and_truncated_are_counted() {
        let (m, c) = parse(&[0x90, 60]);
        assert!(m.is_empty());
        assert_eq!(c.truncated, 1);
        // A cut message does not lend its status to the next port message.
        let mut p = Parser::new();
        p.parse_all(&[0x90, 60]);
        assert!(p.parse_all(&[0x33, 0x44]).is_empty());
        assert_eq!(p.counts.stray, 2);
        let (m, c) = parse(&[5, 6, 7]);
        assert!(m.is_empty());
        assert_eq!(c.stray, 3);
        let (m, c) = parse(&[0xF4, 0xF5, 0xF9, 0xFD, 0xF7]);
        assert!(m.is_empty());
        assert_eq!(c.unknown, 5);
        let (m, c) = parse(&[0x90, 60, 0xB0, 1, 2]);
        assert_eq!(m.len(), 1);
        assert_eq!(c.truncated, 1);
        // System common does not run: the data after it is stray.
        let (m, c) = parse(&[0xF2, 0, 1, 5]);
        assert_eq!(m, [SongPosition(128)]);
        assert_eq!(c.stray, 1);
    }

    #[test]
    fn random_bytes_never_panic() {
        // A fixed xorshift, so failures reproduce.
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        let mut p = Parser::new();
        let mut n = 0u64;
        for _ in 0..20_000 {
            let len = (x % 7) as usize;
            let mut chunk = Vec::with_capacity(len);
            for _ in 0..len {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                chunk.push((x >> 24) as u8);
            }
            p.feed(&chunk, &mut |_| n += 1);
            x = x.wrapping_add(1);
        }
        assert_eq!(p.counts.messages, n);
        assert!(p.counts.ignored() > 0);
    }

    #[test]
    fn bytes_round_trip() {
        for m in [
            NoteOn {
                channel: 9,
                note: 36,
                velocity: 127,
            },
            Control {
                channel: 15,
                controller: 74,
                value: 3,
            },
            PitchBend {
                channel: 2,
                value: -8192,
            },
            SongPosition(1234),
            Program {
                channel: 0,
                program: 9,
            },
            Clock,
        ] {
            let (b, n) = m.to_bytes();
            assert_eq!(parse(&b[..n]).0, [m]);
        }
    }
}
