"""The OIM EqProp peer's training step (arXiv 2505.02103 code, as restated in shared/research/substrates.md 1.5-1.6),
rewritten from that description in numpy for a side-by-side speed reference: a layered OIM, batch B, phases start at
pi/2, T1 explicit Euler steps of size eps on the free phase and T2 on the nudged phase (beta, MSE on cos), then the
one-sided EqProp update of every coupling. Prints one JSON line. Not a copy of the peer's code."""
import json, sys, time
import numpy as np

sizes = [int(v) for v in sys.argv[1].split(',')] if len(sys.argv) > 1 else [784, 500, 10]
B = int(sys.argv[2]) if len(sys.argv) > 2 else 64
steps = int(sys.argv[3]) if len(sys.argv) > 3 else 6
T1, T2, eps, beta, lr = 20, 4, 0.1, 0.01, 0.01
rng = np.random.default_rng(0)
W = [rng.uniform(-1, 1, (a, b)) / np.sqrt(a) for a, b in zip(sizes[:-1], sizes[1:])]
h = [rng.uniform(-1, 1, b) / np.sqrt(a) for a, b in zip(sizes[:-1], sizes[1:])]
x = rng.uniform(0, 1, (B, sizes[0]))
y = -np.ones((B, sizes[-1])); y[np.arange(B), rng.integers(0, sizes[-1], B)] = 1


def relax(phi, T, nudge):
    # dphi/dt = -dE/dphi for E = -sum W cos(phi_i - phi_j) - x W0 cos phi_1 - h cos phi, plus beta/2 (cos phi_out - y)^2
    for _ in range(T):
        c = [np.cos(p) for p in phi]
        s = [np.sin(p) for p in phi]
        g = []
        for k in range(len(phi)):
            below_c = x if k == 0 else c[k - 1]
            below_s = np.zeros_like(x) if k == 0 else s[k - 1]
            fc = below_c @ W[k] + h[k]
            fs = below_s @ W[k]
            if k + 1 < len(phi):
                fc = fc + c[k + 1] @ W[k + 1].T
                fs = fs + s[k + 1] @ W[k + 1].T
            gk = s[k] * fc - c[k] * fs  # dE/dphi
            if nudge and k == len(phi) - 1:
                gk = gk - beta * (c[k] - y) * s[k]
            g.append(gk)
        phi = [p - eps * gk for p, gk in zip(phi, g)]
    return phi


def observables(phi):
    c = [np.cos(p) for p in phi]
    s = [np.sin(p) for p in phi]
    out = []
    for k in range(len(phi)):
        if k == 0:
            out.append(x.T @ c[0])
        else:
            out.append(c[k - 1].T @ c[k] + s[k - 1].T @ s[k])
    return out


def step():
    phi = [np.full((B, n), np.pi / 2) for n in sizes[1:]]
    free = relax(phi, T1, False)
    nudged = relax(free, T2, True)
    of, on = observables(free), observables(nudged)
    for k in range(len(W)):
        W[k] += lr / (beta * B) * (on[k] - of[k])


step()  # warm-up
t0, c0 = time.perf_counter(), time.process_time()
for _ in range(steps):
    step()
wall, cpu = time.perf_counter() - t0, time.process_time() - c0
print(json.dumps({'samples_per_s': round(steps * B / wall, 1), 'samples_per_cpu_s': round(steps * B / cpu, 1), 'wall_s': round(wall, 3),
                  'force_evals_per_sample': T1 + T2, 'numpy': np.__version__}))
