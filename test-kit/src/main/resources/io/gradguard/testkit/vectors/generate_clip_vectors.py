#!/usr/bin/python3
"""Writes PyTorch reference vectors for gradient clipping.

Every expected number comes from PyTorch itself:
  * torch.nn.utils.clip_grad_norm_  (total norm, clipped gradients),
  * torch.nn.utils.clip_grad_value_ (value clipping),
  * torch.linalg.vector_norm        (per-tensor norms).

The output is clip_vectors.json beside this script. See README.md
beside this script for the schema and for which field a test should compare
with which tolerance.

Run with a Python that has torch (Debian's torch 1.13):
    /usr/bin/python3 test-kit/src/main/resources/io/gradguard/testkit/vectors/generate_clip_vectors.py
"""

import argparse
import json
import math
import os
import re

import torch

SEED = 20240611
OUTPUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "clip_vectors.json")

DTYPES = {"float32": torch.float32, "float16": torch.float16}
NORM_TYPES = {1.0: 1.0, 2.0: 2.0, 3.0: 3.0, "inf": math.inf}


def f32(x):
    """Rounds a Python float to the nearest float32 value (as a Python float)."""
    return torch.tensor(x, dtype=torch.float32).item()


def encode_number(x):
    """A float as JSON: the number itself, or "inf" / "-inf" / "nan"."""
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def encode_tensor(t):
    """{shape, values}: values flattened row-major, each the exact value as a double."""
    return {
        "shape": list(t.shape),
        "values": [encode_number(v) for v in t.detach().double().reshape(-1).tolist()],
    }


def encode_scalar(t):
    return encode_number(t.detach().double().item())


# ---------------------------------------------------------------------------
# Gradient sets. Each builder draws from the shared generator and returns a
# list of float32 tensors; a set in float16 is the float16 cast of the draw
# (the JSON stores the float16 values exactly).
# ---------------------------------------------------------------------------

def mixed_shapes(gen):
    """A 1-D bias, a 2-D weight and a 3-D kernel at different scales."""
    return [
        torch.randn(16, generator=gen) * 0.1,
        torch.randn(6, 10, generator=gen) * 0.5,
        torch.randn(2, 3, 4, generator=gen),
    ]


def single(gen):
    return [torch.randn(6, 5, generator=gen) * 2.0]


def many_small(gen):
    """50 tensors of 3 elements."""
    return [torch.randn(3, generator=gen) * 0.3 for _ in range(50)]


def mixed_magnitudes(gen):
    """Magnitudes spread over 1e-6 .. 1e3 with random signs, plus a tiny tensor."""
    exponents = torch.rand(48, generator=gen) * 9.0 - 6.0
    signs = torch.where(torch.rand(48, generator=gen) < 0.5, -1.0, 1.0)
    return [signs * torch.pow(10.0, exponents), torch.randn(5, generator=gen) * 1e-4]


def wide_range_fp16(gen):
    """Magnitudes 1e-3 .. 1e3: fine in float16, but their squares sum past 65504."""
    exponents = torch.rand(64, generator=gen) * 6.0 - 3.0
    signs = torch.where(torch.rand(64, generator=gen) < 0.5, -1.0, 1.0)
    return [signs * torch.pow(10.0, exponents), torch.randn(4, 4, generator=gen)]


def overflow_fp16(gen):
    """512 values of magnitude 4000 .. 8000: the 2-norm (~1.4e5) is above float16's max."""
    magnitudes = 4000.0 + 4000.0 * torch.rand(512, generator=gen)
    signs = torch.where(torch.rand(512, generator=gen) < 0.5, -1.0, 1.0)
    return [signs * magnitudes]


def zeros(gen):
    return [torch.zeros(4), torch.zeros(2, 3)]


def with_empty(gen):
    """Zero-size tensors around a real one (finite p only: PyTorch's max of an empty tensor fails)."""
    return [torch.zeros(0), torch.randn(3, 4, generator=gen), torch.zeros(2, 0)]


