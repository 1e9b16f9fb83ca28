#!/usr/bin/env python3
"""Self-check of the shipped GradGuard TorchScript module on a CUDA device.

Loads engine-pytorch's ``gradguard_ops.pt`` with the torch found on the machine and
  1. compares ``clip_by_global_norm_`` with ``torch.nn.utils.clip_grad_norm_`` (norm returned and
     gradients after clipping) for L2, L1 and inf norms, on three gradient lists of about one
     million float32 elements each: 20 x 50000, 100 x 10000 and 1000 x 1000;
  2. checks the other methods on small hand-made inputs (NaN and inf detection, unscaling,
     zeroing, the loss scale update), float16 included;
  3. times the clip against a device-to-device copy of the same bytes, and against
     ``clip_grad_norm_`` itself.

Without CUDA it prints a message and exits 0, unless ``--cpu`` asks for the correctness checks
on the CPU (the AMP kernels have no CPU version before torch 2.x; those checks are then skipped).
Exit status 1 means a correctness check failed.

Usage:
  python3 engine-pytorch/src/main/torchscript/gpu_check.py            # CUDA, or skip
  python3 engine-pytorch/src/main/torchscript/gpu_check.py --cpu      # correctness on the CPU, no timings
"""

import argparse
import math
import os
import statistics
import sys
from typing import Callable, List, Tuple

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ARCHIVE = os.path.join(
    HERE, "..", "resources", "io", "gradguard", "pytorch", "gradguard_ops.pt"
)
SHAPES = [(20, 50000), (100, 10000), (1000, 1000)]
NORMS = [2.0, 1.0, math.inf]


class Checker:
    """Counts failed checks and prints one line per check."""

    def __init__(self) -> None:
        self.failures = 0

    def check(self, name: str, ok: bool, detail: str = "") -> None:
        print(("ok    " if ok else "FAIL  ") + name + ("  " + detail if detail else ""))
        if not ok:
            self.failures += 1

    def skip(self, name: str, why: str) -> None:
        print("skip  " + name + "  " + why)


def random_grads(count: int, size: int, device: torch.device, seed: int) -> List[torch.Tensor]:
    gen = torch.Generator(device="cpu").manual_seed(seed)
    return [torch.randn(size, generator=gen).to(device) for _ in range(count)]


def reference_clip(grads: List[torch.Tensor], max_norm: float, p: float) -> Tuple[torch.Tensor, List[torch.Tensor]]:
    params = []
    for g in grads:
        param = torch.nn.Parameter(torch.empty_like(g))
        param.grad = g.clone()
        params.append(param)
    norm = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type=p)
    return norm, [param.grad for param in params]


def check_clip(module, device: torch.device, out: Checker) -> None:
    for count, size in SHAPES:
        for p in NORMS:
            grads = random_grads(count, size, device, seed=count)
            full = torch.linalg.vector_norm(torch.cat([g.flatten() for g in grads]).double(), p)
            for label, max_norm in (("clipped", 0.5 * float(full)), ("below bound", 2.0 * float(full))):
                ours = [g.clone() for g in grads]
                norm_out = torch.empty([], dtype=torch.float32, device=device)
                bound = torch.tensor(max_norm, dtype=torch.float32, device=device)
                norm = module.clip_by_global_norm_(ours, bound, p, norm_out)
                ref_norm, ref_grads = reference_clip(grads, max_norm, p)
                name = "clip %dx%d p=%s %s" % (count, size, p, label)
                norm_ok = math.isclose(float(norm), float(ref_norm), rel_tol=1e-5)
                worst = max(
                    float(((a - b).abs() / b.abs().clamp_min(1e-12)).max())
                    for a, b in zip(ours, ref_grads)
                )
                grads_ok = worst <= 1e-5
                if label == "below bound":
                    grads_ok = grads_ok and all(torch.equal(a, b) for a, b in zip(ours, grads))
                wrote_out = norm.data_ptr() == norm_out.data_ptr()
                out.check(
                    name,
                    norm_ok and grads_ok and wrote_out,
                    "norm %.6g vs %.6g, worst relative gradient error %.2e"
                    % (float(norm), float(ref_norm), worst),
                )


