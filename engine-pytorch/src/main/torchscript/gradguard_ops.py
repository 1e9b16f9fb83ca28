#!/usr/bin/python3
"""The TorchScript module behind GradGuard's fused gradient ops for DJL's PyTorch engine.

``GradGuardOps`` holds no tensors, only methods. Each method takes the list of gradient tensors
of one device and works on all of them in a few multi-tensor kernels (``torch._foreach_*`` and
the AMP kernels that ``torch.cuda.amp.GradScaler`` uses). The Java class
``io.gradguard.pytorch.PtGradientOps`` loads the scripted archive once per device and calls the
methods through DJL's ``IValueUtils.runMethod``.

A TorchScript archive stores source code that the loading runtime compiles, so the operators
resolve against the libtorch that DJL ships (2.7.1), not against the torch that scripted them.
Every call below therefore has to exist with the same schema in both: this file is scripted
with Debian's torch 1.13, which lacks ``_foreach_mul_.Tensor`` and ``_foreach_clamp_*``, so
the code avoids them.

Rules the methods follow:
  * nothing reads a value back to the host; the only Python-level branches are on tensor
    metadata (device, dtype, element count);
  * every result is a tensor, never a Python number; methods that produce a value write it
    into an ``out`` tensor the caller allocated and return that tensor. DJL runs module methods
    under ``c10::InferenceMode``, and a tensor created there cannot be modified in place
    afterwards; ``out`` was created outside, so the caller gets an ordinary tensor;
  * methods whose name ends in ``_`` modify their tensor arguments in place.

Usage:
  /usr/bin/python3 engine-pytorch/src/main/torchscript/gradguard_ops.py          # writes both
  /usr/bin/python3 engine-pytorch/src/main/torchscript/gradguard_ops.py --check  # fails if stale
"""

import argparse
import io
import math
import os
import sys
import zipfile
from typing import List

import torch
from torch import Tensor