# ---------------------------------------------------------------------------
# Reference computations.
# ---------------------------------------------------------------------------

def as_params(tensors):
    """Leaf parameters whose .grad are copies of the tensors (clip_* work on .grad)."""
    params = []
    for t in tensors:
        p = torch.nn.Parameter(torch.empty_like(t))
        p.grad = t.clone()
        params.append(p)
    return params


def clip_norm(tensors, max_norm, norm_type):
    """Runs clip_grad_norm_ on float32 copies; returns (total norm, clipped tensors, coef).

    The clipped tensors are cast back to the input dtype. torch 1.13 has no CPU
    clamp kernel for float16, so clip_grad_norm_ cannot run on float16 tensors
    on the CPU; clipping their float32 casts is also exactly the float32 contract
    (norm and coefficient in float32, product rounded to the gradient dtype).
    """
    params = as_params([t.float() for t in tensors])
    total = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type)
    coef = torch.clamp(max_norm / (total + 1e-6), max=1.0)
    return total, [p.grad.to(t.dtype) for p, t in zip(params, tensors)], coef


def native_total_norm(tensors, norm_type):
    """The total norm clip_grad_norm_ returns for the tensors in their own dtype.

    Same expression as clip_grad_norm_ in torch 1.13 (it fails for float16 on the
    CPU only later, at its clamp): for float16 the per-tensor norms and their
    combination are float16, so a total above 65504 is inf.
    """
    if norm_type == math.inf:
        return torch.max(torch.stack([t.abs().max() for t in tensors]))
    return torch.norm(torch.stack([torch.norm(t, norm_type) for t in tensors]), norm_type)


def per_tensor_norms(tensors, norm_type):
    return [torch.linalg.vector_norm(t, norm_type) for t in tensors]


def norm_case(name, dtype, tensors, norm_key, regime):
    """One clip_grad_norm_ case.

    regime: "below" (maxNorm = 2 x the fp32 total norm), "above" (a quarter of it),
    "at" (the fp32 total norm itself, rounded to float32) or a fixed float.
    """
    norm_type = NORM_TYPES[norm_key]
    grads = [t.to(DTYPES[dtype]) for t in tensors]
    total32, _, _ = clip_norm(grads, math.inf, norm_type)
    if isinstance(regime, float):
        max_norm = f32(regime)
    elif regime == "below":
        max_norm = f32(2.0 * total32.item())
    elif regime == "above":
        max_norm = f32(0.25 * total32.item())
    else:
        max_norm = f32(total32.item())
    total, clipped, coef = clip_norm(grads, max_norm, norm_type)
    assert total.item() == total32.item() or math.isnan(total.item())
    native = total if dtype == "float32" else native_total_norm(grads, norm_type)
    return {
        "name": name,
        "dtype": dtype,
        "normType": norm_key,
        "maxNorm": max_norm,
        "grads": [encode_tensor(g) for g in grads],
        "total_norm": encode_scalar(native),
        "total_norm_fp32": encode_scalar(total),
        "per_tensor_norms": [encode_scalar(n) for n in per_tensor_norms(grads, norm_type)],
        "per_tensor_norms_fp32": [
            encode_scalar(n) for n in per_tensor_norms([g.float() for g in grads], norm_type)],
        "clip_coef": encode_scalar(coef),
        "clipped": [encode_tensor(c) for c in clipped],
    }


def value_case(name, dtype, tensors, clip_value):
    """One clip_grad_value_ case (float16 clamped through float32: exact, see README)."""
    grads = [t.to(DTYPES[dtype]) for t in tensors]
    clip_value = f32(clip_value)
    assert torch.tensor(clip_value).to(DTYPES[dtype]).item() == clip_value
    params = as_params([g.float() for g in grads])
    torch.nn.utils.clip_grad_value_(params, clip_value)
    return {
        "name": name,
        "dtype": dtype,
        "clipValue": clip_value,
        "grads": [encode_tensor(g) for g in grads],
        "clipped": [encode_tensor(p.grad.to(g.dtype)) for p, g in zip(params, grads)],
    }


