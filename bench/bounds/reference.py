"""NumPy/SciPy reference of the marginal-likelihood bound, timed for bench/bounds/run.ts.

The same algorithm as main/bounds/: the analytic FC NNGP kernel (Gram matrix by BLAS dsyrk, then
the arc-cosine layer updates), and sequential EP with the step likelihood in blocks of 128 sites
(the block's rank-one updates gathered into dsyrk updates of the trailing lower triangle), Sigma
and mu recomputed after every sweep from the Cholesky factor of B = I + S^1/2 K S^1/2 (LAPACK
dpotrf, dtrsm, dsyrk), ln P(S) by Rasmussen and Williams (2006) eqs. 3.73-3.74.

Usage: python3 reference.py X.npy Y.npy DEPTH SIGMA_W2 SIGMA_B2 MAX_SWEEPS
Prints one JSON object: kernel_s, ep_s, kernel_cpu_s, ep_cpu_s (process CPU time, all threads),
sweeps, log_p, converged.
"""
import json
import sys
import time

import numpy as np
from scipy.linalg import blas, lapack
from scipy.special import log_ndtr

BLOCK = 128


def fc_kernel(x, depth, sigma_w2, sigma_b2):
    m, d = x.shape
    gram = blas.dsyrk(1.0, x, lower=1)
    gram = np.tril(gram) + np.tril(gram, -1).T
    k = sigma_b2 + sigma_w2 * gram / d
    diag = np.diag(k).copy()
    for _ in range(depth):
        norm = np.sqrt(np.outer(diag, diag))
        with np.errstate(invalid='ignore', divide='ignore'):
            cosine = np.clip(np.where(norm > 0, k / norm, 0.0), -1.0, 1.0)
        theta = np.arccos(cosine)
        k = sigma_b2 + sigma_w2 / (2 * np.pi) * norm * (np.sin(theta) + (np.pi - theta) * cosine)
        diag = sigma_b2 + sigma_w2 / 2 * diag
        np.fill_diagonal(k, diag)
    return k


def site_update(variance, mean, sign, tau, nu):
    cavity_tau = 1 / variance - tau
    cavity_nu = mean / variance - nu
    cavity_var = 1 / cavity_tau
    cavity_mean = cavity_nu * cavity_var
    sd = np.sqrt(cavity_var)
    z = sign * cavity_mean / sd
    ratio = np.exp(-0.5 * z * z - 0.5 * np.log(2 * np.pi) - log_ndtr(z))
    tilted_mean = cavity_mean + sign * sd * ratio
    tilted_var = cavity_var * (1 - ratio * (z + ratio))
    return max(0.0, 1 / tilted_var - cavity_tau), tilted_mean / tilted_var - cavity_nu


def posterior(k, tau, nu):
    """Lower triangle of Sigma (full array), mu, diag(Sigma), sum ln L_ii."""
    if not tau.any():
        return k.copy(), np.zeros(len(tau)), np.diag(k).copy(), 0.0
    s = np.sqrt(tau)
    b = s[:, None] * k * s[None, :]
    b[np.diag_indices_from(b)] += 1
    factor, info = lapack.dpotrf(b, lower=1, overwrite_a=1)
    assert info == 0, info
    v = blas.dtrsm(1.0, factor, s[:, None] * k, lower=1)  # V = L^-1 S^1/2 K
    sigma = blas.dsyrk(-1.0, v, beta=1.0, c=k, trans=1, lower=1)
    full = np.tril(sigma) + np.tril(sigma, -1).T
    return sigma, full @ nu, np.diag(sigma).copy(), np.log(np.diag(factor)).sum()


