use super::*;
use crate::pitch::keyboard::parse_kbm;
use crate::pitch::scala::parse_scl;

/// The one frequency `word` plays.
fn hz(p: &LoopPitch, word: &str) -> f64 {
    let f = p.frequencies(word, None).unwrap().unwrap();
    assert_eq!(f.len(), 1, "{word}");
    f[0].hz
}

fn all_hz(p: &LoopPitch, word: &str) -> Vec<f64> {
    p.frequencies(word, None)
        .unwrap()
        .unwrap()
        .iter()
        .map(|f| f.hz)
        .collect()
}

fn close(a: f64, b: f64) -> bool {
    (a / b).log2().abs() * 1200.0 < 0.001
}

fn twelve(m: f64) -> f64 {
    440.0 * ((m - 69.0) / 12.0).exp2()
}

fn with_tuning(t: Tuning) -> LoopPitch {
    LoopPitch {
        tuning: Some(Arc::new(t)),
        ..LoopPitch::default()
    }
}

#[test]
fn note_names_are_twelve_edo_at_a440() {
    let p = LoopPitch::default();
    assert_eq!(hz(&p, "a4"), 440.0);
    assert!(close(hz(&p, "c4"), 261.6256));
    assert!(close(hz(&p, "eb4"), twelve(63.0)));
    assert!(close(hz(&p, "f#3"), twelve(54.0)));
    assert!(close(hz(&p, "a5"), 880.0));
    assert!(close(hz(&p, "bb"), twelve(70.0)));
    // Whole numbers are MIDI keys without a tuning, scale or root.
    assert!(close(hz(&p, "60"), 261.6256));
    assert!(close(hz(&p, "60.5"), twelve(60.5)));
    assert!(close(hz(&p, "69.25"), 440.0 * (0.25f64 / 12.0).exp2()));
    assert_eq!(p.frequencies("bd", None), Ok(None));
    assert_eq!(p.frequencies("hat", None), Ok(None));
    assert_eq!(p.frequencies("sn", None), Ok(None));
}

#[test]
fn degrees_in_53_edo_from_the_root() {
    let p = with_tuning(Tuning::edo(53).unwrap());
    for k in [0, 9, 17, 22, 31, 53, 60] {
        let want = 261.6256 * (k as f64 / 53.0).exp2();
        assert!((hz(&p, &k.to_string()) - want).abs() < 1e-3, "degree {k}");
    }
    // Negative degrees wrap down by the period.
    assert!(close(hz(&p, "-1"), twelve(60.0) * (-1.0f64 / 53.0).exp2()));
    assert!(close(hz(&p, "-53"), twelve(48.0)));
    // Note names and fractional MIDI numbers stay 12-EDO pitches.
    assert!(close(hz(&p, "a4"), 440.0));
    assert!(close(hz(&p, "60.5"), twelve(60.5)));
    // A global tuning makes whole numbers degrees too.
    let global = Arc::new(Tuning::edo(24).unwrap());
    let plain = LoopPitch::default();
    let f = plain.frequencies("1", Some(&global)).unwrap().unwrap();
    assert!(close(f[0].hz, twelve(60.5)));
}

