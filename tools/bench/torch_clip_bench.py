#!/usr/bin/python3
"""PyTorch's own global-norm clipping on the CPU, timed on the gradient sets of ClipBenchmark.

The Java benchmark (examples/.../bench/ClipBenchmark) times GradGuard's clipping under DJL; this
script times what PyTorch users run on the same shapes, with the same trial structure, so that
the two tables can be read side by side:

  clip_grad_norm_  torch.nn.utils.clip_grad_norm_ (foreach=True where this torch has the option;
                   torch 1.13 has not, so its per-tensor loop runs)
  foreach          torch._foreach_norm, one stack + vector_norm, torch._foreach_mul_ with the
                   coefficient tensor: what GradGuard's TorchScript module does
  naive            one .item() per tensor norm, the total on the host, mul_ by a Python float
  floor            vector_norm and an in-place mul_ of ONE contiguous tensor of the same size

Each trial restores the gradients from a pristine copy (not timed), then times the clip and the
read of one element of the last gradient. Median and interquartile range in milliseconds.

Usage (Debian's torch, not the pyenv python3 on PATH):
  /usr/bin/python3 tools/bench/torch_clip_bench.py [--threads 1] [--trials 21] [--warmup 5]
"""

import argparse
import inspect
import os
import platform
import statistics
import time

import torch

EPS = 1e-6


def lstm_shapes():
    """The churn LSTM's parameter shapes: embedding 64x32, LSTM 2 layers of 64, dense 64->1."""
    model = torch.nn.ModuleList(
        [
            torch.nn.Embedding(64, 32),
            torch.nn.LSTM(32, 64, num_layers=2, batch_first=True),
            torch.nn.Linear(64, 1),
        ]
    )
    return [tuple(p.shape) for p in model.parameters()]


def gradient_sets():
    """The sets of ClipBenchmark's default run, as (label, shapes)."""
    sets = [
        ("20 x 50000", [(50000,)] * 20),
        ("100 x 10000", [(10000,)] * 100),
        ("1000 x 1000", [(1000,)] * 1000),
    ]
    shapes = lstm_shapes()
    total = sum(torch.Size(s).numel() for s in shapes)
    sets.append(("LSTM (%d tensors, %d)" % (len(shapes), total), shapes))
    return sets


def clip_grad_norm(params, max_norm):
    kwargs = {}
    if "foreach" in inspect.signature(torch.nn.utils.clip_grad_norm_).parameters:
        kwargs["foreach"] = True
    torch.nn.utils.clip_grad_norm_(params, max_norm, **kwargs)


def foreach(params, max_norm):
    grads = [p.grad for p in params]
    total = torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads)))
    coef = torch.clamp(max_norm / (total + EPS), max=1.0)
    torch._foreach_mul_(grads, [coef for _ in grads])


def naive(params, max_norm):
    total = sum(p.grad.norm().item() ** 2 for p in params) ** 0.5
    coef = max_norm / (total + EPS)
    if coef < 1:
        for p in params:
            p.grad.mul_(coef)


def floor(params, max_norm):
    flat = params[0].grad
    coef = torch.clamp(max_norm / (torch.linalg.vector_norm(flat) + EPS), max=1.0)
    flat.mul_(coef)


def time_variant(fn, params, pristine, max_norm, warmup, trials):
    """Returns (median, q1, q3) in milliseconds."""
    samples = []
    for i in range(warmup + trials):
        with torch.no_grad():
            for p, src in zip(params, pristine):
                p.grad.copy_(src)
        start = time.perf_counter()
        with torch.no_grad():
            fn(params, max_norm)
            params[-1].grad.view(-1)[0].item()
        elapsed = time.perf_counter() - start
        if i >= warmup:
            samples.append(elapsed * 1e3)
    q = statistics.quantiles(samples, n=4, method="inclusive")
    return statistics.median(samples), q[0], q[2]


def params_with_grads(shapes, generator):
    params, pristine = [], []
    for shape in shapes:
        p = torch.zeros(shape, requires_grad=True)
        g = torch.randn(shape, generator=generator)
        p.grad = g.clone()
        params.append(p)
        pristine.append(g)
    return params, pristine


def fmt(ms):
    if ms >= 100:
        return "%.0f" % ms
    if ms >= 10:
        return "%.1f" % ms
    if ms >= 1:
        return "%.2f" % ms
    return "%.3f" % ms


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (default 1)")
    parser.add_argument("--trials", type=int, default=21, help="timed trials (default 21)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed trials first (default 5)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    generator = torch.Generator().manual_seed(7)
    load_before = " ".join("%.2f" % v for v in os.getloadavg())
    rows = []
    for label, shapes in gradient_sets():
        params, pristine = params_with_grads(shapes, generator)
        flat_src = torch.cat([g.reshape(-1) for g in pristine])
        flat = torch.zeros(flat_src.shape, requires_grad=True)
        flat.grad = flat_src.clone()
        max_norm = torch.linalg.vector_norm(flat_src).item() / 2
        results = {}
        for name, fn in (("clip_grad_norm_", clip_grad_norm), ("foreach", foreach), ("naive", naive)):
            results[name] = time_variant(fn, params, pristine, max_norm, args.warmup, args.trials)
        results["floor"] = time_variant(
            floor, [flat], [flat_src], max_norm, args.warmup, args.trials
        )
        for name in ("naive", "clip_grad_norm_", "foreach", "floor"):
            m, q1, q3 = results[name]
            rows.append(("%s: %s" % (label, name), "%s [%s-%s]" % (fmt(m), fmt(q1), fmt(q3))))
        base = results["floor"][0]
        rows.append(("%s: clip_grad_norm_ / floor" % label, "%.2f" % (results["clip_grad_norm_"][0] / base)))
        rows.append(("%s: foreach / floor" % label, "%.2f" % (results["foreach"][0] / base)))
        rows.append(("%s: naive / clip_grad_norm_" % label, "%.2f" % (results["naive"][0] / results["clip_grad_norm_"][0])))
    load_after = " ".join("%.2f" % v for v in os.getloadavg())
    print()
    print("## PyTorch %s clip_grad_norm_ on the CPU" % torch.__version__)
    print()
    print(
        "%d CPUs (%s), load average %s before and %s after, torch threads %d, %d trials after %d warm-up"
        % (os.cpu_count(), cpu_model(), load_before, load_after, torch.get_num_threads(), args.trials, args.warmup)
    )
    print()
    header = "measurement (ms: median [IQR]; ratios of medians)"
    width = max(len(header), max(len(r[0]) for r in rows))
    cell = max(len("PyTorch %s" % torch.__version__), max(len(r[1]) for r in rows))
    print("| %s | %s |" % (header.ljust(width), ("PyTorch %s" % torch.__version__).ljust(cell)))
    print("| %s | %s |" % ("-" * width, "-" * cell))
    for name, value in rows:
        print("| %s | %s |" % (name.ljust(width), value.ljust(cell)))


if __name__ == "__main__":
    main()
