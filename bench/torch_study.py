"""Trains the networks of a finished lab study in PyTorch, each for the epochs the lab needed.

Usage: python3 torch_study.py RUNS_JSON DATA_DIR THREADS
RUNS_JSON lists {index, epochs, model, training}; DATA_DIR holds run<index>_x.npy and _y.npy.
Prints one JSON line with the wall time in seconds. Measures are not computed.
"""
import json
import sys
import time

import numpy as np
import torch

runs_path, data_dir, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
torch.set_num_threads(threads)
runs = json.load(open(runs_path))


def fcn(widths):
    layers, fan_in = [torch.nn.Flatten()], 784
    for width in widths:
        linear = torch.nn.Linear(fan_in, width)
        with torch.no_grad():
            linear.weight.normal_(0.0, (2.0 / fan_in) ** 0.5)
            linear.bias.normal_(0.0, 0.1)
        layers += [linear, torch.nn.ReLU()]
        fan_in = width
    out = torch.nn.Linear(fan_in, 1)
    return torch.nn.Sequential(*layers, out)


started = time.perf_counter()
for run in runs:
    x = torch.from_numpy(np.load(f"{data_dir}/run{run['index']}_x.npy"))
    y = torch.from_numpy(np.load(f"{data_dir}/run{run['index']}_y.npy").astype(np.float32))
    model = fcn(run["model"]["hiddenWidths"])
    training = run["training"]
    if training["optimizer"] == "adam":
        optimizer = torch.optim.Adam(model.parameters(), lr=training["learningRate"])
    else:
        optimizer = torch.optim.SGD(model.parameters(), lr=training["learningRate"], momentum=training["momentum"])
    for _ in range(run["epochs"] or 0):
        order = torch.randperm(len(x))
        for start in range(0, len(x), training["batchSize"]):
            batch = order[start:start + training["batchSize"]]
            optimizer.zero_grad()
            torch.nn.functional.binary_cross_entropy_with_logits(model(x[batch]).squeeze(1), y[batch]).backward()
            optimizer.step()
        with torch.no_grad():
            model(x)
print(json.dumps({"seconds": time.perf_counter() - started, "runs": len(runs)}))