class GradGuardOps(torch.nn.Module):
    """Multi-tensor operations on one device's gradient list."""

    def _float_norms(self, grads: List[Tensor], p: float, float32_only: bool) -> List[Tensor]:
        """Returns one 0-d float32 p-norm per gradient (0 for a zero-size gradient).
        ``float32_only`` says that every gradient is float32 and non-empty, which the caller knows
        from metadata; it spares the interpreter a loop over the list."""
        if float32_only:
            return torch._foreach_norm(grads, p)
        # Reduced-precision gradients are reduced in float32 so that a norm above the largest
        # float16 (65504) stays finite; zero-size tensors have no inf-norm in vector_norm.
        norms: List[Tensor] = []
        for g in grads:
            if g.numel() == 0:
                norms.append(torch.zeros([], dtype=torch.float32, device=g.device))
            else:
                norms.append(torch.linalg.vector_norm(g, p, dtype=torch.float32))
        return norms

    def _mul_(self, grads: List[Tensor], factor: Tensor):
        """Multiplies every gradient in place by the 0-d float32 ``factor`` in float32."""
        if grads[0].is_cuda:
            # One multi-tensor kernel: the AMP unscale kernel multiplies by a device scalar.
            # Its non-finite flag goes to a scratch tensor nobody reads.
            scratch = torch.zeros([], dtype=torch.float32, device=factor.device)
            torch._amp_foreach_non_finite_check_and_unscale_(grads, scratch, factor)
        elif grads[0].device.type == "cpu" and bool(factor == 1.0):
            # x * 1 == x for every float, so the pass would change no bit. Reading the factor
            # costs nothing on the CPU, where it already is; other devices always multiply.
            return
        else:
            torch._foreach_mul_(grads, [factor] * len(grads))

    def _flag_from_norm(
        self, grads: List[Tensor], total: Tensor, float32_only: bool, out: Tensor
    ) -> Tensor:
        """Writes the non-finite flag of the gradients into ``out``, which holds 0, given
        ``total``, their p-norm: a finite p-norm has no NaN or infinite term, so on the CPU a
        finite ``total`` leaves the flag at 0 without another pass; otherwise (a NaN, an infinity,
        or finite values whose p-norm overflows) the gradients are checked. Other devices always
        check, so that nothing is read back to the host."""
        if grads[0].device.type == "cpu" and bool(torch.isfinite(total)):
            return out
        return self._non_finite(grads, float32_only, out)

    @torch.jit.export
    def per_tensor_norms(
        self, grads: List[Tensor], p: float, float32_only: bool, out: Tensor
    ) -> Tensor:
        """Writes the p-norm of each gradient into the 1-d float32 ``out``; returns ``out``."""
        return torch.stack(self._float_norms(grads, p, float32_only), out=out)

    @torch.jit.export
    def total_norm(self, grads: List[Tensor], p: float, float32_only: bool, out: Tensor) -> Tensor:
        """Writes the p-norm of all gradients taken as one vector into the 0-d float32 ``out``;
        returns ``out``."""
        norms = torch.stack(self._float_norms(grads, p, float32_only))
        return torch.linalg.vector_norm(norms, p, out=out)

    @torch.jit.export
    def scale_(self, grads: List[Tensor], factor: Tensor):
        """Multiplies every gradient in place by the 0-d float32 ``factor``."""
        if len(grads) > 0:
            self._mul_(grads, factor)

    @torch.jit.export
    def clip_by_global_norm_(
        self, grads: List[Tensor], max_norm: Tensor, p: float, float32_only: bool, out: Tensor
    ) -> Tensor:
        """Writes the total p-norm into the 0-d float32 ``out``, then multiplies the gradients in
        place by min(1, max_norm / (norm + 1e-6)); returns ``out``."""
        norms = torch.stack(self._float_norms(grads, p, float32_only))
        norm = torch.linalg.vector_norm(norms, p, out=out)
        # eps = 1e-6 as in torch.nn.utils.clip_grad_norm_
        coef = torch.clamp(max_norm / (norm + 1e-6), max=1.0)
        self._mul_(grads, coef)
        return norm

    @torch.jit.export
    def unscale_and_check_(
        self, grads: List[Tensor], found_inf: Tensor, inv_scale: Tensor
    ) -> Tensor:
        """Multiplies the gradients in place by ``inv_scale`` and sets the 0-d float32
        ``found_inf`` to 1.0 if any input was NaN or infinite (it is left as it was otherwise);
        returns ``found_inf``."""
        torch._amp_foreach_non_finite_check_and_unscale_(grads, found_inf, inv_scale)
        return found_inf

    def _non_finite(self, grads: List[Tensor], float32_only: bool, out: Tensor) -> Tensor:
        """Writes 1.0 into the 0-d float32 ``out`` if any gradient element is NaN or infinite,
        else 0.0; returns ``out``."""
        nonempty: List[Tensor] = grads
        if not float32_only:
            nonempty = []
            for g in grads:
                if g.numel() > 0:
                    nonempty.append(g)
            if len(nonempty) == 0:
                return out.zero_()
        # max |g| is NaN or inf exactly when g holds one, and never overflows.
        maxima = torch._foreach_norm(nonempty, math.inf)
        if not float32_only:
            maxima = [m.float() for m in maxima]
        finite = torch.isfinite(torch.stack(maxima)).all()
        return torch.logical_not(finite, out=out)

    @torch.jit.export
    def non_finite_flag(self, grads: List[Tensor], float32_only: bool, out: Tensor) -> Tensor:
        """Writes 1.0 into the 0-d float32 ``out`` if any gradient element is NaN or infinite,
        else 0.0; returns ``out``."""
        return self._non_finite(grads, float32_only, out)

    @torch.jit.export
    def global_norm_step_(
        self,
        grads: List[Tensor],
        float32_only: bool,
        unscale: bool,
        inv_scale: Tensor,
        recheck: bool,
        check: bool,
        multiplier: Tensor,
        max_norm: Tensor,
        p: float,
        loss_flag: Tensor,
        out: Tensor,
    ) -> Tensor:
        """A whole guarded global-norm step in one call: with ``unscale``, multiplies the gradients
        in place by ``inv_scale`` and flags NaN or infinity (checking the unscaled values again with
        ``recheck``); without it, only flags them when ``check``. Then takes the total p-norm times
        ``multiplier``, the coefficient min(1, max_norm / (norm + 1e-6)), multiplies the gradients
        in place by coefficient times ``multiplier``, and writes [norm, coef, coef < 1, flag,
        loss_flag] into the 1-d float32 ``out`` of length 5; returns ``out``. All scalars are 0-d
        float32 tensors on the gradients' device; a multiplier of 1 changes no bit.

        The checks of unscaled values (``check``, ``recheck``) read the p-norm first: on the CPU a
        finite norm settles them without a pass of their own (see ``_flag_from_norm``)."""
        flag = torch.zeros([], dtype=torch.float32, device=grads[0].device)
        if unscale:
            torch._amp_foreach_non_finite_check_and_unscale_(grads, flag, inv_scale)
        raw = torch.linalg.vector_norm(torch.stack(self._float_norms(grads, p, float32_only)), p)
        if unscale and recheck:
            again = torch.zeros([], dtype=torch.float32, device=grads[0].device)
            flag = torch.maximum(flag, self._flag_from_norm(grads, raw, float32_only, again))
        elif not unscale and check:
            self._flag_from_norm(grads, raw, float32_only, flag)
        norm = raw * multiplier
        # eps = 1e-6 as in torch.nn.utils.clip_grad_norm_
        coef = torch.clamp(max_norm / (norm + 1e-6), max=1.0)
        self._mul_(grads, coef * multiplier)
        clipped = (coef < 1.0).to(torch.float32)
        return torch.stack([norm, coef, clipped, flag, loss_flag.to(torch.float32)], out=out)

    @torch.jit.export
    def zero_(self, grads: List[Tensor]):
        """Sets every gradient element to 0 in place, NaN and infinities included."""
        if len(grads) > 0:
            torch._foreach_zero_(grads)

    @torch.jit.export
    def clamp_(self, grads: List[Tensor], limit: float):
        """Clamps every gradient element in place to [-limit, limit]; NaN stays NaN."""
        for g in grads:
            g.clamp_(-limit, limit)

    @torch.jit.export
    def set_data_(self, params: List[Tensor], values: List[Tensor]):
        """Makes each parameter hold the matching value, its dtype included, like ``p.data = v``
        in Python: the tensor keeps its identity (the modules and handles that refer to it), its
        ``requires_grad`` flag and its autograd role; its storage, dtype and strides become the
        value's. The value should be a fresh tensor that nothing else modifies."""
        for i in range(len(params)):
            torch.ops.aten.set_data(params[i], values[i])

    def forward(self, grads: List[Tensor]) -> Tensor:
        """Returns the 0-d float32 L2 norm of all gradients (so the module has a forward)."""
        return torch.linalg.vector_norm(torch.stack(self._float_norms(grads, 2.0, False)), 2.0)


HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", "..", ".."))
ARCHIVE = os.path.join(
    ROOT, "engine-pytorch/src/main/resources/io/gradguard/pytorch/gradguard_ops.pt"
)
CODE = os.path.join(
    ROOT, "engine-pytorch/src/test/resources/io/gradguard/pytorch/gradguard_ops.code.txt"
)


def archive_code(archive: bytes) -> str:
    """Returns the compiled source that an archive stores: every ``code/`` entry ending in
    ``.py``, sorted by name, each introduced by a ``# file: <path below code/>`` line. The Java
    test builds the same text from the shipped archive."""
    parts = []
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        entries = {}
        for name in zf.namelist():
            marker = name.find("/code/")
            if marker >= 0 and name.endswith(".py"):
                entries[name[marker + len("/code/"):]] = zf.read(name).decode("utf-8")
        for key in sorted(entries):
            parts.append("# file: " + key + "\n" + entries[key])
    return "".join(parts)


def script() -> bytes:
    """Scripts GradGuardOps and returns the archive bytes."""
    module = torch.jit.script(GradGuardOps())
    buffer = io.BytesIO()
    torch.jit.save(module, buffer)
    return buffer.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="compare a fresh scripting with the checked-in archive and code; write nothing",
    )
    args = parser.parse_args()
    fresh = script()
    fresh_code = archive_code(fresh)
    if args.check:
        with open(ARCHIVE, "rb") as f:
            shipped_code = archive_code(f.read())
        with open(CODE, encoding="utf-8") as f:
            checked_in = f.read()
        stale = [
            path
            for path, text in ((ARCHIVE, shipped_code), (CODE, checked_in))
            if text != fresh_code
        ]
        for path in stale:
            print("stale: " + os.path.relpath(path, ROOT), file=sys.stderr)
        if stale:
            print(
                "run: /usr/bin/python3 engine-pytorch/src/main/torchscript/gradguard_ops.py",
                file=sys.stderr,
            )
            return 1
        print("archive and code are up to date (torch " + torch.__version__ + ")")
        return 0
    os.makedirs(os.path.dirname(ARCHIVE), exist_ok=True)
    os.makedirs(os.path.dirname(CODE), exist_ok=True)
    with open(ARCHIVE, "wb") as f:
        f.write(fresh)
    with open(CODE, "w", encoding="utf-8") as f:
        f.write(fresh_code)
    print("wrote " + os.path.relpath(ARCHIVE, ROOT) + " and " + os.path.relpath(CODE, ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
