#!/usr/bin/env python3
"""Reference vectors for GradGuard's ZClip strategy.

ZClip: Kumar, Owen, Roy Chowdhury, Gura (2025), "ZClip: Adaptive Spike Mitigation for LLM
Pre-Training", z-score mode with reciprocal ("adaptive scaling") clipping, in the update order of
the authors' reference code:

  warm-up  : the first `warmup_steps` finite norms are kept and clipped at `max_norm`; after the
             last one, mu = mean(norms), var = population variance(norms).
  after    : sigma = sqrt(var); z = (g - mu) / (sigma + 1e-6)
             z > z_thres : c = mu + (z_thres * sigma) / (z / z_thres); clip at min(c, max_norm);
                           x = c                      (the EMA sees the clipped value)
             otherwise   : clip at max_norm; x = g    (the EMA sees the raw norm)
             mu  <- alpha * mu  + (1 - alpha) * x     (mean first)
             var <- alpha * var + (1 - alpha) * (x - mu)^2   (with the new mu)
  non-finite norms leave the state unchanged and are "clipped" at max_norm.

The clip coefficient is torch.nn.utils.clip_grad_norm_'s, computed in float32:
  coef = min(1, t / (g + 1e-6)).

Plain Python (no torch, no numpy). Run from the repository root:
  python3 test-kit/src/main/resources/io/gradguard/testkit/vectors/zclip_vectors.py \
    > test-kit/src/main/resources/io/gradguard/testkit/vectors/zclip_vectors.json
"""

import json
import math
import struct


def f32(x):
    """Rounds a Python float to the nearest float32 (keeps inf and nan)."""
    return struct.unpack("f", struct.pack("f", x))[0]


EPS_F32 = f32(1e-6)


def coefficient(norm, threshold):
    """clip_grad_norm_'s coefficient in float32: min(1, t / (g + 1e-6)); NaN stays NaN."""
    t = f32(threshold)
    g = f32(norm)
    denominator = f32(g + EPS_F32)
    if math.isinf(t) and math.isinf(denominator):
        return float("nan")
    q = f32(t / denominator) if denominator != 0 else float("inf")
    if math.isnan(q):
        return q
    return min(1.0, q)


def run(max_norm, alpha, z_thres, warmup_steps, norms):
    alpha = f32(alpha)        # the Java factory takes float32 arguments
    z_thres = f32(z_thres)
    max_norm = f32(max_norm)
    buffer = []
    initialized = False
    mean = 0.0
    var = 0.0
    steps = []
    for g in norms:
        if not math.isfinite(g):
            threshold = max_norm
        elif not initialized:
            buffer.append(g)
            if len(buffer) == warmup_steps:
                mean = sum(buffer) / len(buffer)
                var = sum((v - mean) * (v - mean) for v in buffer) / len(buffer)
                initialized = True
            threshold = max_norm
        else:
            sigma = math.sqrt(var)
            z = (g - mean) / (sigma + 1e-6)
            threshold = max_norm
            x = g
            if z > z_thres:
                eta = z / z_thres
                clip_value = mean + (z_thres * sigma) / eta
                threshold = min(clip_value, max_norm)
                x = clip_value
            mean = alpha * mean + (1 - alpha) * x
            d = x - mean
            var = alpha * var + (1 - alpha) * d * d
        threshold = f32(threshold)
        coef = coefficient(g, threshold)
        steps.append({
            "norm": number(g),
            "threshold": number(threshold),
            "coefficient": number(coef),
            "clipped": bool(coef < 1.0),
            "initialized": initialized,
            "mean": mean,
            "variance": var,
        })
    return steps


def number(x):
    """JSON has no NaN or infinity: write those as strings Java's Float.parseFloat reads."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    return x


def lcg_norms(count, seed, spikes):
    """Deterministic norms around 1 (a linear congruential generator), with planted spikes."""
    state = seed
    out = []
    for i in range(count):
        state = (1103515245 * state + 12345) % (1 << 31)
        u = state / float(1 << 31)
        out.append(f32(0.8 + 0.4 * u))
    for index, value in spikes.items():
        out[index] = f32(value)
    return out


def main():
    small = [1.0, 1.25, 0.75, 1.5, 5.0, 1.1, 0.9, 6.0, 1.2, float("nan"), 40.0, 1.0, 1.3,
             0.8, 3.0, 1.0]
    small = [f32(v) for v in small]
    defaults = lcg_norms(60, 7, {10: 9.0, 30: 8.0, 31: 3.0, 45: 20.0, 50: float("inf")})
    cases = [
        {"name": "small", "maxNorm": 4.0, "alpha": 0.9, "zThreshold": 2.0, "warmupSteps": 5,
         "norms": small},
        {"name": "defaults", "maxNorm": float("inf"), "alpha": 0.97, "zThreshold": 2.5,
         "warmupSteps": 25, "norms": defaults},
    ]
    out = []
    for case in cases:
        steps = run(case["maxNorm"], case["alpha"], case["zThreshold"], case["warmupSteps"],
                    case["norms"])
        out.append({
            "name": case["name"],
            "maxNorm": number(case["maxNorm"]),
            "alpha": case["alpha"],
            "zThreshold": case["zThreshold"],
            "warmupSteps": case["warmupSteps"],
            "steps": steps,
        })
    print(json.dumps({"generator": "test-kit/src/main/resources/io/gradguard/testkit/vectors/zclip_vectors.py", "cases": out}, indent=1))


if __name__ == "__main__":
    main()
