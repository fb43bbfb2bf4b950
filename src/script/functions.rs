//! Transforms that take a function, as Tidal's do: `.sometimes(|p| p.fast(2))`,
//! `.off("1p", |p| p.velocity(0.5))`, `.chunk(4, |p| p.rev())`, and the
//! transforms added with them (`ply`, `iter`, `echo`, …).
//!
//! The function is called once, when the script runs, with an empty
//! [`Chain`]: what it adds (`p.fast(2).rev()`) is the list of transforms
//! the loop applies to the notes it chooses. A transform value works too
//! (`.sometimes(fast(2))`).
//!
//! | call | effect (Tidal's function of the same name) |
//! |---|---|
//! | `.sometimes(f)` `.often(f)` `.rarely(f)` `.almost_never(f)` `.almost_always(f)` `.always(f)` | each note replaced by `f`'s version with chance 1/2, 3/4, 1/4, 1/10, 9/10, 1 (seeded) |
//! | `.sometimes_by(p, f)` | the same with chance `p` |
//! | `.some_cycles(f)` / `.some_cycles_by(p, f)` | whole cycles, chance 1/2 or `p` |
//! | `.off(time, f)` | adds a copy moved `time` later, then transformed |
//! | `.superimpose(f)` | adds a transformed copy |
//! | `.jux(f)` | the pattern hard left, the transformed copy hard right |
//! | `.chunk(n, f)` | cycle `c` transforms part `c mod n` of `n` |
//! | `.within(start, end, f)` | notes in `[start, end)` of each cycle transformed |
//! | `.whenmod(a, b, f)` | cycles with `c mod a >= b` transformed |
//! | `.ply(n)` `.palindrome()` `.iter(n)` `.linger(x)` `.euclid(k, n, r)` `.euclid_inv(k, n, r)` `.echo(n, time, feedback)` `.hurry(x)` `.brak()` | see [`crate::pattern::Transform`] |
//! | `.chop(n)` `.striate(n)` | granular slices of each sample: each note cut into `n` parts playing the sample's `n` parts in turn; each cycle played `n` times, the `i`-th time with every sample's `i`-th part (1 ≤ n ≤ `MAX_SLICES`) |
//!
//! A time (`off`, `echo`) is a fraction of a cycle (`0.25`, `"1/8"`) or a
//! number of pulses of the metre (`"1p"`): see [`crate::pattern::transform::TimeArg`].

use std::sync::Arc;

use rhai::{Dynamic, Engine, EvalAltResult, FnPtr, NativeCallContext};

use super::api::{
    add_transform, checked, exact, fail, message, number, register_maker, LoopRef, Make, Res,
    Shared,
};
use crate::pattern::transform::TimeArg;
use crate::pattern::{values, Transform, MAX_TRANSFORMS};

/// The transforms a function argument builds: the `p` of `|p| p.fast(2)`.
#[derive(Clone, Debug, Default)]
pub struct Chain(Vec<Transform>);

impl Chain {
    /// Adds a transform; refuses more than [`MAX_TRANSFORMS`].
    pub(super) fn push(&mut self, t: Transform) -> Res<()> {
        if self.0.len() >= MAX_TRANSFORMS {
            return fail(format!(
                "a function adds at most {MAX_TRANSFORMS} transforms"
            ));
        }
        self.0.push(t);
        Ok(())
    }
}

/// A function argument as its transforms: a closure (`|p| p.fast(2)`) is
/// called with an empty [`Chain`]; a transform (`fast(2)`) stands for itself.
fn function_arg(ctx: &NativeCallContext, f: &Dynamic) -> Res<Vec<Transform>> {
    let value = match f.clone().try_cast::<FnPtr>() {
        Some(fp) => fp
            .call_within_context::<Dynamic>(ctx, (Chain::default(),))
            .map_err(innermost)?,
        None => f.clone(),
    };
    if let Some(chain) = value.clone().try_cast::<Chain>() {
        return Ok(chain.0);
    }
    if let Some(t) = value.clone().try_cast::<Transform>() {
        return Ok(vec![t]);
    }
    fail(format!(
        "expected a function like |p| p.fast(2) (or a transform like fast(2)), got {}",
        value.type_name()
    ))
}

