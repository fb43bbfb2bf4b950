//! Sample files as recorders and DAWs write them (issue 10 §2): every WAV
//! encoding loam reads, built byte by byte here, must load at the amplitude
//! it was written at; the ones it does not read are refused naming the file
//! and the format.

use crate::support;

use std::f64::consts::PI;
use std::path::{Path, PathBuf};

use loam::sound::load_wav;

/// `n` frames of a 1 kHz sine at 48 kHz, amplitude `amp`.
fn sine(n: usize, amp: f64) -> Vec<f64> {
    (0..n)
        .map(|i| amp * (2.0 * PI * 1000.0 * i as f64 / 48000.0).sin())
        .collect()
}

/// How a test file stores its samples.
#[derive(Clone, Copy)]
enum Store {
    /// Unsigned 8-bit.
    U8,
    /// Signed, `valid` high bits of a `bytes`-byte container.
    Int {
        bytes: u16,
        valid: u16,
    },
    F32,
    F64,
}

impl Store {
    fn bytes(self) -> u16 {
        match self {
            Store::U8 => 1,
            Store::Int { bytes, .. } => bytes,
            Store::F32 => 4,
            Store::F64 => 8,
        }
    }

    fn valid(self) -> u16 {
        match self {
            Store::Int { valid, .. } => valid,
            other => other.bytes() * 8,
        }
    }

    fn float(self) -> bool {
        matches!(self, Store::F32 | Store::F64)
    }

    /// One sample's bytes, as a writer of this format stores them.
    fn encode(self, v: f64) -> Vec<u8> {
        match self {
            Store::U8 => vec![(128.0 + (v * 127.0).round()) as u8],
            Store::Int { bytes, valid } => {
                // The valid bits are the high bits of the container.
                let full = f64::from((1u32 << (valid - 1)) - 1);
                let q = (v * full).round() as i64;
                let word = (q << (u32::from(bytes) * 8 - u32::from(valid))) as u64;
                word.to_le_bytes()[..usize::from(bytes)].to_vec()
            }
            Store::F32 => (v as f32).to_le_bytes().to_vec(),
            Store::F64 => v.to_le_bytes().to_vec(),
        }
    }
}

/// The `fmt ` chunk body: plain (`extensible == None`) or
/// WAVE_FORMAT_EXTENSIBLE with the given channel mask.
fn fmt_body(store: Store, channels: u16, rate: u32, extensible: Option<u32>) -> Vec<u8> {
    let block = channels * store.bytes();
    let tag: u16 = if store.float() { 3 } else { 1 };
    let mut b = Vec::new();
    b.extend_from_slice(&(if extensible.is_some() { 0xFFFE } else { tag }).to_le_bytes());
    b.extend_from_slice(&channels.to_le_bytes());
    b.extend_from_slice(&rate.to_le_bytes());
    b.extend_from_slice(&(rate * u32::from(block)).to_le_bytes());
    b.extend_from_slice(&block.to_le_bytes());
    match extensible {
        None => b.extend_from_slice(&store.valid().to_le_bytes()),
        Some(mask) => {
            b.extend_from_slice(&(store.bytes() * 8).to_le_bytes());
            b.extend_from_slice(&22u16.to_le_bytes());
            b.extend_from_slice(&store.valid().to_le_bytes());
            b.extend_from_slice(&mask.to_le_bytes());
            b.extend_from_slice(&tag.to_le_bytes());
            b.extend_from_slice(&[
                0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71,
            ]);
        }
    }
    b
}

/// A chunk with its pad byte when odd-sized.
fn chunk(id: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut c = id.to_vec();
    c.extend_from_slice(&(body.len() as u32).to_le_bytes());
    c.extend_from_slice(body);
    if body.len() % 2 == 1 {
        c.push(0);
    }
    c
}

