"""Times the same model calls loam's torchscript bench makes, from Python
torch, one thread, on the same buffer sizes (the other half of the
side-by-side in benches/torchscript.rs).

    python tests/models/time_calls.py MODEL_DIR CALLS

Prints one line per case: `name median_us` (wall clock), then
`name_cpu median_us` (the process's CPU time, `time.process_time`, the
measure loam's bench sets beside its stream's).
"""

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


def median_cpu_us(fn, calls: int) -> float:
    for _ in range(5):
        fn()
    times = []
    for _ in range(calls):
        t = time.process_time()
        fn()
        times.append(time.process_time() - t)
    return statistics.median(times) * 1e6


def main(d: str, calls: int) -> None:
    full = torch.jit.load(f"{d}/full.ts")
    rave = torch.jit.load(f"{d}/rave_decoder.ts")
    x = torch.sin(torch.arange(4096, dtype=torch.float32) * 0.01).reshape(1, 1, 4096)
    z = torch.randn(1, 16, 2)
    z1 = torch.randn(1, 16, 1)
    x256 = x[:, :, :256].contiguous()
    for mode, ctx in (("no_grad", torch.no_grad), ("inference_mode", torch.inference_mode)):
        with ctx():
            print(f"full_forward_4096_{mode} {median_us(lambda: full.forward(x), calls):.2f}")
            print(f"rave_decode_4096_{mode} {median_us(lambda: rave.decode(z), calls):.2f}")
            print(f"rave_decode_2048_{mode} {median_us(lambda: rave.decode(z1), calls):.2f}")
            print(f"full_forward_256_{mode} {median_us(lambda: full.forward(x256), calls):.2f}")
            print(f"rave_decode_4096_{mode}_cpu {median_cpu_us(lambda: rave.decode(z), calls):.2f}")
            print(f"rave_decode_2048_{mode}_cpu {median_cpu_us(lambda: rave.decode(z1), calls):.2f}")
            print(f"full_forward_256_{mode}_cpu {median_cpu_us(lambda: full.forward(x256), calls):.2f}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 200)
