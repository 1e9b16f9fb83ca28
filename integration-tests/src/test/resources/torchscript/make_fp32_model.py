"""Writes tiny-fp32.pt, a small float32 TorchScript model for the test that converts a loaded
PtSymbolBlock to float16 with float32 master weights equal to the saved values. Run with Debian's
python3-torch:

    /usr/bin/python3 make_fp32_model.py

Linear(4 -> 8), ReLU, Linear(8 -> 2), deterministic weights (seed 0).
"""
import os

import torch


def main() -> None:
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    scripted = torch.jit.script(model)
    scripted.save(os.path.join(os.path.dirname(os.path.abspath(__file__)), "tiny-fp32.pt"))


if __name__ == "__main__":
    main()