/// The error a function argument's own code raised, without the layers of
/// "in call to function" around it, so the message reads as the value's.
fn innermost(e: Box<EvalAltResult>) -> Box<EvalAltResult> {
    if !matches!(*e, EvalAltResult::ErrorInFunctionCall(..)) {
        return e;
    }
    match *e {
        EvalAltResult::ErrorInFunctionCall(_, _, inner, _) => innermost(inner),
        other => Box::new(other),
    }
}

/// A time argument: a fraction of a cycle (`0.25`, `"1/8"`) or pulses (`"1p"`).
fn time_arg(v: &Dynamic) -> Res<TimeArg> {
    let time = match v.clone().try_cast::<String>() {
        Some(text) => TimeArg::parse(&text).or_else(|e| fail(e.to_string()))?,
        None => TimeArg::Cycles(exact(v, values::TIME)?),
    };
    time.check().or_else(|e| fail(e.to_string()))?;
    Ok(time)
}

/// A whole number by `rule`.
fn whole(v: &Dynamic, rule: values::Rule) -> Res<i64> {
    let n = rule.check(number(v)?).or_else(|e| fail(e.to_string()))?;
    Ok(n as i64)
}

/// Makes a transform from a script's arguments and its function argument.
type MakeWith = fn(&[Dynamic], Vec<Transform>) -> Res<Transform>;

/// Registers the transforms of this file.
pub fn register(engine: &mut Engine, shared: &Arc<Shared>) {
    engine.register_type_with_name::<Chain>("Pattern");
    let plain: [(&str, usize, Make); 9] = [
        ("ply", 1, |a| {
            checked(Transform::Ply(exact(&a[0], values::PLY)?))
        }),
        ("palindrome", 0, |_| Ok(Transform::Palindrome)),
        ("iter", 1, |a| {
            checked(Transform::Iter(whole(&a[0], values::PARTS)?))
        }),
        ("linger", 1, |a| {
            checked(Transform::Linger(exact(&a[0], values::LINGER)?))
        }),
        ("euclid", 3, |a| euclid(a, false)),
        ("euclid_inv", 3, |a| euclid(a, true)),
        ("echo", 3, |a| {
            checked(Transform::Echo {
                count: whole(&a[0], values::ECHOES)?,
                time: time_arg(&a[1])?,
                feedback: number(&a[2])?,
            })
        }),
        ("hurry", 1, |a| {
            checked(Transform::Hurry(exact(&a[0], values::FAST)?))
        }),
        ("brak", 0, |_| Ok(Transform::Brak)),
    ];
    for (name, arity, make) in plain {
        register_maker(engine, shared, name, arity, make);
    }
    // Granular slices of samples (`pattern/transform/slice.rs`).
    let slicing: [(&str, usize, Make); 2] = [
        ("chop", 1, |a| {
            checked(Transform::Chop(whole(&a[0], values::SLICES)?))
        }),
        ("striate", 1, |a| {
            checked(Transform::Striate(whole(&a[0], values::SLICES)?))
        }),
    ];
    for (name, arity, make) in slicing {
        register_maker(engine, shared, name, arity, make);
    }
    // (name, arguments before the function, maker)
    let with: [(&str, usize, MakeWith); 15] = [
        ("sometimes", 0, |_, f| some_by(0.5, f)),
        ("often", 0, |_, f| some_by(0.75, f)),
        ("rarely", 0, |_, f| some_by(0.25, f)),
        ("almost_never", 0, |_, f| some_by(0.1, f)),
        ("almost_always", 0, |_, f| some_by(0.9, f)),
        ("always", 0, |_, f| some_by(1.0, f)),
        ("sometimes_by", 1, |a, f| some_by(number(&a[0])?, f)),
        ("some_cycles", 0, |_, f| some_cycles_by(0.5, f)),
        ("some_cycles_by", 1, |a, f| {
            some_cycles_by(number(&a[0])?, f)
        }),
        ("superimpose", 0, |_, f| checked(Transform::Superimpose(f))),
        ("jux", 0, |_, f| checked(Transform::Jux(f))),
        ("off", 1, |a, f| {
            checked(Transform::Off {
                time: time_arg(&a[0])?,
                transforms: f,
            })
        }),
        ("chunk", 1, |a, f| {
            checked(Transform::Chunk {
                n: whole(&a[0], values::PARTS)?,
                transforms: f,
            })
        }),
        ("within", 2, |a, f| {
            checked(Transform::Within {
                start: exact(&a[0], values::CYCLE_POSITION)?,
                end: exact(&a[1], values::CYCLE_POSITION)?,
                transforms: f,
            })
        }),
        ("whenmod", 2, |a, f| {
            checked(Transform::WhenMod {
                a: whole(&a[0], values::PARTS)?,
                b: number(&a[1])? as i64,
                transforms: f,
            })
        }),
    ];
    for (name, arity, make) in with {
        register_with(engine, shared, name, arity, make);
    }
}