def sweep(sigma, mu, signs, tau, nu):
    m = len(tau)
    largest = 0.0
    for k0 in range(0, m, BLOCK):
        k1 = min(m, k0 + BLOCK)
        w = k1 - k0
        block = np.tril(sigma[k0:k1, k0:k1])
        block = block + np.tril(block, -1).T
        block_mean = mu[k0:k1].copy()
        gt = np.zeros((w, w))
        columns = np.zeros((w, w))
        c_all = np.zeros(w)
        a_all = np.zeros(w)
        for p in range(w):
            i = k0 + p
            variance, mean = block[p, p], block_mean[p]
            new_tau, new_nu = site_update(variance, mean, signs[i], tau[i], nu[i])
            d_tau, d_nu = new_tau - tau[i], new_nu - nu[i]
            largest = max(largest, abs(d_tau), abs(d_nu))
            tau[i], nu[i] = new_tau, new_nu
            c = d_tau / (1 + d_tau * variance)
            a = d_nu * (1 - c * variance) - c * mean
            c_all[p], a_all[p] = c, a
            columns[p] = block[:, p]
            gt[p, p] = 1
            if p > 0:
                weights = c_all[:p] * columns[:p, p]
                gt[p, :p] -= weights @ gt[:p, :p]
            s = columns[p, p + 1:]
            block[p + 1:, p + 1:] -= c * np.outer(s, s)
            block_mean[p + 1:] += a * s
        if k1 == m:
            break
        u = sigma[k1:, k0:k1] @ gt.T
        mu[k1:] += u @ a_all
        positive = np.sqrt(np.maximum(c_all, 0))
        negative = np.sqrt(np.maximum(-c_all, 0))
        trailing = sigma[k1:, k1:]
        trailing[:] = blas.dsyrk(-1.0, u * positive, beta=1.0, c=trailing, lower=1)
        if negative.any():
            trailing[:] = blas.dsyrk(1.0, u * negative, beta=1.0, c=trailing, lower=1)
    return largest


def log_marginal(variance, mean, half_log_det, signs, tau, nu):
    cavity_tau = 1 / variance - tau
    cavity_mean = (mean / variance - nu) / cavity_tau
    total = -half_log_det
    total += log_ndtr(signs * cavity_mean * np.sqrt(cavity_tau)).sum()
    total += 0.5 * np.log1p(tau / cavity_tau).sum()
    total += 0.5 * nu @ mean
    total -= 0.5 * (nu * nu / (cavity_tau + tau)).sum()
    total += 0.5 * (cavity_mean * cavity_tau * (tau * cavity_mean - 2 * nu) / (tau + cavity_tau)).sum()
    return total


def main():
    x_path, y_path, depth, sigma_w2, sigma_b2, max_sweeps = sys.argv[1:7]
    x = np.load(x_path).astype(np.float64)
    x = x.reshape(x.shape[0], -1)
    y = np.load(y_path).astype(np.float64)
    m = len(y)
    started = time.perf_counter()
    started_cpu = time.process_time()
    k = fc_kernel(x, int(depth), float(sigma_w2), float(sigma_b2))
    kernel_s = time.perf_counter() - started
    kernel_cpu_s = time.process_time() - started_cpu

    started = time.perf_counter()
    started_cpu = time.process_time()
    k[np.diag_indices_from(k)] += 1e-8 * np.trace(k) / m
    signs = 2 * y - 1
    tau = np.zeros(m)
    nu = np.zeros(m)
    sigma, mu, variance, half_log_det = posterior(k, tau, nu)
    converged = False
    sweeps = 0
    for sweeps in range(1, int(max_sweeps) + 1):
        largest = sweep(sigma, mu, signs, tau, nu)
        sigma, mu, variance, half_log_det = posterior(k, tau, nu)
        if largest < 1e-6:
            converged = True
            break
    log_p = log_marginal(variance, mu, half_log_det, signs, tau, nu) if converged else None
    ep_s = time.perf_counter() - started
    ep_cpu_s = time.process_time() - started_cpu
    print(json.dumps({'kernel_s': kernel_s, 'ep_s': ep_s, 'kernel_cpu_s': kernel_cpu_s, 'ep_cpu_s': ep_cpu_s,
                      'sweeps': sweeps, 'log_p': log_p, 'converged': converged}))


if __name__ == '__main__':
    main()