#[test]
fn scales_roots_transposition_and_octave_shift() {
    let major = LoopPitch {
        scale: Some(Scale::parse("major").unwrap()),
        ..LoopPitch::default()
    };
    assert!(close(hz(&major, "0"), twelve(60.0)));
    assert!(close(hz(&major, "2"), twelve(64.0)));
    assert!(close(hz(&major, "4"), twelve(67.0)));
    assert!(close(hz(&major, "7"), twelve(72.0)));
    assert!(close(hz(&major, "-1"), twelve(59.0)));
    assert!(close(hz(&major, "-3"), twelve(55.0)));
    let d = LoopPitch {
        root: Some(q(62, 1)),
        ..major.clone()
    };
    assert!(close(hz(&d, "0"), twelve(62.0)));
    assert!(close(hz(&d, "2"), twelve(66.0)));
    let up = LoopPitch {
        transpose: 3,
        octave_shift: 1,
        ..major.clone()
    };
    assert!(close(hz(&up, "0"), twelve(75.0)));
    assert!(close(hz(&up, "c4"), twelve(75.0)));
    let down = LoopPitch {
        transpose: -2,
        octave_shift: -1,
        ..LoopPitch::default()
    };
    assert!(close(hz(&down, "a4"), twelve(55.0)));
    // In 53-EDO a step is a Holdrian comma, for keys as for degrees.
    let comma = LoopPitch {
        transpose: 9,
        ..with_tuning(Tuning::edo(53).unwrap())
    };
    assert!(close(hz(&comma, "0"), 261.6256 * (9.0f64 / 53.0).exp2()));
    assert!(close(hz(&comma, "c4"), 261.6256 * (9.0f64 / 53.0).exp2()));
    // A makam scale on 53-EDO: rast's fourth degree is 22 commas up.
    let rast = LoopPitch {
        scale: Some(Scale::parse("rast").unwrap()),
        ..with_tuning(Tuning::edo(53).unwrap())
    };
    assert!(close(hz(&rast, "3"), 261.6256 * (22.0f64 / 53.0).exp2()));
}

#[test]
fn chords_on_keys() {
    let p = LoopPitch::default();
    let maj: Vec<f64> = [60.0, 64.0, 67.0].map(twelve).to_vec();
    let got = all_hz(&p, "c4'maj");
    assert_eq!(got.len(), 3);
    assert!(got.iter().zip(&maj).all(|(a, b)| close(*a, *b)), "{got:?}");
    let min7 = all_hz(&p, "a3'min7");
    let want: Vec<f64> = [57.0, 60.0, 64.0, 67.0].map(twelve).to_vec();
    assert!(min7.iter().zip(&want).all(|(a, b)| close(*a, *b)));
    assert_eq!(all_hz(&p, "60'dom7").len(), 4);
    assert!(p.frequencies("c4'nope", None).is_err());
    let degrees = with_tuning(Tuning::edo(12).unwrap());
    assert!(degrees.frequencies("0'maj", None).is_err());
}

#[test]
fn just_ratios_stay_exact() {
    let just = Tuning::from_ratios(
        "just major",
        &[
            q(1, 1),
            q(9, 8),
            q(5, 4),
            q(4, 3),
            q(3, 2),
            q(5, 3),
            q(15, 8),
            q(2, 1),
        ],
    )
    .unwrap();
    let p = with_tuning(just);
    let c = twelve(60.0);
    for (d, r) in [
        (0, 1.0),
        (2, 1.25),
        (4, 1.5),
        (6, 1.875),
        (7, 2.0),
        (-3, 0.75),
    ] {
        assert!(close(hz(&p, &d.to_string()), c * r), "degree {d}");
    }
}

#[test]
fn a_keyboard_map_sets_the_reference() {
    let scl = parse_scl("just\n7\n9/8\n5/4\n4/3\n3/2\n5/3\n15/8\n2/1\n", "just.scl").unwrap();
    let kbm = parse_kbm(
        "12\n0\n127\n60\n69\n432.0\n7\n0\nx\n1\nx\n2\n3\nx\n4\nx\n5\nx\n6\n",
        "white.kbm",
    )
    .unwrap();
    let p = with_tuning(scl.with_keyboard(kbm));
    // A4 is the reference; C4 (degree 0, the middle key) a just sixth below.
    assert!(close(hz(&p, "a4"), 432.0));
    assert!(close(hz(&p, "0"), 432.0 * 3.0 / 5.0));
    assert!(close(hz(&p, "c4"), 432.0 * 3.0 / 5.0));
    assert!(close(hz(&p, "4"), 432.0 * 3.0 / 5.0 * 1.5));
    assert!(close(hz(&p, "e4"), 432.0 * 3.0 / 5.0 * 1.25));
    assert!(close(hz(&p, "c5"), 432.0 * 6.0 / 5.0));
    assert!(p.frequencies("c#4", None).is_err(), "an unmapped key");
}

