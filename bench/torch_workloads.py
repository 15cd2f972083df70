"""PyTorch side of the benchmark suite: the same workloads as bench/workloads.ts.

Usage: python3 torch_workloads.py WORKLOAD DATA_DIR THREADS
Prints one JSON line with seconds, samples per second and peak resident memory. The networks,
initialisation, batch sizes, optimizer, epochs and data are those of bench/settings.ts, read from
DATA_DIR/settings.json. Like the lab, every epoch ends with an evaluation pass over the training set.
"""
import json
import resource
import sys
import time

import numpy as np
import torch

workload, data_dir, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
torch.set_num_threads(threads)
settings = json.load(open(f"{data_dir}/settings.json"))


def init_linear(layer, fan_in):
    with torch.no_grad():
        layer.weight.normal_(0.0, (2.0 / fan_in) ** 0.5)
        layer.bias.normal_(0.0, 0.1)


def fcn(widths):
    layers, fan_in = [torch.nn.Flatten()], 784
    for width in widths:
        linear = torch.nn.Linear(fan_in, width)
        init_linear(linear, fan_in)
        layers += [linear, torch.nn.ReLU()]
        fan_in = width
    out = torch.nn.Linear(fan_in, 1)
    init_linear(out, fan_in)
    return torch.nn.Sequential(*layers, out)


def cnn(filters):
    layers, channels, size = [], 1, 28
    for count in filters:
        conv = torch.nn.Conv2d(channels, count, 3, padding=1)
        init_linear(conv, 9 * channels)
        layers += [conv, torch.nn.ReLU(), torch.nn.MaxPool2d(2)]
        channels, size = count, size // 2
    out = torch.nn.Linear(channels * size * size, 1)
    init_linear(out, channels * size * size)
    return torch.nn.Sequential(*layers, torch.nn.Flatten(), out)


def load(name, channels_first):
    x = torch.from_numpy(np.load(f"{data_dir}/{name}_x.npy"))
    y = torch.from_numpy(np.load(f"{data_dir}/{name}_y.npy").astype(np.float32))
    if channels_first:
        x = x.permute(0, 3, 1, 2).contiguous()
    return x, y


def evaluate(model, x, y):
    with torch.no_grad():
        correct, loss = 0.0, 0.0
        for start in range(0, len(x), 2048):
            logits = model(x[start:start + 2048]).squeeze(1)
            loss += torch.nn.functional.binary_cross_entropy_with_logits(logits, y[start:start + 2048], reduction="sum").item()
            correct += ((logits > 0).float() == y[start:start + 2048]).sum().item()
    return loss / len(x), correct / len(x)


def train(kind):
    config = settings[kind]
    model = fcn(config["model"]["hiddenWidths"]) if kind == "fcn" else cnn(config["model"]["filters"])
    x, y = load(kind, channels_first=kind == "cnn")
    optimizer = torch.optim.SGD(model.parameters(), lr=config["learningRate"])
    generator = torch.Generator().manual_seed(0)

    def epoch():
        order = torch.randperm(len(x), generator=generator)
        for start in range(0, len(x), config["batchSize"]):
            batch = order[start:start + config["batchSize"]]
            optimizer.zero_grad()
            loss = torch.nn.functional.binary_cross_entropy_with_logits(model(x[batch]).squeeze(1), y[batch])
            loss.backward()
            optimizer.step()
        evaluate(model, x, y)

    epoch()  # warm-up, as on the lab side
    started = time.perf_counter()
    for _ in range(config["epochs"]):
        epoch()
    seconds = time.perf_counter() - started
    return seconds, config["epochs"] * len(x)


def forward():
    model = fcn(settings["fcn"]["model"]["hiddenWidths"])
    x, y = load("forward", channels_first=False)
    evaluate(model, x[:1000], y[:1000])
    started = time.perf_counter()
    for _ in range(settings["forwardRepeats"]):
        evaluate(model, x, y)
    return time.perf_counter() - started, settings["forwardRepeats"] * len(x)


def spectral():
    matrices = [torch.from_numpy(np.load(f"{data_dir}/{name}.npy")).double() for name in settings["spectralLayers"]]
    started = time.perf_counter()
    for matrix in matrices:
        torch.linalg.matrix_norm(matrix, ord=2)
    return time.perf_counter() - started, len(matrices)


seconds, samples = {"fcn-train": lambda: train("fcn"), "cnn-train": lambda: train("cnn"), "forward": forward, "spectral": spectral}[workload]()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"workload": workload, "seconds": seconds, "samplesPerSecond": samples / seconds, "peakRssBytes": peak, "torch": torch.__version__, "threads": threads}))
