#!/usr/bin/python3
"""What PyTorch's own eager code pays for the work of one guarded step, on the CPU.

For each parameter set (the churn LSTM's 11 shapes, and a transformer-shaped set: embedding
30,000 x 256 and 12 blocks of attention and MLP weights at width 256), with gradients in place,
times, interleaved and restored from a pristine copy before each trial (restore not timed):

  * clip: ``torch.nn.utils.clip_grad_norm_`` and one read of the norm (``.item()``), as an eager
    training step that logs its norm does;
  * clip + loss scaler: what ``torch.cuda.amp.GradScaler`` does around it on a CPU: multiply by
    1/S and look for NaN/inf (``_foreach_mul_`` and ``isfinite`` of the per-tensor max norms;
    torch 1.13 has no CPU kernel for the fused AMP unscale), ``clip_grad_norm_``, one read of
    ``[norm, found_inf]``, and the scale update on the host.

These are the PyTorch columns for the Java benchmark's "guard alone" rows (the guard's own cost
inside a DJL step). Medians and interquartile ranges of 101 trials after 20 warm-up, ms.

Usage: /usr/bin/python3 tools/bench/torch_guard_bench.py
"""

import math
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_clip_bench import lstm_shapes  # noqa: E402


def transformer_shapes(vocab=30000, width=256, blocks=12):
    """Embedding, then per block: q, k, v, out projections with biases, two layer norms, and an
    MLP of 4x width with biases; a final layer norm."""
    shapes = [(vocab, width)]
    for _ in range(blocks):
        for _ in range(4):
            shapes += [(width, width), (width,)]
        shapes += [(width,), (width,), (width,), (width,)]
        shapes += [(4 * width, width), (4 * width,), (width, 4 * width), (width,)]
    shapes += [(width,), (width,)]
    return shapes


def eager_clip(params, max_norm):
    norm = torch.nn.utils.clip_grad_norm_(params, max_norm)
    return norm.item()


class EagerScaler:
    """The host side of a dynamic loss scaler, as GradScaler's update."""

    def __init__(self):
        self.scale = 65536.0
        self.good = 0

    def step(self, params, max_norm):
        grads = [p.grad for p in params]
        inv = torch.tensor(1.0 / self.scale)
        torch._foreach_mul_(grads, [inv for _ in grads])
        maxima = torch._foreach_norm(grads, math.inf)
        found_inf = torch.logical_not(torch.isfinite(torch.stack(maxima)).all()).float()
        norm = torch.nn.utils.clip_grad_norm_(params, max_norm)
        values = torch.stack([norm, found_inf]).tolist()
        if values[1] > 0:
            self.scale /= 2
            self.good = 0
        else:
            self.good += 1
            if self.good == 2000:
                self.scale *= 2
                self.good = 0
        return values


def summary(ms):
    q = statistics.quantiles(ms, n=4)
    return "%.3f [%.3f-%.3f]" % (statistics.median(ms), q[0], q[2])


def main():
    torch.set_num_threads(1)
    torch.manual_seed(0)
    sets = [("LSTM", lstm_shapes()), ("transformer", transformer_shapes())]
    print("torch %s, 1 thread, load %s" % (torch.__version__, os.getloadavg()))
    print()
    print("| set | tensors | floats | clip ms | clip + loss scaler ms |")
    print("|---|---|---|---|---|")
    for label, shapes in sets:
        params = [torch.nn.Parameter(torch.empty(s)) for s in shapes]
        pristine = [torch.randn(s) for s in shapes]
        for p, g in zip(params, pristine):
            p.grad = g.clone()
        scaler = EagerScaler()
        kinds = {
            "clip": lambda: eager_clip(params, 1.0),
            "scaled": lambda: scaler.step(params, 1.0),
        }
        times = {k: [] for k in kinds}
        for trial in range(121):
            for k in (list(kinds) if trial % 2 == 0 else list(reversed(list(kinds)))):
                for p, g in zip(params, pristine):
                    p.grad.copy_(g)
                start = time.perf_counter_ns()
                kinds[k]()
                if trial >= 20:
                    times[k].append((time.perf_counter_ns() - start) / 1e6)
        floats = sum(torch.Size(s).numel() for s in shapes)
        print(
            "| %s | %d | %d | %s | %s |"
            % (label, len(shapes), floats, summary(times["clip"]), summary(times["scaled"]))
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
