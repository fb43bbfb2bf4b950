//! The live input from a script (`loam serve --input`):
//!
//! | call | effect |
//! |---|---|
//! | `capture("name", bars)` | records the next `bars` bars of input (1 … 64), from the next bar line, into the sound `name`; patterns can play it from the bar after the take (a looper; bars follow the metre and tempo, whatever each loop's tempo octave) |
//! | `input_gain(g)` | the input's gain, linear (0 … 16; 1 at start) |
//! | `input_monitor(level)` | the input's level in the mix, linear (0 … 16; 0, off, at start, to avoid feedback) |
//! | `model_input("voice", "in")` | (in `api.rs`) the live input streams through the model; `"in:2"` for channel 2 |
//!
//! Like every change, these apply only when the code that asked succeeds;
//! an offline render takes them from its `--input` file
//! (`output/offline_input.rs`).

use std::sync::Arc;

use rhai::{Dynamic, Engine};

use super::api::{fail, number, Res, Shared};
use crate::schedule::{Change, InputOp};

fn ask(s: &Shared, op: InputOp) -> Res<()> {
    op.check().or_else(fail)?;
    s.collected().changes.push(Change::Input(op));
    Ok(())
}

/// Registers `capture`, `input_gain` and `input_monitor`.
pub fn register(engine: &mut Engine, shared: &Arc<Shared>) {
    let s = shared.clone();
    engine.register_fn("capture", move |name: &str, bars: i64| -> Res<()> {
        ask(
            &s,
            InputOp::Capture {
                name: name.into(),
                bars,
            },
        )
    });
    let s = shared.clone();
    engine.register_fn("input_gain", move |g: Dynamic| -> Res<()> {
        ask(&s, InputOp::Gain(number(&g)?))
    });
    let s = shared.clone();
    engine.register_fn("input_monitor", move |level: Dynamic| -> Res<()> {
        ask(&s, InputOp::Monitor(number(&level)?))
    });
}
