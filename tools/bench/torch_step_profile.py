#!/usr/bin/python3
"""Where the time of one guarded step's TorchScript call goes, on the CPU.

Loads the shipped GradGuard archive with Debian's torch and, on the churn LSTM's 11 gradient
shapes and on 1,000 x 1,000, times the one-call step ``global_norm_step_`` (check + clip + pack;
torch 1.13 has no CPU kernel for the AMP unscale, so no loss scale here) three ways, interleaved:

  * scripted: the module method, as DJL calls it (TorchScript interpreter + kernels);
  * eager: the same operators called one by one from Python (Python + dispatcher + kernels);
  * operators: how many ATen operator calls one call of the module method makes, counted by
    ``torch.autograd.profiler`` (its own times are not used: the profiler's per-operator cost
    is larger than the operators here).

A first row times the fixed cost of a call: ``scale_`` of an empty list, which runs no operator.
Medians of 201 calls after 50 warm-up, milliseconds (three rounds, median of the three). The Java side (JNI, argument lists, the
sub-manager) is timed by the Java benchmark's "clip guard alone" and "in GradientOps" rows.

Usage: /usr/bin/python3 tools/bench/torch_step_profile.py
"""

import math
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_clip_bench import lstm_shapes  # noqa: E402

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
ARCHIVE = os.path.join(
    ROOT, "engine-pytorch/src/main/resources/io/gradguard/pytorch/gradguard_ops.pt"
)


def eager_step(grads, multiplier, max_norm, p, loss_flag, out):
    """The operators global_norm_step_ runs on the CPU (check, no loss scale, every gradient
    non-empty float32), from Python."""
    flag = torch.zeros([], dtype=torch.float32)
    raw = torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads, p)), p)
    if bool(torch.isfinite(raw)):
        flag.zero_()
    else:
        maxima = torch._foreach_norm(grads, math.inf)
        torch.logical_not(torch.isfinite(torch.stack(maxima)).all(), out=flag)
    norm = raw * multiplier
    coef = torch.clamp(max_norm / (norm + 1e-6), max=1.0)
    factor = coef * multiplier
    if not bool(factor == 1.0):
        torch._foreach_mul_(grads, [factor] * len(grads))
    clipped = (coef < 1.0).to(torch.float32)
    return torch.stack([norm, coef, clipped, flag, loss_flag], out=out)


def median_ms(fn, repeats=201, warmup=50):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter_ns()
        fn()
        times.append(time.perf_counter_ns() - start)
    return statistics.median(times) / 1e6


def main():
    torch.set_num_threads(1)
    module = torch.jit.load(ARCHIVE)
    one = torch.ones([])
    zero = torch.zeros([])
    bound = torch.tensor(1e30)
    out = torch.empty([5])
    print("torch %s, 1 thread, load %s" % (torch.__version__, os.getloadavg()))
    print()
    print("| set | scripted ms | eager ms | ATen calls per step | scripted us per ATen call |")
    print("|---|---|---|---|---|")
    # The fixed cost of a call: scale_ of an empty list runs no operator.
    empty = statistics.median(median_ms(lambda: module.scale_([], one)) for _ in range(3))
    print("| empty call | %.4f | - | 0 | - |" % empty)
    for label, shapes in (("LSTM, 11 tensors", lstm_shapes()), ("1000 x 1000", [(1000,)] * 1000)):
        grads = [torch.randn(s) for s in shapes]

        def scripted():
            module.global_norm_step_(grads, True, False, one, False, True, one, bound, 2.0, zero, out)

        def eager():
            eager_step(grads, one, bound, 2.0, zero, out)

        scripted_ms = []
        eager_ms = []
        for _ in range(3):
            scripted_ms.append(median_ms(scripted))
            eager_ms.append(median_ms(eager))
        with torch.autograd.profiler.profile() as prof:
            for _ in range(20):
                scripted()
        calls = sum(e.count for e in prof.key_averages() if e.key.startswith("aten::")) / 20
        s = statistics.median(scripted_ms)
        print(
            "| %s | %.3f | %.3f | %.0f | %.1f |"
            % (label, s, statistics.median(eager_ms), calls, 1000 * s / calls)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