def to_json(document):
    """Indented JSON with every flat list (shape, values, norms) on one line."""
    text = json.dumps(document, indent=1)
    flat_list = re.compile(r"\[([^\[\]{}]*)\]")
    return flat_list.sub(
        lambda m: "[" + ", ".join(x.strip() for x in m.group(1).split(",") if x.strip()) + "]",
        text) + "\n"


def build(gen):
    norm_cases = []
    value_cases = []
    all_p = [1.0, 2.0, 3.0, "inf"]

    def add_sweep(set_name, dtype, tensors, norms, regimes):
        for norm_key in norms:
            for regime in regimes:
                label = "inf" if norm_key == "inf" else str(int(norm_key))
                regime_label = regime if isinstance(regime, str) else "fixed"
                name = f"{set_name}_{dtype}_p{label}_{regime_label}"
                norm_cases.append(norm_case(name, dtype, tensors, norm_key, regime))

    # float32
    sets32 = {
        "mixed_shapes": mixed_shapes(gen),
        "single": single(gen),
        "many_small": many_small(gen),
        "mixed_magnitudes": mixed_magnitudes(gen),
    }
    for set_name, tensors in sets32.items():
        add_sweep(set_name, "float32", tensors, all_p, ["below", "above"])
        add_sweep(set_name, "float32", tensors, [2.0, "inf"], ["at"])
    add_sweep("zeros", "float32", zeros(gen), [1.0, 2.0, "inf"], [1.0])
    add_sweep("with_empty", "float32", with_empty(gen), [1.0, 2.0, 3.0], ["above"])

    # float16
    sets16 = {
        "mixed_shapes": mixed_shapes(gen),
        "many_small": many_small(gen),
        "wide_range": wide_range_fp16(gen),
    }
    add_sweep("mixed_shapes", "float16", sets16["mixed_shapes"], all_p, ["below", "above"])
    add_sweep("mixed_shapes", "float16", sets16["mixed_shapes"], [2.0], ["at"])
    add_sweep("many_small", "float16", sets16["many_small"], [2.0, "inf"], ["below", "above"])
    add_sweep("wide_range", "float16", sets16["wide_range"], [1.0, 2.0, 3.0, "inf"], ["above"])
    add_sweep("overflow", "float16", overflow_fp16(gen), [2.0], [1.0])
    add_sweep("zeros", "float16", zeros(gen), [2.0], [1.0])

    # value clipping
    value_cases.append(value_case("mixed_shapes_float32", "float32", sets32["mixed_shapes"], 0.3))
    value_cases.append(value_case("single_float32_no_change", "float32", sets32["single"], 100.0))
    value_cases.append(value_case("many_small_float32", "float32", sets32["many_small"], 0.05))
    value_cases.append(
        value_case("mixed_magnitudes_float32", "float32", sets32["mixed_magnitudes"], 1e-3))
    value_cases.append(value_case("mixed_shapes_float16", "float16", sets16["mixed_shapes"], 0.25))
    value_cases.append(value_case("wide_range_float16", "float16", sets16["wide_range"], 100.0))
    return norm_cases, value_cases


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default=os.path.normpath(OUTPUT))
    args = parser.parse_args()

    torch.manual_seed(SEED)
    gen = torch.Generator().manual_seed(SEED)
    norm_cases, value_cases = build(gen)
    document = {
        "generator": "test-kit/src/main/resources/io/gradguard/testkit/vectors/generate_clip_vectors.py",
        "torch_version": torch.__version__,
        "seed": SEED,
        "eps": 1e-6,
        "norm_cases": norm_cases,
        "value_cases": value_cases,
    }
    os.makedirs(os.path.dirname(args.output), exist_ok=True)
    with open(args.output, "w", encoding="utf-8") as out:
        out.write(to_json(document))
    print(f"wrote {len(norm_cases)} norm cases and {len(value_cases)} value cases to {args.output}")


if __name__ == "__main__":
    main()