#[test]
fn out_of_range_is_clamped_and_marked_never_nan() {
    let p = LoopPitch {
        octave_shift: -3,
        ..LoopPitch::default()
    };
    let f = p.frequencies("c-1", None).unwrap().unwrap()[0];
    assert!(f.clamped);
    assert_eq!(f.hz, crate::pitch::MIN_NOTE_HZ);
    let high = LoopPitch {
        octave_shift: 9,
        ..LoopPitch::default()
    };
    let f = high.frequencies("c9", None).unwrap().unwrap()[0];
    assert!(f.clamped && f.hz == crate::pitch::MAX_NOTE_HZ);
    let edo = with_tuning(Tuning::edo(53).unwrap());
    let f = edo.frequencies("999999", None).unwrap().unwrap()[0];
    assert!(f.clamped && f.hz.is_finite());
    assert!(!hz(&LoopPitch::default(), "a4").is_nan());
}

/// `tunings/53-edo.scl` as shipped.
fn makam_tuning() -> Tuning {
    parse_scl(include_str!("../../../../tunings/53-edo.scl"), "53-edo.scl").unwrap()
}

fn comma(k: f64) -> f64 {
    261.6256 * (k / 53.0).exp2()
}

#[test]
fn the_makam_tuning_names_the_24_aeu_perdes_of_an_octave_and_its_neighbours() {
    let t = makam_tuning();
    let octave: Vec<(&str, i64)> = vec![
        ("rast", 0),
        ("nim_zirgule", 4),
        ("zirgule", 5),
        ("dik_zirgule", 8),
        ("dugah", 9),
        ("kurdi", 13),
        ("dik_kurdi", 14),
        ("segah", 17),
        ("buselik", 18),
        ("dik_buselik", 21),
        ("cargah", 22),
        ("nim_hicaz", 26),
        ("hicaz", 27),
        ("dik_hicaz", 30),
        ("neva", 31),
        ("nim_hisar", 35),
        ("hisar", 36),
        ("dik_hisar", 39),
        ("huseyni", 40),
        ("acem", 44),
        ("dik_acem", 45),
        ("evic", 48),
        ("mahur", 49),
        ("dik_mahur", 52),
    ];
    assert_eq!(octave.len(), 24);
    for (name, degree) in &octave {
        assert_eq!(t.named(name), Some(*degree), "{name}");
        // A chain of fifths (31 commas) from dik buselik reaches each.
        assert!(
            (0..24).any(|k| (21 + 31 * k) % 53 == *degree),
            "{name} is off the chain of fifths"
        );
    }
    let within: Vec<_> = t
        .names
        .iter()
        .filter(|(_, d)| (0..53).contains(d))
        .collect();
    assert_eq!(within.len(), 24, "{within:?}");
    // The octaves either side, as the `!name` lines give them.
    for (name, degree) in [
        ("yegah", -22),
        ("huseyni_asiran", -13),
        ("acem_asiran", -9),
        ("irak", -5),
        ("gevest", -4),
        ("gerdaniye", 53),
        ("sehnaz", 58),
        ("muhayyer", 62),
        ("tiz_segah", 70),
        ("tiz_cargah", 75),
    ] {
        assert_eq!(t.named(name), Some(degree), "{name}");
    }
    // An octave's names an octave apart.
    for (low, high) in [
        ("neva", "yegah"),
        ("huseyni", "huseyni_asiran"),
        ("zirgule", "sehnaz"),
        ("kurdi", "sunbule"),
        ("mahur", "gevest"),
        ("dugah", "muhayyer"),
        ("segah", "tiz_segah"),
        ("evic", "irak"),
    ] {
        let (a, b) = (t.named(low).unwrap(), t.named(high).unwrap());
        assert_eq!((a - b).abs(), 53, "{low} / {high}");
    }
    // Case does not matter; a word the tuning does not name is not a pitch.
    assert_eq!(t.named("Dugah"), Some(9));
    assert_eq!(t.named("kick"), None);
}