/// A RIFF/WAVE file of `chunks`.
fn riff(chunks: &[Vec<u8>]) -> Vec<u8> {
    let body: Vec<u8> = chunks.concat();
    let mut f = b"RIFF".to_vec();
    f.extend_from_slice(&(4 + body.len() as u32).to_le_bytes());
    f.extend_from_slice(b"WAVE");
    f.extend_from_slice(&body);
    f
}

/// Interleaved audio bytes of `frames` on `channels` channels.
fn audio(store: Store, channels: u16, frames: &[f64]) -> Vec<u8> {
    frames
        .iter()
        .flat_map(|&v| (0..channels).flat_map(move |_| store.encode(v)))
        .collect()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Loads `path` at 48 kHz and checks it is the 0.25 sine of `frames` frames
/// on `channels` channels, within the format's resolution.
fn assert_quarter_sine(path: &Path, channels: usize, frames: usize, tolerance: f32) {
    let s = load_wav(path, 48000).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.channels, channels, "{}", path.display());
    assert_eq!(s.frames(), frames, "{}", path.display());
    let want = sine(frames, 0.25);
    for (i, w) in want.iter().enumerate() {
        for c in 0..channels {
            let got = s.data[i * channels + c];
            assert!(
                (got - *w as f32).abs() <= tolerance,
                "{}: frame {i} ch {c}: {got} vs {w}",
                path.display()
            );
        }
    }
    assert!(
        (s.peak() - 0.25).abs() < 0.01,
        "{}: peak {}",
        path.display(),
        s.peak()
    );
}