def check_small(module, device: torch.device, out: Checker) -> None:
    def t(*values: float, dtype=torch.float32) -> torch.Tensor:
        return torch.tensor(values, dtype=dtype, device=device)

    def scalar_out() -> torch.Tensor:
        return torch.empty([], dtype=torch.float32, device=device)

    for dtype in (torch.float32, torch.float16):
        grads = [t(3.0, 4.0, dtype=dtype), t(12.0, dtype=dtype)]
        per = torch.empty(2, dtype=torch.float32, device=device)
        module.per_tensor_norms(grads, 2.0, per)
        out.check("per_tensor_norms %s" % dtype, per.tolist() == [5.0, 12.0], str(per.tolist()))
        for p, expected in ((2.0, 13.0), (1.0, 19.0), (math.inf, 12.0)):
            total = module.total_norm(grads, p, scalar_out())
            out.check("total_norm p=%s %s" % (p, dtype), float(total) == expected, str(float(total)))
        for label, bad in (("nan", float("nan")), ("inf", math.inf), ("-inf", -math.inf)):
            flag = module.non_finite_flag([t(1.0, dtype=dtype), t(2.0, bad, dtype=dtype)], scalar_out())
            out.check("non_finite_flag %s %s" % (label, dtype), float(flag) == 1.0)
        flag = module.non_finite_flag([t(65504.0, -65504.0, dtype=dtype)], scalar_out())
        out.check("non_finite_flag large finite %s" % dtype, float(flag) == 0.0)
        zeroed = [t(float("nan"), math.inf, -1.0, dtype=dtype)]
        module.zero_(zeroed)
        out.check("zero_ %s" % dtype, zeroed[0].float().tolist() == [0.0, 0.0, 0.0])
        scaled = [t(3.0, 4.0, dtype=dtype)]
        module.scale_(scaled, torch.tensor(0.25, device=device))
        out.check("scale_ %s" % dtype, scaled[0].float().tolist() == [0.75, 1.0])

    try:
        grads = [t(2.0, 4.0), t(6.0, dtype=torch.float16)]
        found = torch.zeros([], dtype=torch.float32, device=device)
        module.unscale_and_check_(grads, found, torch.tensor(0.5, device=device))
        out.check(
            "unscale_and_check_ clean",
            float(found) == 0.0 and grads[0].tolist() == [1.0, 2.0] and grads[1].tolist() == [3.0],
        )
        found = torch.zeros([], dtype=torch.float32, device=device)
        module.unscale_and_check_([t(2.0, math.inf)], found, torch.tensor(0.5, device=device))
        out.check("unscale_and_check_ inf", float(found) == 1.0)
    except RuntimeError as e:
        if device.type != "cpu":
            raise
        lines = [line for line in str(e).splitlines() if "Could not run" in line]
        reason = (lines or str(e).splitlines())[0].strip()
        out.skip(
            "unscale_and_check_",
            "no CPU kernel in torch %s: %s" % (torch.__version__, reason[:120]),
        )


def median_ms(fn: Callable[[], None], repeats: int = 50, warmup: int = 10) -> float:
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(repeats):
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    return statistics.median(times)


def time_clip(module, device: torch.device) -> None:
    print()
    print("%-12s %5s %10s %10s %10s %12s %14s" % ("grads", "p", "MB", "copy ms", "clip ms", "clip/copy", "clip_grad_norm_ ms"))
    for count, size in SHAPES:
        grads = random_grads(count, size, device, seed=count)
        numel = count * size
        src = torch.randn(numel, device=device)
        dst = torch.empty_like(src)
        copy_ms = median_ms(lambda: dst.copy_(src))
        params = []
        for g in grads:
            param = torch.nn.Parameter(torch.empty_like(g))
            param.grad = g.clone()
            params.append(param)
        for p in NORMS:
            # A bound far above the norm: the gradients keep their values from call to call.
            bound = torch.tensor(1e30, device=device)
            norm_out = torch.empty([], dtype=torch.float32, device=device)
            clip_ms = median_ms(lambda: module.clip_by_global_norm_(grads, bound, p, norm_out))
            ref_ms = median_ms(lambda: torch.nn.utils.clip_grad_norm_(params, 1e30, norm_type=p))
            print(
                "%-12s %5s %10.1f %10.3f %10.3f %12.2f %14.3f"
                % ("%dx%d" % (count, size), p, numel * 4 / 1e6, copy_ms, clip_ms, clip_ms / copy_ms, ref_ms)
            )
    print("(copy reads and writes the bytes once; the clip reads them for the norm, then reads")
    print(" and writes them to scale, so about 1.5x the copy is the bandwidth bound)")


def main() -> int:
    parser = argparse.ArgumentParser(description="Self-check of the GradGuard TorchScript module.")
    parser.add_argument("--cpu", action="store_true", help="run the correctness checks on the CPU")
    parser.add_argument("--archive", default=ARCHIVE, help="the .pt file to load")
    args = parser.parse_args()

    if args.cpu:
        device = torch.device("cpu")
    elif torch.cuda.is_available():
        device = torch.device("cuda")
    else:
        print("CUDA is not available (torch %s): nothing to check; --cpu runs the checks on the CPU" % torch.__version__)
        return 0

    module = torch.jit.load(args.archive, map_location=device)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    print("torch %s on %s, archive %s" % (torch.__version__, name, os.path.relpath(args.archive)))
    out = Checker()
    check_small(module, device, out)
    check_clip(module, device, out)
    if device.type == "cuda":
        time_clip(module, device)
    print()
    print("%d check(s) failed" % out.failures if out.failures else "all checks passed")
    return 1 if out.failures else 0


if __name__ == "__main__":
    sys.exit(main())
