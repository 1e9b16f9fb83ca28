#!/usr/bin/env python3
"""Self-check of the shipped GradGuard TorchScript module on a CUDA device.

Loads engine-pytorch's ``gradguard_ops.pt`` with the torch found on the machine and
  1. compares ``clip_by_global_norm_`` with ``torch.nn.utils.clip_grad_norm_`` (norm returned and
     gradients after clipping) for L2, L1 and inf norms, on three gradient lists of about one
     million float32 elements each: 20 x 50000, 100 x 10000 and 1000 x 1000;
  2. checks the other methods on small hand-made inputs (NaN and inf detection, unscaling,
     zeroing, the loss scale update), float16 included;
  3. compares the one-call guarded step ``global_norm_step_`` with the same step composed of the
     module's other methods (unscale_and_check_, non_finite_flag, total_norm, scale_), bit for bit;
  4. times the clip against a device-to-device copy of the same bytes, and against
     ``clip_grad_norm_`` itself; and times ``global_norm_step_`` (clip alone, and unscale + check
     + clip) against the same copy (target: at most 1.5x the copy for the clip alone).

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


def float32_only(grads) -> bool:
    """What the Java caller passes: whether every gradient is non-empty float32."""
    return all(g.dtype == torch.float32 and g.numel() > 0 for g in grads)


def check_clip(module, device: torch.device, out: Checker) -> None:
    for count, size in SHAPES:
        for p in NORMS:
            grads = random_grads(count, size, device, seed=count)
            full = torch.linalg.vector_norm(torch.cat([g.flatten() for g in grads]).double(), p)
            for label, max_norm in (("clipped", 0.5 * float(full)), ("below bound", 2.0 * float(full))):
                ours = [g.clone() for g in grads]
                norm_out = torch.empty([], dtype=torch.float32, device=device)
                bound = torch.tensor(max_norm, dtype=torch.float32, device=device)
                norm = module.clip_by_global_norm_(ours, bound, p, float32_only(ours), norm_out)
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


def composed_step(module, grads, inv_scale, recheck, check, multiplier, max_norm, p, loss_flag):
    """The guarded step made of the module's other methods, as GlobalNormStep.composeWith."""
    flag = torch.zeros([], dtype=torch.float32, device=grads[0].device)
    if inv_scale is not None:
        module.unscale_and_check_(grads, flag, inv_scale)
        if recheck:
            again = torch.empty([], dtype=torch.float32, device=grads[0].device)
            flag = torch.maximum(flag, module.non_finite_flag(grads, float32_only(grads), again))
    elif check:
        module.non_finite_flag(grads, float32_only(grads), flag)
    raw = module.total_norm(grads, p, float32_only(grads), torch.empty([], dtype=torch.float32, device=grads[0].device))
    norm = raw * multiplier
    coef = torch.minimum(max_norm / (norm + torch.tensor(1e-6, device=norm.device)), torch.ones_like(norm))
    module.scale_(grads, coef * multiplier)
    return torch.stack([norm, coef, (coef < 1).float(), flag, loss_flag.float()])


def check_step(module, device: torch.device, out: Checker) -> None:
    """global_norm_step_ against its composition, bit for bit, over loss scale and multiplier."""
    grads = random_grads(100, 10000, device, seed=7)
    one = torch.ones([], dtype=torch.float32, device=device)
    for inv in (None, 0.5, 4.0):
        if inv is not None and device.type == "cpu":
            out.skip("global_norm_step_ 1/S=%s" % inv, "the AMP unscale kernel is CUDA-only here")
            continue
        for mult in (1.0, 0.25):
            for bound in (0.5, 1e6):
                fused = [g.clone() for g in grads]
                composed = [g.clone() for g in grads]
                inv_t = one if inv is None else torch.tensor(inv, device=device)
                mult_t = torch.tensor(mult, device=device)
                bound_t = torch.tensor(bound, device=device)
                packed = torch.empty([5], dtype=torch.float32, device=device)
                module.global_norm_step_(
                    fused, True, inv is not None, inv_t, inv is not None and inv > 1, True,
                    mult_t, bound_t, 2.0, one * 0, packed)
                expected = composed_step(
                    module, composed, None if inv is None else inv_t, inv is not None and inv > 1,
                    True, mult_t, bound_t, 2.0, one * 0)
                same = torch.equal(packed, expected) and all(
                    torch.equal(a, b) for a, b in zip(fused, composed))
                out.check(
                    "global_norm_step_ 1/S=%s multiplier=%s maxNorm=%s" % (inv, mult, bound),
                    same,
                    "packed %s vs %s" % (packed.tolist(), expected.tolist()))


