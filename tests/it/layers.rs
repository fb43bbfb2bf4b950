//! Layers point one way (issue 11 §1): every file under `src/` may use only
//! the modules of its own layer and of the layers below it. This test reads
//! the sources as text (no dependency, nothing built) and fails listing every
//! `file:line uses LAYER` that points up: `use crate::…` (groups included),
//! `crate::x::…` paths anywhere in code, intra-doc links such as
//! ``[`crate::x::Y`]`` and `[text](crate::x)`, and `super::` chains that climb
//! to the crate root.

use std::path::{Path, PathBuf};

/// The layers, lowest first. A module may use modules of its own layer and of
/// the layers before it, never one after (ARCHITECTURE.md, "Layout"):
/// vocabulary lives low, next to what consumes it; the I/O edges live high.
/// `log` (the `say!`/`show!` macros every thread prints through) sits with
/// the lowest layer; `main` is the binary, beside the command line it runs.
/// A new top-level module must be placed here, or this test fails.
const LAYERS: &[&[&str]] = &[
    &["log", "time", "pitch", "pattern", "sound", "data"],
    &["corpus"],
    &["audio"],
    &["model"],
    &["schedule"],
    &["script"],
    &["session"],
    &["control"],
    &["osc", "midi", "output", "cli", "main"],
];

/// The layer (index into [`LAYERS`]) of a top-level module, if it has one.
fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

/// The module path of a file, from its path under `src/`:
/// `control/midi/desk.rs` → `[control, midi, desk]`, `audio/mod.rs` → `[audio]`.
fn module_path(file: &str) -> Vec<String> {
    let mut parts: Vec<String> = file.split('/').map(str::to_string).collect();
    if let Some(last) = parts.pop() {
        let stem = last.trim_end_matches(".rs");
        if stem != "mod" {
            parts.push(stem.to_string());
        }
    }
    parts
}

fn is_ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// The identifier starting at `at` (empty if none).
fn ident_at(text: &str, at: usize) -> &str {
    let bytes = text.as_bytes();
    let mut end = at;
    while end < bytes.len() && is_ident_char(bytes[end]) {
        end += 1;
    }
    &text[at..end]
}

/// The first module named by each item of the group `{…}` opening at `at`:
/// `{audio::X, control::{A, B}, self}` → `audio`, `control`.
fn group_heads(text: &str, at: usize) -> Vec<String> {
    let bytes = text.as_bytes();
    let mut heads = Vec::new();
    let mut depth = 0;
    let mut item_start = true;
    let mut i = at;
    while i < bytes.len() {
        match bytes[i] {
            b'{' => {
                depth += 1;
                if depth == 1 {
                    item_start = true;
                }
            }
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            b',' if depth == 1 => item_start = true,
            c if depth == 1 && item_start && is_ident_char(c) => {
                heads.push(ident_at(text, i).to_string());
                item_start = false;
            }
            _ => {}
        }
        i += 1;
    }
    heads
}

/// The top-level modules named right after a path prefix ends at `at`
/// (`crate::` or enough `super::`s): one name, or each head of a group.
fn heads_after(text: &str, at: usize) -> Vec<String> {
    match text.as_bytes().get(at) {
        Some(b'{') => group_heads(text, at),
        _ => vec![ident_at(text, at).to_string()],
    }
}

/// Every reference in `source` (the text of `file`, its path under `src/`)
/// to a module of a higher layer than the file's own, as
/// `file:line uses LAYER`; a file whose module has no layer is one finding.
fn violations(file: &str, source: &str) -> Vec<String> {
    let path = module_path(file);
    let Some(top) = path.first() else {
        return Vec::new();
    };
    let Some(own) = layer_of(top) else {
        return vec![format!(
            "{file}: module `{top}` is in no layer (add it to LAYERS in tests/layers.rs)"
        )];
    };
    let bytes = source.as_bytes();
    let line_of = |at: usize| source[..at].bytes().filter(|b| *b == b'\n').count() + 1;
    let mut found = Vec::new();
    let mut check = |at: usize, names: Vec<String>| {
        for name in names {
            if let Some(layer) = layer_of(&name) {
                if layer > own {
                    found.push(format!("{file}:{} uses {name}", line_of(at)));
                }
            }
        }
    };
    let mut i = 0;
    while i < bytes.len() {
        let starts_word = i == 0 || !(is_ident_char(bytes[i - 1]) || bytes[i - 1] == b':');
        if !starts_word {
            i += 1;
            continue;
        }
        // Bytes, not `&str`: `i` may sit inside a character.
        let rest = &bytes[i..];
        if rest.starts_with(b"crate::") {
            // `$crate::` (in macros) is the crate too.
            let after = i + "crate::".len();
            check(i, heads_after(source, after));
            i = after;
        } else if rest.starts_with(b"super::") {
            // `super::` from module a::b::c climbs to a::b; as many as the
            // path is deep reach the crate root, and the next name is a
            // top-level module.
            let mut at = i;
            let mut climbs = 0;
            while bytes[at..].starts_with(b"super::") {
                at += "super::".len();
                climbs += 1;
            }
            if climbs >= path.len() {
                check(i, heads_after(source, at));
            }
            i = at;
        } else {
            i += 1;
        }
    }
    found
}

