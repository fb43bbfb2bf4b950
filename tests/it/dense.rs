//! A dense performance (16 loops, about a thousand events a bar) renders
//! with no late event and every event sounding.

use crate::support;

#[test]
fn sixteen_dense_loops_render_with_no_late_event() {
    let mut body = String::from("metre(\"2+2+3/8\");\ntempo(137.37);\n");
    for i in 0..16 {
        let pat = match i % 4 {
            0 => "hat*16 | hat*16 | hat*32",
            1 => "[kick snare]*32",
            2 => "rim(5,8)*8 shaker*24 | bell*16",
            _ => "<clap tom>*64",
        };
        body.push_str(&format!("live_loop(\"l{i}\", \"{pat}\").gain(0.05);\n"));
    }
    let dir = support::temp_dir("dense");
    let path = dir.join("dense.rhai");
    std::fs::write(&path, body).unwrap();
    let report = loam::output::offline::render_samples(&path, 4, 48_000, 64, |_| Ok(())).unwrap();
    assert_eq!(report.late_events, 0);
    assert!(report.messages.is_empty(), "{:?}", report.messages);
}
