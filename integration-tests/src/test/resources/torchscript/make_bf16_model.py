"""Writes tiny TorchScript models whose parameters are bfloat16 or float16, for the test that the
guard reads data types from the parameters (a loaded TorchScript model reports float32 whatever
its parameters hold). Run with Debian's python3-torch:

    /usr/bin/python3 make_bf16_model.py

Outputs tiny-bf16.pt and tiny-fp16.pt beside this script: Linear(4 -> 2), deterministic weights.
"""
import os

import torch


def write(dtype: torch.dtype, name: str) -> None:
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 2).to(dtype)
    scripted = torch.jit.script(model)
    scripted.save(os.path.join(os.path.dirname(os.path.abspath(__file__)), name))


if __name__ == "__main__":
    write(torch.bfloat16, "tiny-bf16.pt")
    write(torch.float16, "tiny-fp16.pt")