fn some_by(probability: f64, transforms: Vec<Transform>) -> Res<Transform> {
    checked(Transform::SomeBy {
        probability,
        transforms,
    })
}

fn some_cycles_by(probability: f64, transforms: Vec<Transform>) -> Res<Transform> {
    checked(Transform::SomeCyclesBy {
        probability,
        transforms,
    })
}

fn euclid(a: &[Dynamic], invert: bool) -> Res<Transform> {
    checked(Transform::Euclid {
        pulses: number(&a[0])? as i64,
        steps: whole(&a[1], values::EUCLID_STEPS)?,
        rotation: whole(&a[2], values::SHIFT)?,
        invert,
    })
}

/// Registers a transform taking `arity` arguments and then a function, as a
/// free function, a loop method and a [`Chain`] method.
fn register_with(
    engine: &mut Engine,
    shared: &Arc<Shared>,
    name: &'static str,
    arity: usize,
    make: MakeWith,
) {
    let build = move |ctx: &NativeCallContext, args: &[Dynamic], f: &Dynamic| {
        make(args, function_arg(ctx, f)?)
    };
    let s = shared.clone();
    let push = move |ctx: &NativeCallContext, l: &LoopRef, args: &[Dynamic], f: &Dynamic| {
        let t = build(ctx, args, f).or_else(|e| fail(l.in_loop(message(&e))))?;
        add_transform(&s, l, t)?;
        Ok(l.clone())
    };
    let chain = move |ctx: &NativeCallContext, c: &mut Chain, args: &[Dynamic], f: &Dynamic| {
        c.push(build(ctx, args, f)?)?;
        Ok(c.clone())
    };
    match arity {
        0 => {
            engine.register_fn(name, move |ctx: NativeCallContext, f: Dynamic| {
                build(&ctx, &[], &f)
            });
            engine.register_fn(
                name,
                move |ctx: NativeCallContext, l: &mut LoopRef, f: Dynamic| -> Res<LoopRef> {
                    push(&ctx, l, &[], &f)
                },
            );
            engine.register_fn(
                name,
                move |ctx: NativeCallContext, c: &mut Chain, f: Dynamic| -> Res<Chain> {
                    chain(&ctx, c, &[], &f)
                },
            );
        }
        1 => {
            engine.register_fn(
                name,
                move |ctx: NativeCallContext, a: Dynamic, f: Dynamic| build(&ctx, &[a], &f),
            );
            engine.register_fn(
                name,
                move |ctx: NativeCallContext,
                      l: &mut LoopRef,
                      a: Dynamic,
                      f: Dynamic|
                      -> Res<LoopRef> { push(&ctx, l, &[a], &f) },
            );
            engine.register_fn(
                name,
                move |ctx: NativeCallContext,
                      c: &mut Chain,
                      a: Dynamic,
                      f: Dynamic|
                      -> Res<Chain> { chain(&ctx, c, &[a], &f) },
            );
        }
        _ => {
            engine.register_fn(
                name,
                move |ctx: NativeCallContext, a: Dynamic, b: Dynamic, f: Dynamic| {
                    build(&ctx, &[a, b], &f)
                },
            );
            engine.register_fn(
                name,
                move |ctx: NativeCallContext,
                      l: &mut LoopRef,
                      a: Dynamic,
                      b: Dynamic,
                      f: Dynamic|
                      -> Res<LoopRef> { push(&ctx, l, &[a, b], &f) },
            );
            engine.register_fn(
                name,
                move |ctx: NativeCallContext,
                      c: &mut Chain,
                      a: Dynamic,
                      b: Dynamic,
                      f: Dynamic|
                      -> Res<Chain> { chain(&ctx, c, &[a, b], &f) },
            );
        }
    }
}
