//! A version (a reload, an `/eval`, a `/load`) applies as a whole or not at
//! all: nothing a failing version did — store writes, `samples()`, model
//! loads and other model operations, MIDI learn requests, named step
//! models, MIDI messages it read — is left behind. A failing `bar(n)`
//! changes nothing either; a failing loop function keeps its last pattern
//! and nothing else it did applies.

use crate::support;

use std::path::Path;

use loam::schedule::{BarHook, Change};
use loam::script::Script;
use support::osc::{s, Client, Server};

/// What `print(get("section"))` says in an evaluation against `script`.
fn section(script: &mut Script) -> String {
    script.eval("print(get(\"section\"));", "<eval>").unwrap();
    let said = script.take_messages();
    assert_eq!(said.len(), 1, "{said:?}");
    said[0].clone()
}

#[test]
fn a_failed_reload_or_eval_leaves_the_store_as_it_was() {
    let dir = support::temp_dir("store");
    let path = dir.join("piece.rhai");
    let (mut script, _) = Script::from_source(&path, "set(\"section\", 1);\n").unwrap();
    assert_eq!(section(&mut script), "1");
    // The issue's example: a write, then an error in the same new version.
    let e = script
        .reload("set(\"section\", 2);\ntempo(\"fast\");\n")
        .unwrap_err();
    assert_eq!((e.file.as_path(), e.line), (path.as_path(), 2), "{e}");
    assert_eq!(section(&mut script), "1");
    // The same through an evaluation, and a removal.
    script
        .eval("set(\"section\", ());\nthrow \"no\";", "<eval>")
        .unwrap_err();
    assert_eq!(section(&mut script), "1");
    // A version that succeeds does write; `get` sees its own writes at once.
    script
        .eval(
            "set(\"section\", 3);\nif get(\"section\") != 3 { throw \"unseen\"; }",
            "<eval>",
        )
        .unwrap();
    assert_eq!(section(&mut script), "3");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_failing_version_leaves_no_midi_request_model_op_or_samples_folder() {
    let dir = support::temp_dir("members");
    std::fs::create_dir_all(dir.join("kit")).unwrap();
    std::fs::write(dir.join("voice.ts"), b"not looked at until loaded").unwrap();
    let path = dir.join("piece.rhai");
    let (mut script, _) = Script::from_source(&path, "tempo(120);\n").unwrap();
    let fail = "\nthrow \"a mistake further down\";";
    for (what, code) in [
        ("midi_learn", "midi_learn(\"drive\");"),
        (
            "midi_learn range",
            "midi_learn(\"drive\", 0.0, 1.0, \"exp\");",
        ),
        ("midi_forget", "midi_forget(\"drive\");"),
        ("midi_follow", "midi_follow(true);"),
        ("midi_clock", "midi_clock(true);"),
        ("model_load", "model_load(\"v\", \"voice.ts\");"),
        ("model_gain", "model_gain(\"v\", 0.5);"),
        ("model_set", "model_set(\"v\", \"temperature\", 0.5);"),
        ("model_unload", "model_unload(\"v\");"),
        ("samples", "samples(\"kit\");"),
        ("tempo", "tempo(90);"),
    ] {
        // Failing: nothing comes out, as a reload and as an evaluation.
        assert!(script.reload(&format!("{code}{fail}")).is_err(), "{what}");
        assert!(
            script.eval(&format!("{code}{fail}"), "<eval>").is_err(),
            "{what}"
        );
        assert!(script.shared().take_midi_requests().is_empty(), "{what}");
        // Succeeding: it does.
        let changes = script.eval(code, "<eval>").unwrap();
        let requests = script.shared().take_midi_requests();
        assert_eq!(
            changes.len() + requests.len(),
            1,
            "{what}: {changes:?} {requests:?}"
        );
        if what == "samples" {
            assert!(matches!(&changes[0], Change::Samples(f) if f.dir.ends_with("kit")));
        }
        if what == "midi_learn" {
            assert_eq!(requests, ["learn drive"]);
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_step_model_named_in_a_failing_version_is_not_reachable() {
    let dir = support::temp_dir("named");
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/aksak/nine.pat");
    std::fs::copy(&data, dir.join("nine.pat")).unwrap();
    let path = dir.join("piece.rhai");
    let (mut script, _) = Script::from_source(&path, "tempo(120);\n").unwrap();
    let train = "let m = markov_train(\"nine.pat\", 2, \"walk\");\nm.step();\n";
    script
        .eval(&format!("{train}throw \"later\";"), "<eval>")
        .unwrap_err();
    let e = script
        .shared()
        .step_model("walk", 1)
        .unwrap_err()
        .to_string();
    assert!(e.contains("no step model 'walk'"), "{e}");
    assert!(script.shared().take_model_steps().is_empty());
    script.eval(train, "<eval>").unwrap();
    assert_eq!(script.shared().step_model("walk", 2).unwrap().len(), 2);
    // The step the evaluation took, then the two asked for.
    assert_eq!(script.shared().take_model_steps().len(), 3);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn midi_messages_a_failing_version_read_are_given_back() {
    let dir = support::temp_dir("events");
    let (mut script, _) = Script::from_source(&dir.join("piece.rhai"), "tempo(120);\n").unwrap();
    let mut note = rhai::Map::new();
    note.insert("note".into(), rhai::Dynamic::from(60_i64));
    script.shared().push_midi_event(note);
    script
        .eval("let e = midi_events();\nthrow `read ${e.len()}`;", "<eval>")
        .unwrap_err();
    script
        .eval(
            "let e = midi_events();\nprint(e.len());\nprint(midi_events().len());",
            "<eval>",
        )
        .unwrap();
    assert_eq!(script.take_messages(), ["1", "0"]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_missing_samples_folder_or_model_file_fails_the_version_naming_it() {
    let dir = support::temp_dir("missing");
    let path = dir.join("piece.rhai");
    let (mut script, _) = Script::from_source(&path, "set(\"section\", 1);\n").unwrap();
    let e = script
        .reload("set(\"section\", 2);\nsamples(\"missing\");\n")
        .unwrap_err();
    assert_eq!(e.line, 2, "{e}");
    assert!(
        e.message
            .contains(&dir.join("missing").display().to_string()),
        "{e}"
    );
    let e = script
        .eval(
            "set(\"section\", 2);\nmodel_load(\"v\", \"gone.ts\");",
            "<eval>",
        )
        .unwrap_err();
    assert_eq!(e.line, 2, "{e}");
    assert!(
        e.message
            .contains(&dir.join("gone.ts").display().to_string()),
        "{e}"
    );
    assert_eq!(section(&mut script), "1");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_failing_bar_changes_nothing_and_a_failing_loop_function_keeps_its_pattern() {
    let dir = support::temp_dir("bars");
    let source = r#"set("section", 1);
live_loop("a", |n| {
    set("a", n);
    midi_learn(`a ${n}`);
    tempo(100 + n);
    if n == 1 { throw "loop fails"; }
    if n == 2 { return 42; }
    if n == 3 { return "bd(("; }
    "bd"
});
fn bar(n) {
    set("section", n + 10);
    midi_learn(`bar ${n}`);
    metre("7/8");
    if n == 1 { throw "bar fails"; }
}
"#;
    let (mut script, _) = Script::from_source(&dir.join("piece.rhai"), source).unwrap();
    let changes = script.on_bar(0);
    // bar()'s metre, then the loop function's tempo and pattern.
    assert!(
        matches!(
            changes.as_slice(),
            [Change::Metre { .. }, Change::Tempo { .. }, Change::Loop(_)]
        ),
        "{changes:?}"
    );
    assert_eq!(
        script.shared().take_midi_requests(),
        ["learn bar 0", "learn a 0"]
    );
    script.take_messages();
    // Bar 1: bar() fails and the loop function fails: nothing at all.
    // Bars 2 and 3: the loop gives no pattern: only bar()'s changes.
    for n in 1..=3 {
        let changes = script.on_bar(n);
        let requests = script.shared().take_midi_requests();
        let said = script.take_messages();
        if n == 1 {
            assert!(changes.is_empty(), "{changes:?}");
            assert!(requests.is_empty(), "{requests:?}");
            assert_eq!(said.len(), 2, "{said:?}");
        } else {
            assert!(
                changes.iter().all(|c| matches!(c, Change::Metre { .. })),
                "bar {n}: {changes:?}"
            );
            assert_eq!(requests, [format!("learn bar {n}")]);
            assert!(
                said[0].starts_with(&format!("loop 'a', bar {n}: ")),
                "{said:?}"
            );
        }
        script
            .eval("print(`${get(\"section\")} ${get(\"a\")}`);", "<eval>")
            .unwrap();
        let expected = if n == 1 {
            "10 0"
        } else {
            &format!("{} 0", n + 10)
        };
        assert_eq!(script.take_messages(), [expected.to_string()], "bar {n}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// `/eval` of a missing samples folder is answered `/fail` naming it, and
/// a `/load` whose file asks for one changes nothing.
#[test]
fn eval_and_load_of_a_missing_samples_folder_fail_and_change_nothing() {
    let dir = support::temp_dir("aon");
    let script = support::script_with_click(&dir, "tempo(120);\nset(\"section\", 1);\n");
    let server = Server::start(&script, &[]);
    let c = Client::new();
    let reply = c.request(server.addr, "/eval", vec![s("samples(\"missing\");")]);
    assert_eq!(reply.addr, "/fail", "{reply:?}");
    let text = format!("{:?}", reply.args);
    assert!(
        text.contains("missing") && text.contains("samples"),
        "{text}"
    );

    let other = dir.join("notes");
    std::fs::create_dir_all(&other).unwrap();
    let file = other.join("part.rhai");
    std::fs::write(&file, "set(\"section\", 2);\nsamples(\"missing\");\n").unwrap();
    let reply = c.request(server.addr, "/load", vec![s(file.to_str().unwrap())]);
    assert_eq!(reply.addr, "/fail", "{reply:?}");
    let text = format!("{:?}", reply.args);
    assert!(text.contains("missing"), "{text}");
    let check = "if get(\"section\") != 1 { throw `section is ${get(\"section\")}`; }";
    let reply = c.request(server.addr, "/eval", vec![s(check)]);
    assert_eq!(reply.addr, "/done", "{reply:?}");
    server.stop();
}
