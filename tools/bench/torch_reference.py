#!/usr/bin/python3
"""PyTorch's side of the Java benchmark's side-by-side table, one gradient set per process.

ClipBenchmark (examples/.../bench) launches this script between its own rounds of the same
measurement, so that GradGuard and PyTorch are timed in the same minutes of a shared machine,
and reads the lines it prints:

  torch-reference version <torch version> threads <n>
  torch-reference set <tensors> <floats>
  torch-reference samples <variant> <ms> <ms> ...

--work clip times, on the gradients of --set (restored from a pristine copy before each trial,
not timed; each trial ends with a read of one element of the last gradient), the variants of
torch_clip_bench.py: clip_grad_norm_, foreach (torch._foreach_* from Python) and floor (one
contiguous tensor of the same floats). --work guard times what PyTorch's eager code pays for the
work of one guarded step, as torch_guard_bench.py: clip (clip_grad_norm_ and one read of the norm)
and scaled (unscale, finiteness check from the per-tensor max norms, clip_grad_norm_, one read,
the host-side scale update); and scaled_lean, the same with the check from the 2-norms.

Usage: /usr/bin/python3 tools/bench/torch_reference.py --set lstm --work clip --trials 14
"""

import argparse
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_clip_bench as clip_bench  # noqa: E402
import torch_guard_bench as guard_bench  # noqa: E402


def shapes_of(spec):
    """The shapes of a set written as the Java benchmark writes it: lstm, transformer, COUNTxSIZE."""
    spec = spec.strip().lower()
    if spec == "lstm":
        return clip_bench.lstm_shapes()
    if spec == "transformer":
        return guard_bench.transformer_shapes()
    count, size = spec.split("x")
    return [(int(size),)] * int(count)


def clip_work(shapes, generator, warmup, trials):
    params, pristine = clip_bench.params_with_grads(shapes, generator)
    flat_src = torch.cat([g.reshape(-1) for g in pristine])
    flat = torch.zeros(flat_src.shape, requires_grad=True)
    flat.grad = flat_src.clone()
    max_norm = torch.linalg.vector_norm(flat_src).item() / 2

    def restore():
        with torch.no_grad():
            for p, src in zip(params, pristine):
                p.grad.copy_(src)
            flat.grad.copy_(flat_src)

    def run(fn, targets):
        def call():
            with torch.no_grad():
                fn(targets, max_norm)
                targets[-1].grad.view(-1)[0].item()

        return call

    kinds = {
        "clip_grad_norm_": run(clip_bench.clip_grad_norm, params),
        "foreach": run(clip_bench.foreach, params),
        "floor": run(clip_bench.floor, [flat]),
    }
    return interleave(kinds, warmup, trials, restore)


def guard_work(shapes, generator, warmup, trials):
    params = [torch.nn.Parameter(torch.empty(s)) for s in shapes]
    pristine = [torch.randn(s, generator=generator) for s in shapes]
    for p, g in zip(params, pristine):
        p.grad = g.clone()
    scaler = guard_bench.EagerScaler()

    def restore():
        with torch.no_grad():
            for p, g in zip(params, pristine):
                p.grad.copy_(g)

    lean = LeanScaler()
    kinds = {
        "clip": lambda: guard_bench.eager_clip(params, 1.0),
        "scaled": lambda: scaler.step(params, 1.0),
        "scaled_lean": lambda: lean.step(params, 1.0),
    }
    return interleave(kinds, warmup, trials, restore)


class LeanScaler(guard_bench.EagerScaler):
    """As EagerScaler, with the cheapest NaN/inf check torch 1.13 offers on the CPU: the
    per-tensor 2-norms (a norm is non-finite when an element is), instead of the max norms, whose
    CPU kernel in 1.13 is several times slower than the 2-norm's."""

    def step(self, params, max_norm):
        grads = [p.grad for p in params]
        inv = torch.tensor(1.0 / self.scale)
        torch._foreach_mul_(grads, [inv for _ in grads])
        norms = torch._foreach_norm(grads)
        found_inf = torch.logical_not(torch.isfinite(torch.stack(norms)).all()).float()
        norm = torch.nn.utils.clip_grad_norm_(params, max_norm)
        values = torch.stack([norm, found_inf]).tolist()
        self.update(values[1] > 0)
        return values

    def update(self, found_inf):
        if found_inf:
            self.scale /= 2
            self.good = 0
        else:
            self.good += 1
            if self.good == 2000:
                self.scale *= 2
                self.good = 0


def interleave(kinds, warmup, trials, restore):
    """Times every kind once per round, starting one kind later each round."""
    names = list(kinds)
    samples = {k: [] for k in names}
    for i in range(warmup + trials):
        for j in range(len(names)):
            name = names[(i + j) % len(names)]
            restore()
            start = time.perf_counter_ns()
            kinds[name]()
            elapsed = time.perf_counter_ns() - start
            if i >= warmup:
                samples[name].append(elapsed / 1e6)
    return samples


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--set", required=True, help="lstm, transformer or COUNTxSIZE")
    parser.add_argument("--work", required=True, choices=("clip", "guard"))
    parser.add_argument("--trials", type=int, default=14, help="timed trials (default 14)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed trials first (default 5)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    args = parser.parse_args()
    if args.trials < 1 or args.warmup < 0 or args.threads < 1:
        parser.error("--trials and --threads must be >= 1, --warmup >= 0")
    torch.set_num_threads(args.threads)
    shapes = shapes_of(args.set)
    generator = torch.Generator().manual_seed(7)
    work = clip_work if args.work == "clip" else guard_work
    samples = work(shapes, generator, args.warmup, args.trials)
    floats = sum(torch.Size(s).numel() for s in shapes)
    print("torch-reference version %s threads %d" % (torch.__version__, torch.get_num_threads()))
    print("torch-reference set %d %d" % (len(shapes), floats))
    for name, ms in samples.items():
        print("torch-reference samples %s %s" % (name, " ".join("%.6f" % v for v in ms)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