#[test]
fn makam_names_play_their_53_edo_degrees_exactly() {
    let p = with_tuning(makam_tuning());
    for (word, k) in [
        ("rast", 0.0),
        ("dugah", 9.0),
        ("segah", 17.0),
        ("cargah", 22.0),
        ("nim_zirgule", 4.0),
        ("yegah", -22.0),
        ("muhayyer", 62.0),
        ("gerdaniye", 53.0),
    ] {
        assert!(close(hz(&p, word), comma(k)), "{word}");
    }
    // Numbers, note names and drums keep their meaning beside the names.
    assert!(close(hz(&p, "9"), comma(9.0)));
    assert!(close(hz(&p, "a4"), 440.0));
    assert_eq!(p.frequencies("kick", None), Ok(None));
    // A name is a tuning degree: the loop's scale does not map it, its
    // root, transposition and octave shift move it.
    let moved = LoopPitch {
        scale: Some(Scale::parse("ussak").unwrap()),
        root: Some(q(62, 1)),
        transpose: 5,
        octave_shift: -1,
        ..with_tuning(makam_tuning())
    };
    assert!(close(
        hz(&moved, "dugah"),
        twelve(62.0) * ((9.0 + 5.0 - 53.0) / 53.0f64).exp2()
    ));
    // Degrees still walk the scale: ussak degree 1 is 8 commas.
    assert!(close(
        hz(&moved, "1"),
        twelve(62.0) * ((8.0 + 5.0 - 53.0) / 53.0f64).exp2()
    ));
    // A name takes no chord.
    assert!(p.frequencies("dugah'maj", None).is_err());
    // Without the named tuning a name is not a pitch: a 53-EDO made from
    // its count alone has no names, nor has 12-EDO.
    let bare = with_tuning(Tuning::edo(53).unwrap());
    assert_eq!(bare.frequencies("dugah", None), Ok(None));
    assert_eq!(LoopPitch::default().frequencies("dugah", None), Ok(None));
    // A global tuning's names count for a loop without its own.
    let global = Arc::new(makam_tuning());
    let f = LoopPitch::default()
        .frequencies("neva", Some(&global))
        .unwrap()
        .unwrap();
    assert!(close(f[0].hz, comma(31.0)));
}

#[test]
fn a_notes_own_shift_adds_to_the_loops() {
    let shift = |steps, periods| NoteShift { steps, periods };
    let one = |p: &LoopPitch, word: &str, s: NoteShift| {
        let f = p.frequencies_shifted(word, None, s).unwrap().unwrap();
        assert_eq!(f.len(), 1);
        f[0].hz
    };
    // 12-EDO keys: steps are semitones, periods octaves.
    let plain = LoopPitch::default();
    assert!(close(one(&plain, "a4", shift(3, 0)), twelve(72.0)));
    assert!(close(one(&plain, "a4", shift(-2, 1)), twelve(79.0)));
    assert_eq!(one(&plain, "a4", shift(0, 0)), 440.0);
    // 53-EDO degrees and names: steps are commas, added to the loop's.
    let p = LoopPitch {
        transpose: 9,
        ..with_tuning(makam_tuning())
    };
    assert!(close(one(&p, "0", shift(4, 0)), comma(13.0)));
    assert!(close(one(&p, "segah", shift(-9, 1)), comma(17.0 + 53.0)));
    assert!(close(one(&p, "neva", shift(0, -1)), comma(40.0 - 53.0)));
    // Chords move together.
    let f = plain
        .frequencies_shifted("c4'maj", None, shift(2, 0))
        .unwrap()
        .unwrap();
    let got: Vec<f64> = f.iter().map(|f| f.hz).collect();
    for (g, k) in got.iter().zip([62.0, 66.0, 69.0]) {
        assert!(close(*g, twelve(k)), "{got:?}");
    }
}
