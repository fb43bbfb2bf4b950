"""Exports a real RAVE v2 model for streaming, the way a musician's trained
model reaches loam, but with random (untrained) weights, so the benches can
time the real network without training data or a download.

    python tests/models/export_rave_v2.py OUT_DIR

Needs acids-rave 2.3.1 in the torch venv (`tools/setup --test` installs it).
Writes OUT_DIR/rave_v2_streaming.ts and prints its methods and ratios.

How, using acids-rave's own code only:
  1. parses the package's `v2.gin`, as `rave train --config v2` does (with
     RAVE.n_channels = 1, what `rave train` binds for a mono dataset);
  2. builds `rave.RAVE()` after torch.manual_seed(0): random weights;
  3. writes a run folder, config.gin (gin's operative config, as `rave train`
     writes it) and a checkpoint holding the model's state_dict;
  4. runs acids-rave's exporter on it, `scripts/export.py` (what
     `rave export --run RUN --streaming` runs), with torch seeded first so
     the cached-convolution state the exporter's warm-up leaves in the file
     is the same every run.

One value is set by hand: the `fidelity` buffer (the cumulative explained
variance of the latent PCA, which training's validation computes). The
exporter keeps as many latent dimensions as reach 95% fidelity, rounded up to
a power of two; an untrained model's fidelity is all zeros, which would keep
one. LATENT_DIMS below gives it a curve that keeps 16, a usual count for a
trained v2 and the size tests/models/export_nn_tilde.py's stand-in decoder
has. The decoder's cost hardly depends on it (it pads the latent with noise
to 128 dimensions either way).

Offline and deterministic (the file's weights, buffers and code are the same
every run; only torch's random serialization_id and the source paths in the
debug tables differ). On a 2-core machine it takes 30 to 40 s: about 6 s for
the run folder, 16 to 28 s for the exporter (its imports, the warm-up pass,
scripting), the rest importing acids-rave. The file is 149 MB (31.5 M
parameters: encoder 16.1 M, decoder 15.5 M).
"""

import logging
import os
import subprocess
import sys
import tempfile
import time
import warnings

import torch

# acids-rave's imports warn about deprecated APIs (pkg_resources, weight_norm)
# and gin logs an ERROR for every folder of its search path a config is not
# in; none of it is a problem.
warnings.simplefilter("ignore")

LATENT_DIMS = 16
NAME = "rave_v2"


def write_run(run: str) -> str:
    """A run folder like `rave train` leaves: config.gin and a checkpoint."""
    import gin
    import rave  # adds the package's configs folder to gin's search path

    gin.bind_parameter("RAVE.n_channels", 1)
    logging.disable(logging.CRITICAL)
    gin.parse_config_files_and_bindings(["v2.gin"], [])
    logging.disable(logging.NOTSET)
    torch.manual_seed(0)
    model = rave.RAVE()
    full = model.latent_size
    # Cumulative explained variance: the first LATENT_DIMS - 1 dimensions hold
    # up to 96%, so the exporter's argmax(fidelity > .95) = LATENT_DIMS - 1,
    # rounded up to a power of two = LATENT_DIMS.
    k = LATENT_DIMS - 1
    curve = [0.96 * (i + 1) / k if i < k else 0.96 + 0.04 * (i - k + 1) / (full - k) for i in range(full)]
    model.fidelity.copy_(torch.tensor(curve))
    with open(os.path.join(run, "config.gin"), "w") as f:
        f.write(gin.operative_config_str())
    ckpt = os.path.join(run, f"{NAME}.ckpt")
    torch.save({"state_dict": model.state_dict()}, ckpt)
    return ckpt


def export(ckpt: str, out: str) -> str:
    """acids-rave's scripts/export.py, run as `rave export` runs it, in a
    fresh interpreter (it parses the run's config.gin into a clean gin)."""
    boot = (
        "import runpy, sys, torch; torch.manual_seed(0); "
        "sys.argv = ['export'] + sys.argv[1:]; "
        "runpy.run_module('scripts.export', run_name='__main__')"
    )
    cmd = [sys.executable, "-c", boot, "--run", ckpt, "--streaming", "--name", NAME, "--output", out]
    # A fixed hash seed keeps the scripted code's constants in one order.
    env = dict(os.environ, PYTHONWARNINGS="ignore", PYTHONHASHSEED="0")
    r = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if r.returncode != 0:
        sys.stderr.write(r.stdout + r.stderr)
        raise SystemExit(f"rave export failed ({r.returncode})")
    path = os.path.join(out, f"{NAME}_streaming.ts")
    if not os.path.isfile(path):
        sys.stderr.write(r.stdout + r.stderr)
        raise SystemExit(f"rave export wrote no {path}")
    return path


def describe(path: str) -> None:
    m = torch.jit.load(path)
    print(f"{os.path.basename(path)}: sample rate {m.get_sample_rate()}, "
          f"full latent size {m.full_latent_size}, exported latent size {m.latent_size}")
    for name in m.get_methods():
        p = getattr(m, f"{name}_params").tolist()
        print(f"  {name}: in_ch {p[0]} in_ratio {p[1]} out_ch {p[2]} out_ratio {p[3]}")
    print(f"  attributes: {m.get_attributes()}")


def main(out: str) -> None:
    os.makedirs(out, exist_ok=True)
    out = os.path.abspath(out)
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory() as run:
        ckpt = write_run(run)
        t1 = time.monotonic()
        path = export(ckpt, out)
    t2 = time.monotonic()
    print(f"wrote {path} (run folder {t1 - t0:.1f} s, export {t2 - t1:.1f} s)")
    describe(path)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "target/test-models")
