"""The measures of a Dense ReLU network in PyTorch, timed, for comparison with the lab's engine.

Usage: /usr/bin/python3 torch_measures.py FOLDER
FOLDER contains meta.json ({"task", "layers", "seed"}), x.npy [m, features] float32, y.npy [m] int64,
and per layer i: W{i}.npy [in, out], b{i}.npy [out], W0_{i}.npy (the initial kernel). Prints one
JSON object: {"threads", "torch", "seconds": {id: s}, "all_seconds", "raw": {id: value}, "sigma" and
"sigma_mag": [sigma, bisection steps]}.
Each measure is computed from scratch (its own forward passes, norms and searches), as run.ts times
the lab's measures. Definitions follow MEASURES.md; the noise comes from torch.Generator, so the
searched sigmas match the lab's only in distribution.
"""
import json
import math
import sys
import time

import numpy as np
import torch

torch.set_num_threads(2)


class Network:
    def __init__(self, folder):
        meta = json.load(open(f"{folder}/meta.json"))
        self.task = meta["task"]
        self.seed = meta["seed"]
        layers = meta["layers"]
        self.x = torch.from_numpy(np.load(f"{folder}/x.npy"))
        self.y = torch.from_numpy(np.load(f"{folder}/y.npy")).long()
        self.weights = [torch.from_numpy(np.load(f"{folder}/W{i}.npy")) for i in range(layers)]
        self.biases = [torch.from_numpy(np.load(f"{folder}/b{i}.npy")) for i in range(layers)]
        self.initial = [torch.from_numpy(np.load(f"{folder}/W0_{i}.npy")) for i in range(layers)]
        self.m = self.x.shape[0]


def forward(weights, biases, x):
    h = x
    for i, (w, b) in enumerate(zip(weights, biases)):
        h = h @ w + b
        if i < len(weights) - 1:
            h = torch.relu(h)
    return h


def accuracy(net, logits):
    if net.task == "binary":
        return ((logits[:, 0] > 0).long() == net.y).double().mean().item()
    return (logits.argmax(dim=1) == net.y).double().mean().item()