def time_step(module, device: torch.device) -> None:
    """Times the one-call guarded step against a device-to-device copy of the same bytes."""
    print()
    print("%-12s %-16s %10s %10s %10s %10s" % ("grads", "step", "copy ms", "step ms", "step/copy", "target"))
    one = torch.ones([], dtype=torch.float32, device=device)
    for count, size in SHAPES:
        grads = random_grads(count, size, device, seed=count)
        src = torch.randn(count * size, device=device)
        dst = torch.empty_like(src)
        copy_ms = median_ms(lambda: dst.copy_(src))
        bound = torch.tensor(1e30, device=device)
        packed = torch.empty([5], dtype=torch.float32, device=device)
        for label, unscale in (("clip", False), ("unscale+clip", True)):
            step_ms = median_ms(lambda: module.global_norm_step_(
                grads, True, unscale, one, False, True, one, bound, 2.0, one * 0, packed))
            target = "<= 1.5" if not unscale else "(2.5 bound)"
            print("%-12s %-16s %10.3f %10.3f %10.2f %10s" % (
                "%dx%d" % (count, size), label, copy_ms, step_ms, step_ms / copy_ms, target))
    print("(the clip reads the bytes for the norm, then reads and writes them to scale: 1.5x the")
    print(" copy's traffic; unscaling adds one more read and write: 2.5x)")


def check_small(module, device: torch.device, out: Checker) -> None:
    def t(*values: float, dtype=torch.float32) -> torch.Tensor:
        return torch.tensor(values, dtype=dtype, device=device)

    def scalar_out() -> torch.Tensor:
        return torch.empty([], dtype=torch.float32, device=device)

    for dtype in (torch.float32, torch.float16):
        grads = [t(3.0, 4.0, dtype=dtype), t(12.0, dtype=dtype)]
        per = torch.empty(2, dtype=torch.float32, device=device)
        module.per_tensor_norms(grads, 2.0, float32_only(grads), per)
        out.check("per_tensor_norms %s" % dtype, per.tolist() == [5.0, 12.0], str(per.tolist()))
        for p, expected in ((2.0, 13.0), (1.0, 19.0), (math.inf, 12.0)):
            total = module.total_norm(grads, p, float32_only(grads), scalar_out())
            out.check("total_norm p=%s %s" % (p, dtype), float(total) == expected, str(float(total)))
        for label, bad in (("nan", float("nan")), ("inf", math.inf), ("-inf", -math.inf)):
            poisoned = [t(1.0, dtype=dtype), t(2.0, bad, dtype=dtype)]
            flag = module.non_finite_flag(poisoned, float32_only(poisoned), scalar_out())
            out.check("non_finite_flag %s %s" % (label, dtype), float(flag) == 1.0)
        large = [t(65504.0, -65504.0, dtype=dtype)]
        flag = module.non_finite_flag(large, float32_only(large), scalar_out())
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
            clip_ms = median_ms(lambda: module.clip_by_global_norm_(grads, bound, p, True, norm_out))
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
    check_step(module, device, out)
    if device.type == "cuda":
        time_clip(module, device)
        time_step(module, device)
    print()
    print("%d check(s) failed" % out.failures if out.failures else "all checks passed")
    return 1 if out.failures else 0


if __name__ == "__main__":
    sys.exit(main())
