"""The reference's CPU path, restated: one EqProp training step on an XY network where every
relaxation is scipy's LSODA integrating the gradient flow dphi/dt = -dF/dphi from t = 0 to T with
rtol = atol = 1.4e-8 and no convergence test (facts section 2). Reads the network and the step from
a JSON object on stdin, times the step's relaxations in CPU seconds (process_time) and prints one
JSON line. Written for this benchmark from the published method, not from the published code.
"""
import json
import sys
import time

import numpy as np
import scipy
from scipy.integrate import solve_ivp


def main():
    job = json.load(sys.stdin)
    n = job["nodes"]
    W = np.zeros((n, n))
    for (i, j), w in zip(job["edges"], job["weights"]):
        W[i, j] += w
        W[j, i] += w
    h = np.asarray(job["h"], dtype=float)
    psi = np.asarray(job["psi"], dtype=float)
    inputs = np.asarray(job["inputs"], dtype=int)
    outputs = np.asarray(job["outputs"], dtype=int)
    free = np.ones(n)
    free[inputs] = 0.0
    beta, T, tol = job["beta"], job["T"], job["tol"]
    rng = np.random.default_rng(job["seed"])

    def flow(target, b):
        # -dE/dphi: sum_j W_ij sin(phi_j - phi_i) - h sin(phi - psi), via the local field W e^{i phi}
        def rhs(_t, phi):
            c, s = np.cos(phi), np.sin(phi)
            f = c * (W @ s) - s * (W @ c) - h * np.sin(phi - psi)
            if b != 0.0:
                # -b dC/dphi_o with C = -log(1 + cos(phi_o - tau_o)): -b tan((phi_o - tau_o) / 2)
                f[outputs] -= b * np.tan(0.5 * (phi[outputs] - target))
            return f * free
        return rhs

    evals = 0
    relaxations = 0
    t0 = time.process_time()
    for _ in range(job["steps"]):
        for x, y in zip(job["x"], job["y"]):
            for _ in range(job["mInit"]):
                phi0 = rng.uniform(-np.pi, np.pi, n)
                phi0[inputs] = x
                tau = np.asarray(y, dtype=float)
                r = solve_ivp(flow(tau, 0.0), (0.0, T), phi0, method="LSODA", rtol=tol, atol=tol)
                r2 = solve_ivp(flow(tau, beta), (0.0, T), r.y[:, -1], method="LSODA", rtol=tol, atol=tol)
                evals += r.nfev + r2.nfev
                relaxations += 2
    cpu = time.process_time() - t0
    print(json.dumps({
        "cpu_s_per_step": cpu / job["steps"], "steps_timed": job["steps"], "relaxations": relaxations,
        "rhs_evals_per_relaxation": evals / relaxations, "scipy": scipy.__version__,
    }))


if __name__ == "__main__":
    main()