class Context:
    """Shared quantities, computed once per measure evaluation."""

    def __init__(self, net):
        self.net = net
        self.cache = {}

    def memo(self, key, compute):
        if key not in self.cache:
            self.cache[key] = compute()
        return self.cache[key]

    def logits(self):
        return self.memo("logits", lambda: forward(self.net.weights, self.net.biases, self.net.x))

    def gamma(self):
        def compute():
            logits = self.logits()
            y = self.net.y
            if self.net.task == "binary":
                margins = (2 * y - 1).float() * logits[:, 0]
            else:
                true = logits.gather(1, y[:, None])[:, 0]
                other = logits.clone()
                other.scatter_(1, y[:, None], -float("inf"))
                margins = true - other.max(dim=1).values
            k = max(1, self.net.m // 10)
            return abs(torch.sort(margins.double()).values[k - 1].item())

        return self.memo("gamma", compute)

    def fro(self):
        return self.memo("fro", lambda: [(w.double() ** 2).sum().item() for w in self.net.weights])

    def spec(self):
        return self.memo("spec", lambda: [torch.linalg.matrix_norm(w.double(), ord=2).item() ** 2 for w in self.net.weights])

    def dist_fro(self):
        return self.memo("dist_fro", lambda: [((w.double() - w0.double()) ** 2).sum().item() for w, w0 in zip(self.net.weights, self.net.initial)])

    def dist_spec(self):
        return self.memo("dist_spec", lambda: [torch.linalg.matrix_norm(w.double() - w0.double(), ord=2).item() ** 2 for w, w0 in zip(self.net.weights, self.net.initial)])

    def path_norm(self):
        def compute():
            ones = torch.ones(1, self.net.x.shape[1])
            return forward([w**2 for w in self.net.weights], [b**2 for b in self.net.biases], ones).sum().item()

        return self.memo("path_norm", compute)

    def search(self, magnitude):
        return self.memo(f"search{magnitude}", lambda: search_sigma(self.net, accuracy(self.net, self.logits()), magnitude))

    def sigma(self, magnitude):
        return self.search(magnitude)[0]


def search_sigma(net, base_accuracy, magnitude, convention="stated", eps=1e-3):
    generator = torch.Generator().manual_seed(net.seed + (1 if magnitude else 0))
    params = net.weights + net.biases
    lower, upper = 0.0, 2.0
    sigma = 1.0
    steps = 0
    for _ in range(15):
        steps += 1
        sigma = (lower + upper) / 2
        accuracies = []
        for _ in range(10):
            noisy = []
            for p in params:
                if magnitude:
                    spread = sigma**2 * p**2 + eps**2
                    std = torch.sqrt(spread) if convention == "stated" else spread
                else:
                    std = sigma if convention == "stated" else sigma**2
                noisy.append(p + torch.randn(p.shape, generator=generator) * std)
            layers = len(net.weights)
            accuracies.append(accuracy(net, forward(noisy[:layers], noisy[layers:], net.x)))
        displacement = abs(float(np.mean(accuracies)) - base_accuracy)
        if abs(displacement - 0.1) < 0.01:
            break
        if displacement > 0.1:
            upper = sigma
        else:
            lower = sigma
    return sigma, steps


def magnitude_bound(net, sigma, reference, eps=1e-3):
    w = torch.cat([t.double().reshape(-1) for t in net.weights])
    w0 = torch.cat([t.double().reshape(-1) for t in net.initial])
    ref = w - w0 if reference == "init" else w
    omega = w.numel()
    numerator = eps**2 + (sigma**2 + 1) * (ref**2).sum() / omega
    terms = torch.log(numerator / (eps**2 + sigma**2 * (w - w0) ** 2))
    return terms.sum().item() / 4 + math.log(net.m / sigma) + 10


def log_d(c):
    return math.log(len(c.net.weights))


MEASURES = {
    "params": lambda c: float(sum(w.numel() for w in c.net.weights)),
    "inverse_margin": lambda c: 1 / c.gamma() ** 2,
    "log_prod_of_spec": lambda c: sum(math.log(s) for s in c.spec()),
    "log_prod_of_spec_over_margin": lambda c: sum(math.log(s) for s in c.spec()) - 2 * math.log(c.gamma()),
    "log_spec_init_main": lambda c: sum(math.log(s) for s in c.spec()) - 2 * math.log(c.gamma()) + math.log(sum(f / s for f, s in zip(c.dist_fro(), c.spec()))),
    "log_spec_orig_main": lambda c: sum(math.log(s) for s in c.spec()) - 2 * math.log(c.gamma()) + math.log(sum(f / s for f, s in zip(c.fro(), c.spec()))),
    "fro_over_spec": lambda c: sum(f / s for f, s in zip(c.fro(), c.spec())),
    "log_sum_of_spec_over_margin": lambda c: log_d(c) + (sum(math.log(s) for s in c.spec()) - 2 * math.log(c.gamma())) / len(c.net.weights),
    "log_sum_of_spec": lambda c: log_d(c) + sum(math.log(s) for s in c.spec()) / len(c.net.weights),
    "log_prod_of_fro_over_margin": lambda c: sum(math.log(f) for f in c.fro()) - 2 * math.log(c.gamma()),
    "log_prod_of_fro": lambda c: sum(math.log(f) for f in c.fro()),
    "log_sum_of_fro_over_margin": lambda c: log_d(c) + (sum(math.log(f) for f in c.fro()) - 2 * math.log(c.gamma())) / len(c.net.weights),
    "log_sum_of_fro": lambda c: log_d(c) + sum(math.log(f) for f in c.fro()) / len(c.net.weights),
    "fro_dist": lambda c: sum(c.dist_fro()),
    "dist_spec_init": lambda c: sum(c.dist_spec()),
    "param_norm": lambda c: sum(c.fro()),
    "path_norm_over_margin": lambda c: c.path_norm() / c.gamma() ** 2,
    "path_norm": lambda c: c.path_norm(),
    "pacbayes_init": lambda c: sum(c.dist_fro()) / (4 * c.sigma(False) ** 2) + math.log(c.net.m / c.sigma(False)) + 10,
    "pacbayes_orig": lambda c: sum(c.fro()) / (4 * c.sigma(False) ** 2) + math.log(c.net.m / c.sigma(False)) + 10,
    "pacbayes_flatness": lambda c: 1 / c.sigma(False) ** 2,
    "pacbayes_mag_init": lambda c: magnitude_bound(c.net, c.sigma(True), "init"),
    "pacbayes_mag_orig": lambda c: magnitude_bound(c.net, c.sigma(True), "orig"),
    "pacbayes_mag_flatness": lambda c: 1 / c.sigma(True) ** 2,
}


def main():
    net = Network(sys.argv[1])
    seconds = {}
    raw = {}
    with torch.no_grad():
        for measure_id, compute in MEASURES.items():
            start = time.perf_counter()
            raw[measure_id] = compute(Context(net))
            seconds[measure_id] = time.perf_counter() - start
        shared = Context(net)
        start = time.perf_counter()
        for compute in MEASURES.values():
            compute(shared)
        all_seconds = time.perf_counter() - start
    print(json.dumps({"threads": torch.get_num_threads(), "torch": torch.__version__, "seconds": seconds, "all_seconds": all_seconds, "raw": raw, "sigma": shared.search(False), "sigma_mag": shared.search(True)}))


if __name__ == "__main__":
    main()
