//! Rendered output is bit-identical for any block size.

use crate::support;

use std::path::Path;

#[test]
fn demo_renders_bit_identically_at_block_sizes_1_64_and_1000() {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/demo.rhai");
    let a = support::render(&demo, 6, 1);
    let b = support::render(&demo, 6, 64);
    let c = support::render(&demo, 6, 1000);
    assert!(a.iter().any(|x| x.abs() > 0.1), "the demo is silent");
    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(a.len(), b.len());
    assert!(bits(&a) == bits(&b), "block 1 and 64 differ");
    assert!(bits(&b) == bits(&c), "block 64 and 1000 differ");
}

#[test]
fn the_wav_file_is_identical_too() {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/demo.rhai");
    let dir = support::temp_dir("wav");
    let (x, y) = (dir.join("a.wav"), dir.join("b.wav"));
    loam::output::render(&demo, 4, 48_000, 1, &x).unwrap();
    loam::output::render(&demo, 4, 48_000, 1000, &y).unwrap();
    let (a, b) = (std::fs::read(&x).unwrap(), std::fs::read(&y).unwrap());
    assert!(a.len() > 1000 && a == b, "the WAV files differ");
    assert!(
        !dir.join("a.wav.part").exists(),
        "temporary file left behind"
    );
}