#[test]
fn the_24_in_32_case_from_the_issue_loads_at_its_quiet_level() {
    // The file from the report: a quiet tone, 24 valid bits in 32.
    let dir = support::temp_dir("case");
    let path = write(
        &dir,
        "tone.wav",
        include_bytes!("../cases/wav-24-valid-bits-in-32.wav"),
    );
    let s = load_wav(&path, 48000).unwrap();
    // Its top sample is 0x066666 in the high 24 bits: 0.05 of full scale
    // (read as low bits, it wrapped to noise near 1.0).
    assert!((s.peak() - 0.05).abs() < 0.001, "peak {}", s.peak());
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn valid_bits_below_the_container_are_the_high_bits() {
    let dir = support::temp_dir("valid-bits");
    let frames = sine(480, 0.25);
    for (name, store, tol) in [
        (
            "24-in-32.wav",
            Store::Int {
                bytes: 4,
                valid: 24,
            },
            1e-6,
        ),
        (
            "20-in-24.wav",
            Store::Int {
                bytes: 3,
                valid: 20,
            },
            1e-5,
        ),
        (
            "12-in-16.wav",
            Store::Int {
                bytes: 2,
                valid: 12,
            },
            1e-3,
        ),
        (
            "18-in-24.wav",
            Store::Int {
                bytes: 3,
                valid: 18,
            },
            1e-4,
        ),
    ] {
        for channels in [1u16, 2] {
            let mask = if channels == 1 { 0x4 } else { 0x3 };
            let bytes = riff(&[
                chunk(b"fmt ", &fmt_body(store, channels, 48000, Some(mask))),
                chunk(b"data", &audio(store, channels, &frames)),
            ]);
            let path = write(&dir, &format!("{channels}-{name}"), &bytes);
            assert_quarter_sine(&path, usize::from(channels), 480, tol);
        }
        // The same bits declared in a plain WAVE_FORMAT_PCM header
        // (bits per sample below the block's container).
        let bytes = riff(&[
            chunk(b"fmt ", &fmt_body(store, 1, 48000, None)),
            chunk(b"data", &audio(store, 1, &frames)),
        ]);
        let path = write(&dir, &format!("plain-{name}"), &bytes);
        assert_quarter_sine(&path, 1, 480, tol);
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn every_container_and_sub_format_loads_at_its_amplitude() {
    let dir = support::temp_dir("formats");
    let frames = sine(480, 0.25);
    for (name, store, tol) in [
        ("u8", Store::U8, 0.01),
        (
            "s16",
            Store::Int {
                bytes: 2,
                valid: 16,
            },
            1e-4,
        ),
        (
            "s24",
            Store::Int {
                bytes: 3,
                valid: 24,
            },
            1e-6,
        ),
        (
            "s32",
            Store::Int {
                bytes: 4,
                valid: 32,
            },
            1e-6,
        ),
        ("f32", Store::F32, 1e-7),
        ("f64", Store::F64, 1e-7),
    ] {
        for extensible in [None, Some(0x3u32), Some(0)] {
            let bytes = riff(&[
                chunk(b"fmt ", &fmt_body(store, 2, 48000, extensible)),
                chunk(b"data", &audio(store, 2, &frames)),
            ]);
            let path = write(&dir, &format!("{name}-{extensible:?}.wav"), &bytes);
            assert_quarter_sine(&path, 2, 480, tol);
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn chunks_before_fmt_and_data_and_odd_padding_are_skipped() {
    let dir = support::temp_dir("chunks");
    let store = Store::Int {
        bytes: 2,
        valid: 16,
    };
    let frames = sine(480, 0.25);
    let mut fact = 480u32.to_le_bytes().to_vec();
    fact.truncate(4);
    let bytes = riff(&[
        chunk(b"LIST", b"INFOISFT\x05\x00\x00\x00loam\x00"), // odd: 17 bytes + pad
        chunk(b"JUNK", &[0u8; 27]),                          // odd
        chunk(b"fact", &fact),
        chunk(b"fmt ", &fmt_body(store, 1, 48000, None)),
        chunk(b"bext", &[1u8; 3]), // odd, between fmt and data
        chunk(b"data", &audio(store, 1, &frames)),
        chunk(b"LIST", b"after the audio"), // after data: ignored
    ]);
    let path = write(&dir, "chunky.wav", &bytes);
    assert_quarter_sine(&path, 1, 480, 1e-4);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_recording_left_unfinished_by_a_crashed_recorder_loads_what_it_holds() {
    let dir = support::temp_dir("crashed");
    let store = Store::Int {
        bytes: 3,
        valid: 24,
    };
    let frames = sine(480, 0.25);
    for (name, riff_size, data_size) in [
        ("zeros.wav", 0u32, 0u32),
        ("ones.wav", 0xFFFF_FFFF, 0xFFFF_FFFF),
        ("data-only.wav", 36, 0),
    ] {
        let mut bytes = b"RIFF".to_vec();
        bytes.extend_from_slice(&riff_size.to_le_bytes());
        bytes.extend_from_slice(b"WAVE");
        bytes.extend(chunk(b"fmt ", &fmt_body(store, 1, 48000, None)));
        bytes.extend_from_slice(b"data");
        bytes.extend_from_slice(&data_size.to_le_bytes());
        bytes.extend(audio(store, 1, &frames));
        bytes.extend_from_slice(&[0x11, 0x22]); // a torn last sample
        let path = write(&dir, name, &bytes);
        assert_quarter_sine(&path, 1, 480, 1e-6);
    }
    // A real empty file stays empty: refused, naming it.
    let bytes = riff(&[
        chunk(b"fmt ", &fmt_body(store, 1, 48000, None)),
        chunk(b"data", &[]),
    ]);
    let path = write(&dir, "empty.wav", &bytes);
    let msg = load_wav(&path, 48000).unwrap_err().to_string();
    assert!(msg.ends_with("empty.wav: contains no audio"), "{msg}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn rf64_files_use_the_ds64_sizes() {
    let dir = support::temp_dir("rf64");
    let store = Store::F32;
    let frames = sine(480, 0.25);
    let data = audio(store, 1, &frames);
    let mut ds64 = Vec::new();
    ds64.extend_from_slice(&0u64.to_le_bytes()); // riff size (unused)
    ds64.extend_from_slice(&(data.len() as u64).to_le_bytes());
    ds64.extend_from_slice(&480u64.to_le_bytes());
    ds64.extend_from_slice(&0u32.to_le_bytes()); // no table
    let mut bytes = riff(&[
        chunk(b"ds64", &ds64),
        chunk(b"fmt ", &fmt_body(store, 1, 48000, None)),
    ]);
    bytes[0..4].copy_from_slice(b"RF64");
    bytes[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
    bytes.extend_from_slice(b"data");
    bytes.extend_from_slice(&u32::MAX.to_le_bytes());
    bytes.extend_from_slice(&data);
    bytes.extend(chunk(b"LIST", b"trailing metadata"));
    let path = write(&dir, "long.wav", &bytes);
    assert_quarter_sine(&path, 1, 480, 1e-7);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn encodings_loam_does_not_read_are_refused_naming_file_and_format() {
    let dir = support::temp_dir("refused");
    let store = Store::Int {
        bytes: 2,
        valid: 16,
    };
    let data = audio(store, 1, &sine(48, 0.25));

    // A-law (tag 6).
    let mut fmt = fmt_body(Store::U8, 1, 8000, None);
    fmt[0..2].copy_from_slice(&6u16.to_le_bytes());
    let path = write(
        &dir,
        "alaw.wav",
        &riff(&[chunk(b"fmt ", &fmt), chunk(b"data", &data)]),
    );
    let msg = load_wav(&path, 48000).unwrap_err().to_string();
    assert!(msg.contains("alaw.wav"), "{msg}");
    assert!(msg.contains("format tag 0x0006 (A-law)"), "{msg}");

    // Extensible with an unknown sub-format GUID.
    let mut fmt = fmt_body(store, 1, 48000, Some(4));
    fmt[24] = 0x99;
    let path = write(
        &dir,
        "odd-guid.wav",
        &riff(&[chunk(b"fmt ", &fmt), chunk(b"data", &data)]),
    );
    let msg = load_wav(&path, 48000).unwrap_err().to_string();
    assert!(msg.contains("odd-guid.wav"), "{msg}");
    assert!(msg.contains("sub-format 0x0099"), "{msg}");

    // More valid bits than the container holds.
    let mut fmt = fmt_body(store, 1, 48000, Some(4));
    fmt[18..20].copy_from_slice(&20u16.to_le_bytes());
    let path = write(
        &dir,
        "bits.wav",
        &riff(&[chunk(b"fmt ", &fmt), chunk(b"data", &data)]),
    );
    let msg = load_wav(&path, 48000).unwrap_err().to_string();
    assert!(
        msg.contains("bits.wav: not a WAV file (20 bits per sample in a 2-byte container)"),
        "{msg}"
    );

    // 16-bit float.
    let mut fmt = fmt_body(store, 1, 48000, None);
    fmt[0..2].copy_from_slice(&3u16.to_le_bytes());
    let path = write(
        &dir,
        "half.wav",
        &riff(&[chunk(b"fmt ", &fmt), chunk(b"data", &data)]),
    );
    let msg = load_wav(&path, 48000).unwrap_err().to_string();
    assert!(msg.contains("half.wav"), "{msg}");
    assert!(msg.contains("16-bit float"), "{msg}");

    // No fmt chunk before data.
    let path = write(&dir, "nofmt.wav", &riff(&[chunk(b"data", &data)]));
    let msg = load_wav(&path, 48000).unwrap_err().to_string();
    assert!(msg.contains("nofmt.wav"), "{msg}");
    assert!(msg.contains("data chunk before the fmt chunk"), "{msg}");
    let _ = std::fs::remove_dir_all(dir);
}

/// Renders `script` for `bars` bars at 48 kHz: the audio and loam's messages.
fn render(script: &Path, bars: i64) -> (Vec<f32>, Vec<String>) {
    let mut out = Vec::new();
    let report = loam::output::offline::render_samples(script, bars, 48_000, 256, |s| {
        out.extend_from_slice(s);
        Ok(())
    })
    .expect("render");
    (out, report.messages)
}

#[test]
fn one_unreadable_wav_leaves_the_good_sound_beside_it_playing() {
    let dir = support::temp_dir("folder-render");
    let samples = dir.join("samples");
    std::fs::create_dir_all(&samples).unwrap();
    // The good sound: a 24-in-32 tone as a recorder writes it.
    let store = Store::Int {
        bytes: 4,
        valid: 24,
    };
    let good = riff(&[
        chunk(b"fmt ", &fmt_body(store, 1, 48000, Some(4))),
        chunk(b"data", &audio(store, 1, &sine(4800, 0.25))),
    ]);
    write(&samples, "tone.wav", &good);
    // Beside it, one the recorder never finished writing the header of.
    write(&samples, "broken.wav", b"RIFF\x00\x00\x00\x00WAVEfmt ");
    let script = dir.join("piece.rhai");
    std::fs::write(
        &script,
        "samples(\"samples\");\ntempo(120);\nlive_loop(\"t\", \"tone\");\n",
    )
    .unwrap();
    let (audio, messages) = render(&script, 1);
    // One 4/4 bar at 120 BPM: the tone plays from frame 0 for 4800 frames.
    assert_eq!(audio.len(), 2 * 96_000);
    let peak = audio[..2 * 4800].iter().fold(0.0f32, |p, v| p.max(v.abs()));
    // 0.25 through the default gain and centre pan is about 0.088.
    assert!(peak > 0.05, "the good sound is silent: peak {peak}");
    let said = messages.join("\n");
    assert!(said.contains("loaded 1 sounds from"), "{said}");
    assert!(
        said.contains("broken.wav: not a WAV file (no fmt chunk)"),
        "{said}"
    );
    assert!(!said.contains("unknown sound"), "{said}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_folder_with_no_readable_wav_is_an_error_naming_it() {
    let dir = support::temp_dir("folder-none");
    let samples = dir.join("samples");
    std::fs::create_dir_all(&samples).unwrap();
    write(&samples, "broken.wav", b"RIFF\x00\x00\x00\x00WAVEfmt ");
    let script = dir.join("piece.rhai");
    std::fs::write(&script, "samples(\"samples\");\ntempo(120);\n").unwrap();
    // The script that asks for it fails, naming the folder.
    let said = loam::output::offline::render_samples(&script, 1, 48_000, 256, |_| Ok(()))
        .map(|_| ())
        .expect_err("the script fails")
        .to_string();
    assert!(said.contains("piece.rhai:1:"), "{said}");
    assert!(
        said.contains("samples/: none of its 1 WAV files could be read; ")
            || said.contains("samples: none of its 1 WAV files could be read; "),
        "{said}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// The mark Windows Notepad puts at the start of a UTF-8 file.
const BOM: &str = "\u{feff}";

#[test]
fn a_pat_file_saved_by_notepad_is_read_like_the_same_file_without_the_mark() {
    let dir = support::temp_dir("bom-pat");
    let plain = "title: Test\nauthor: A. Person\nlicence: CC0\n\
                 pattern one\nmetre 2+2+3/8\n\
                 kick  x . | x . | x . x\n\
                 snare . . | X . | . . .\n";
    write(&dir, "plain.pat", plain.as_bytes());
    let want = loam::data::Dataset::load(&dir.join("plain.pat")).unwrap();
    for (name, text) in [
        ("bom.pat", format!("{BOM}{plain}")),
        ("crlf.pat", plain.replace('\n', "\r\n")),
        (
            "bom-crlf.pat",
            format!("{BOM}{}", plain.replace('\n', "\r\n")),
        ),
    ] {
        let path = write(&dir, name, text.as_bytes());
        let got = loam::data::Dataset::load(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(got.patterns.len(), 1, "{name}");
        assert_eq!(got.patterns[0].hits, want.patterns[0].hits, "{name}");
        assert_eq!(got.patterns[0].name, "one", "{name}");
        assert_eq!(got.patterns[0].provenance.author, "A. Person", "{name}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_midi_mapping_file_saved_by_notepad_is_read() {
    let dir = support::temp_dir("bom-midi");
    let path = dir.join("midi.json");
    let mut f = loam::midi::mapping_file::MappingFile::load(&path).unwrap();
    f.bind(
        loam::control::midi::learn::LearnRequest::parse("tempo 80 160")
            .unwrap()
            .bind(loam::control::midi::learn::MidiControl::Cc {
                channel: 0,
                controller: 7,
            }),
    );
    f.save(&path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    for edited in [
        format!("{BOM}{text}"),
        format!("{BOM}{}", text.replace('\n', "\r\n")),
    ] {
        std::fs::write(&path, edited).unwrap();
        let back = loam::midi::mapping_file::MappingFile::load(&path).unwrap();
        assert_eq!(back, f);
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_script_saved_by_notepad_is_read() {
    let dir = support::temp_dir("bom-script");
    let script = dir.join("piece.rhai");
    std::fs::write(
        &script,
        format!("{BOM}tempo(93);\r\nlive_loop(\"k\", \"kick*4\");\r\n"),
    )
    .unwrap();
    let (audio, messages) = render(&script, 1);
    assert!(
        messages.iter().all(|m| !m.contains("error")),
        "{messages:?}"
    );
    // 4/4 at 93 BPM: a bar of 4 × 60/93 s (tempo() was read).
    let frames = (audio.len() / 2) as f64;
    assert!(
        (frames - 4.0 * 60.0 / 93.0 * 48000.0).abs() <= 1.0,
        "{frames}"
    );
    assert!(audio.iter().any(|v| v.abs() > 0.1), "the kicks are silent");
    let _ = std::fs::remove_dir_all(dir);
}

/// The samples in the folder change a script's version asked for.
fn folder_of(changes: &[loam::schedule::Change]) -> std::sync::Arc<loam::sound::SampleFolder> {
    changes
        .iter()
        .find_map(|c| match c {
            loam::schedule::Change::Samples(f) => Some(f.clone()),
            _ => None,
        })
        .expect("a samples change")
}

#[test]
fn a_folder_is_read_on_the_script_thread_once_and_again_when_a_file_changes() {
    let dir = support::temp_dir("folder-kept");
    let samples = dir.join("samples");
    std::fs::create_dir_all(&samples).unwrap();
    let store = Store::Int {
        bytes: 2,
        valid: 16,
    };
    let tone = |n| {
        riff(&[
            chunk(b"fmt ", &fmt_body(store, 1, 48000, None)),
            chunk(b"data", &audio(store, 1, &sine(n, 0.5))),
        ])
    };
    write(&samples, "tone.wav", &tone(4800));
    let script = dir.join("piece.rhai");
    let source = "samples(\"samples\");\ntempo(120);\n";
    // The change carries the samples, read at the engine's rate.
    let (mut s, changes) = loam::script::Script::from_source_at(&script, source, 44_100).unwrap();
    let first = folder_of(&changes);
    assert_eq!(first.sample_rate, 44_100);
    assert_eq!(first.sounds["tone"][0].frames(), 4410);
    // A save that leaves the folder alone shares the samples read before.
    let again = folder_of(&s.reload(source).unwrap());
    assert!(std::sync::Arc::ptr_eq(
        &first.sounds["tone"][0],
        &again.sounds["tone"][0]
    ));
    // A file that changes is read again.
    write(&samples, "tone.wav", &tone(9600));
    let changed = folder_of(&s.reload(source).unwrap());
    assert_eq!(changed.sounds["tone"][0].frames(), 8820);
    // A folder that can no longer be read fails the version, naming it.
    std::fs::remove_file(samples.join("tone.wav")).unwrap();
    write(&samples, "tone.wav", b"RIFF");
    let e = s.reload(source).unwrap_err().to_string();
    assert!(e.contains("piece.rhai:1:") && e.contains("tone.wav"), "{e}");
    let _ = std::fs::remove_dir_all(dir);
}
