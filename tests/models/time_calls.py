"""Times the same model calls loam's torchscript bench makes, from Python
torch, one thread, on the same buffer sizes (the other half of the
side-by-side in benches/torchscript.rs).

    python tests/models/time_calls.py MODEL_DIR CALLS

Prints one line per case: `name median_us` (wall clock).

    python tests/models/time_calls.py MODEL_DIR --serve

Answers requests, one per line on standard input, `CASE MODE CALLS
[PERIOD_US]` (CASE as above without the mode, MODE `no_grad` or
`inference_mode`), with one line `wall_median_us cpu_us_per_call` (CPU
time is the process's, `time.process_time`, over the calls, divided by
them: the measure loam's bench sets beside its stream's); an empty line
or end of input ends it. With PERIOD_US the calls are paced as a live
host paces them: one call every PERIOD_US microseconds (a buffer's
duration), sleeping in between, as nn~'s compute thread waits for its
next buffer; without it they run back to back. The bench alternates these rounds with its own, so both
sides are measured under the same machine load (a 2-core VM's speed
drifts by tens of percent from minute to minute).
"""

import os
import statistics
import sys
import time

import torch

torch.set_num_threads(1)


def median_us(fn, calls: int) -> float:
    for _ in range(5):  # warm-up: the profiling executor's first calls
        fn()
    times = []
    for _ in range(calls):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1e6


def cpu_us_per_call(fn, calls: int) -> float:
    """The process's CPU time over `calls` calls (after 5 warm-up calls),
    divided by `calls`: as loam's bench measures its side."""
    for _ in range(5):
        fn()
    t = time.process_time()
    for _ in range(calls):
        fn()
    return (time.process_time() - t) / calls * 1e6


def paced_us(fn, calls: int, period_us: float) -> tuple:
    """Calls `fn` once every `period_us` (sleeping until each call is
    due), after 5 warm-up calls paced alike; returns the median wall time
    of a call and the process's CPU time over the calls, per call, in us."""
    period = period_us / 1e6
    due = time.perf_counter()

    def wait():
        nonlocal due
        due += period
        rest = due - time.perf_counter()
        if rest > 0:
            time.sleep(rest)

    for _ in range(5):
        wait()
        fn()
    times = []
    t = time.process_time()
    for _ in range(calls):
        wait()
        s = time.perf_counter()
        fn()
        times.append(time.perf_counter() - s)
    cpu = (time.process_time() - t) / calls * 1e6
    return statistics.median(times) * 1e6, cpu


def cases(d: str) -> dict:
    """The calls timed, by name: the same model, method and buffer as the
    bench's loam side."""
    full = torch.jit.load(f"{d}/full.ts")
    rave = torch.jit.load(f"{d}/rave_decoder.ts")
    x = torch.sin(torch.arange(4096, dtype=torch.float32) * 0.01).reshape(1, 1, 4096)
    z = torch.randn(1, 16, 2)
    z1 = torch.randn(1, 16, 1)
    x256 = x[:, :, :256].contiguous()
    calls = {
        "full_forward_4096": lambda: full.forward(x),
        "full_forward_256": lambda: full.forward(x256),
        "rave_decode_4096": lambda: rave.decode(z),
        "rave_decode_2048": lambda: rave.decode(z1),
    }
    # The real RAVE v2 streaming export (tests/models/export_rave_v2.py),
    # where the bench made one: 16 latents, ratio 2048, at 44.1 kHz.
    if os.path.isfile(f"{d}/rave_v2_streaming.ts"):
        v2 = torch.jit.load(f"{d}/rave_v2_streaming.ts")
        x2048 = x[:, :, :2048].contiguous()
        calls["rave_v2_decode_2048"] = lambda: v2.decode(z1)
        calls["rave_v2_forward_2048"] = lambda: v2.forward(x2048)
    return calls


def serve(d: str) -> None:
    calls_of = cases(d)
    modes = {"no_grad": torch.no_grad, "inference_mode": torch.inference_mode}
    for line in sys.stdin:
        if not line.strip():
            break
        name, mode, calls, *period = line.split()
        fn = calls_of[name]
        with modes[mode]():
            if period:
                wall, cpu = paced_us(fn, int(calls), float(period[0]))
            else:
                wall = median_us(fn, int(calls))
                cpu = cpu_us_per_call(fn, int(calls))
        print(f"{wall:.2f} {cpu:.2f}", flush=True)


def main(d: str, calls: int) -> None:
    c = cases(d)
    for mode, ctx in (("no_grad", torch.no_grad), ("inference_mode", torch.inference_mode)):
        with ctx():
            for name, fn in c.items():
                print(f"{name}_{mode} {median_us(fn, calls):.2f}")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[2] == "--serve":
        serve(sys.argv[1])
    else:
        main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 200)