/// Every `.rs` file under `dir`, as paths relative to `root`, sorted.
fn rust_files(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(root, &p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p.strip_prefix(root).expect("under src").to_path_buf());
        }
    }
}

#[test]
fn layers_point_one_way() {
    // The loam-core crate (core/src) holds the lower layers; src the rest.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for src in [root.join("core/src"), root.join("src")] {
        let mut here = Vec::new();
        rust_files(&src, &src, &mut here);
        files.extend(here.into_iter().map(|rel| (src.clone(), rel)));
    }
    let mut found = Vec::new();
    let mut checked = 0;
    for (src, rel) in &files {
        let name = rel.to_string_lossy().replace('\\', "/");
        // The crate root declares every module; it belongs to no layer.
        if name == "lib.rs" {
            continue;
        }
        let text = std::fs::read_to_string(src.join(rel))
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", src.join(rel).display()));
        found.extend(violations(&name, &text));
        checked += 1;
    }
    assert!(
        checked > 100,
        "only {checked} files found under core/src and src"
    );
    println!(
        "layers: {checked} files under src/ checked against {} layers; {} against the order",
        LAYERS.len(),
        found.len()
    );
    assert!(
        found.is_empty(),
        "{} references against the layer order (a module may use only the layers before it: {}):\n{}",
        found.len(),
        LAYERS
            .iter()
            .map(|l| l.join(", "))
            .collect::<Vec<_>>()
            .join(" → "),
        found.join("\n")
    );
}

#[test]
fn a_planted_violation_is_caught() {
    let planted = "\
use crate::time::Rational;
use crate::control::models::ModelOp;
use crate::{audio::EngineStatus, midi::{MidiNote, PadMap}};
/// Sent on to [`crate::osc::reply`] and [the desk](crate::control::midi).
fn f() { let _ = crate::midi::PadMap::default(); }
";
    assert_eq!(
        violations("schedule/planner.rs", planted),
        [
            "schedule/planner.rs:2 uses control",
            "schedule/planner.rs:3 uses midi",
            "schedule/planner.rs:4 uses osc",
            "schedule/planner.rs:4 uses control",
            "schedule/planner.rs:5 uses midi",
        ]
    );
    // The same lines are fine from the top layer.
    assert!(violations("midi/router.rs", planted).is_empty());
    // `super::` chains: from time/wallclock.rs two climb to the root.
    assert_eq!(
        violations(
            "time/wallclock.rs",
            "use super::super::audio::EngineStatus;\n"
        ),
        ["time/wallclock.rs:1 uses audio"]
    );
    // One climb stays inside `time`, whatever the next name is.
    assert!(violations("time/wallclock.rs", "use super::audio::X;\n").is_empty());
    // From a top-level file one climb reaches the root.
    assert_eq!(
        violations(
            "session.rs",
            "use super::{control::Command, time::Tempo};\n"
        ),
        ["session.rs:1 uses control"]
    );
    // A module in no layer is named, so the table stays complete.
    assert_eq!(
        violations("studio/mixer.rs", "").len(),
        1,
        "an unknown top-level module is reported"
    );
    // Names that only end in a layer's name, and same-layer uses, pass.
    assert!(violations(
        "audio/engine.rs",
        "use crate::audio::voice; use my_crate::midi::X; use crate::sound::Sample;\n"
    )
    .is_empty());
}
