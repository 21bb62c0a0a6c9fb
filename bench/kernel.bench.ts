// The XY force kernel against C: the same math written in C, compiled with gcc -O2 here, run on the
// same 80x80 lattice (random couplings and bias fields, fixed seeds) for the same sweeps. Both must
// give the same forces; the figure is edge updates per CPU second and the ratio TS/C. The C side
// follows the current TS kernel step by step (per-node sin/cos by one range reduction and two
// polynomials, the bias torque, then sin(phi_i - phi_j) = sn_i cs_j - cs_i sn_j scattered to both ends
// of each edge). The kernel as it was before (Math.round in the range reduction, which V8 compiles
// into code twice as slow as floor(v + 0.5)) is measured alongside. The machine is shared, so each
// variant is timed REPS times, interleaved, and the best time counts.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { compileXy, xyEnergyGrad, type XyNet } from '../src/core/physics/xy.ts'
import { Rng } from '../src/core/rng/rng.ts'
import { buildNetwork, parseBuilderString } from '../src/core/topology/index.ts'

const emit = (o: object) => process.stdout.write(JSON.stringify(o) + '\n')
const SPEC = 'lattice:80x80:bias=random'
const B = 8 // phase vectors taken in turn, so no sweep repeats the previous one's inputs
const SWEEPS = Number(process.env.KERNEL_SWEEPS ?? 4000)
const REPS = Number(process.env.KERNEL_REPS ?? 5)

// The previous kernel's sin/cos, restated for the comparison: as sincos.ts but with Math.round.
const PIO2 = Math.PI / 2
const PIO2_HI = (() => { const f = new Float64Array([PIO2]); const u = new BigUint64Array(f.buffer); u[0] &= ~((1n << 20n) - 1n); return f[0] })()
const PIO2_MID = PIO2 - PIO2_HI, PIO2_LO = 6.123233995736766e-17, TWO_OVER_PI = 2 / Math.PI
const S3 = -1 / 6, S5 = 1 / 120, S7 = -1 / 5040, S9 = 1 / 362880, S11 = -1 / 39916800
const S13 = 1 / 6227020800, S15 = -1 / 1307674368000, S17 = 1 / 355687428096000
const C2 = -1 / 2, C4 = 1 / 24, C6 = -1 / 720, C8 = 1 / 40320, C10 = -1 / 3628800
const C12 = 1 / 479001600, C14 = -1 / 87178291200, C16 = 1 / 20922789888000, C18 = -1 / 6402373705728000
function previousSinCos(phi: Float64Array, off: number, n: number, cs: Float64Array, sn: Float64Array): void {
  for (let i = 0; i < n; i++) {
    const x = phi[off + i]
    if (!(x < 1e5 && x > -1e5)) { cs[i] = Math.cos(x); sn[i] = Math.sin(x); continue }
    const k = Math.round(x * TWO_OVER_PI)
    const r = x - k * PIO2_HI - k * PIO2_MID - k * PIO2_LO
    const z = r * r
    const s = r + r * z * (S3 + z * (S5 + z * (S7 + z * (S9 + z * (S11 + z * (S13 + z * (S15 + z * S17)))))))
    const c = 1 + z * (C2 + z * (C4 + z * (C6 + z * (C8 + z * (C10 + z * (C12 + z * (C14 + z * (C16 + z * C18))))))))
    switch (k & 3) {
      case 0: cs[i] = c; sn[i] = s; break
      case 1: cs[i] = -s; sn[i] = c; break
      case 2: cs[i] = -c; sn[i] = -s; break
      default: cs[i] = s; sn[i] = -c
    }
  }
}

/** The previous TS force kernel (dE/dphi into out), kept here as the baseline. */
function previousGrad(net: XyNet, phi: Float64Array, off: number, out: Float64Array): void {
  const { n, m, ei, ej, w, cs, sn, hx, hy } = net
  previousSinCos(phi, off, n, cs, sn)
  for (let i = 0; i < n; i++) out[i] = hx[i] * sn[i] - hy[i] * cs[i]
  for (let k = 0; k < m; k++) {
    const i = ei[k], j = ej[k]
    const s = w[k] * (sn[i] * cs[j] - cs[i] * sn[j])
    out[i] += s
    out[j] -= s
  }
}

// The C side: the same range reduction and polynomials as src/core/physics/sincos.ts and the same
// loops as xyEnergyGrad. Plain -O2 and no -march, so neither side fuses multiply-adds and the two
// agree to the last bit. It times itself in CPU seconds and writes the forces of every phase vector.
const C_SOURCE = String.raw`
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double PIO2_HI, PIO2_MID;
static const double PIO2 = 1.5707963267948966, PIO2_LO = 6.123233995736766e-17, TWO_OVER_PI = 2 / 3.141592653589793;
static const double S3 = -1.0 / 6, S5 = 1.0 / 120, S7 = -1.0 / 5040, S9 = 1.0 / 362880, S11 = -1.0 / 39916800,
  S13 = 1.0 / 6227020800, S15 = -1.0 / 1307674368000, S17 = 1.0 / 355687428096000;
static const double C2 = -1.0 / 2, C4 = 1.0 / 24, C6 = -1.0 / 720, C8 = 1.0 / 40320, C10 = -1.0 / 3628800,
  C12 = 1.0 / 479001600, C14 = -1.0 / 87178291200, C16 = 1.0 / 20922789888000, C18 = -1.0 / 6402373705728000;

static void sincos_into(const double *phi, int n, double *cs, double *sn) {
  for (int i = 0; i < n; i++) {
    double x = phi[i];
    if (!(x < 1e5 && x > -1e5)) { cs[i] = cos(x); sn[i] = sin(x); continue; }
    double k = floor(x * TWO_OVER_PI + 0.5);
    double r = x - k * PIO2_HI - k * PIO2_MID - k * PIO2_LO;
    double z = r * r;
    double s = r + r * z * (S3 + z * (S5 + z * (S7 + z * (S9 + z * (S11 + z * (S13 + z * (S15 + z * S17)))))));
    double c = 1 + z * (C2 + z * (C4 + z * (C6 + z * (C8 + z * (C10 + z * (C12 + z * (C14 + z * (C16 + z * C18))))))));
    switch (((int64_t)k) & 3) {
      case 0: cs[i] = c; sn[i] = s; break;
      case 1: cs[i] = -s; sn[i] = c; break;
      case 2: cs[i] = -c; sn[i] = -s; break;
      default: cs[i] = s; sn[i] = -c;
    }
  }
}

static int n, m, nb;
static uint32_t *ei, *ej;
static double *w, *hx, *hy, *phi, *cs, *sn;

static void energy_grad(const double *p, double *out) {
  sincos_into(p, n, cs, sn);
  for (int i = 0; i < n; i++) out[i] = hx[i] * sn[i] - hy[i] * cs[i];
  for (int k = 0; k < m; k++) {
    uint32_t i = ei[k], j = ej[k];
    double s = w[k] * (sn[i] * cs[j] - cs[i] * sn[j]);
    out[i] += s;
    out[j] -= s;
  }
}

static void *slurp(FILE *f, size_t bytes) {
  void *p = malloc(bytes ? bytes : 1);
  if (fread(p, 1, bytes, f) != bytes) { fprintf(stderr, "short input\n"); exit(2); }
  return p;
}

int main(int argc, char **argv) {
  double pio2 = PIO2; uint64_t u; memcpy(&u, &pio2, 8); u &= ~((1ull << 20) - 1); memcpy(&PIO2_HI, &u, 8);
  PIO2_MID = PIO2 - PIO2_HI;
  if (argc != 4) { fprintf(stderr, "usage: kernel IN OUT SWEEPS\n"); return 2; }
  FILE *f = fopen(argv[1], "rb");
  int32_t hdr[3]; if (!f || fread(hdr, 4, 3, f) != 3) { fprintf(stderr, "bad input\n"); return 2; }
  n = hdr[0]; m = hdr[1]; nb = hdr[2];
  ei = slurp(f, 4 * (size_t)m); ej = slurp(f, 4 * (size_t)m);
  w = slurp(f, 8 * (size_t)m); hx = slurp(f, 8 * (size_t)n); hy = slurp(f, 8 * (size_t)n);
  phi = slurp(f, 8 * (size_t)n * nb);
  fclose(f);
  cs = malloc(8 * (size_t)n); sn = malloc(8 * (size_t)n);
  double *out = malloc(8 * (size_t)n * nb);
  long sweeps = atol(argv[3]);
  double check = 0;
  for (long s = 0; s < sweeps / 10; s++) { energy_grad(phi + (s % nb) * n, out); check += out[s % n]; }
  struct timespec t0, t1;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
  for (long s = 0; s < sweeps; s++) { energy_grad(phi + (s % nb) * n, out); check += out[s % n]; }
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
  for (int b = 0; b < nb; b++) energy_grad(phi + (size_t)b * n, out + (size_t)b * n);
  FILE *o = fopen(argv[2], "wb");
  fwrite(out, 8, (size_t)n * nb, o);
  fclose(o);
  printf("%.9f %.17g\n", (t1.tv_sec - t0.tv_sec) + 1e-9 * (t1.tv_nsec - t0.tv_nsec), check);
  return 0;
}
`

function inputFile(net: XyNet, phi: Float64Array): Buffer {
  const parts: ArrayBufferView[] = [Int32Array.from([net.n, net.m, B]), net.ei, net.ej, net.w, net.hx, net.hy, phi]
  return Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength)))
}

type Kernel = (phi: Float64Array, off: number, out: Float64Array) => void

/** CPU seconds for SWEEPS force evaluations of one phase vector each (after a warm-up), and a checksum. */
function timeTs(kern: Kernel, n: number, phi: Float64Array): { s: number; check: number } {
  const out = new Float64Array(n)
  let check = 0
  for (let s = 0; s < SWEEPS / 10; s++) { kern(phi, (s % B) * n, out); check += out[s % n] }
  const t0 = process.cpuUsage()
  for (let s = 0; s < SWEEPS; s++) { kern(phi, (s % B) * n, out); check += out[s % n] }
  const u = process.cpuUsage(t0)
  return { s: (u.user + u.system) / 1e6, check }
}

function forcesOf(kern: Kernel, n: number, phi: Float64Array): Float64Array {
  const out = new Float64Array(n), all = new Float64Array(B * n)
  for (let b = 0; b < B; b++) { kern(phi, b * n, out); all.set(out, b * n) }
  return all
}

const maxAbsDiff = (a: Float64Array, b: Float64Array) => a.reduce((d, v, k) => Math.max(d, Math.abs(v - b[k])), 0)
const maxAbs = (a: Float64Array) => a.reduce((d, v) => Math.max(d, Math.abs(v)), 0)

const dir = mkdtempSync(join(tmpdir(), 'eqprop-kernel-'))
try {
  const net = compileXy(buildNetwork(parseBuilderString(SPEC), { inputs: 2, outputs: 1 }, 1))
  const rng = new Rng(2)
  const phi = Float64Array.from({ length: B * net.n }, () => rng.uniform(-Math.PI, Math.PI))
  const cFile = join(dir, 'kernel.c'), inFile = join(dir, 'in.bin'), outFile = join(dir, 'out.bin')
  writeFileSync(cFile, C_SOURCE)
  writeFileSync(inFile, inputFile(net, phi))
  // -O2 is the comparison asked for; -O3 (what the first figure used) is printed alongside
  const exe = { O2: join(dir, 'kernel-O2'), O3: join(dir, 'kernel-O3') }
  let gcc = ''
  try {
    for (const [o, path] of Object.entries(exe)) execFileSync('gcc', [`-${o}`, '-o', path, cFile, '-lm'], { stdio: ['ignore', 'ignore', 'inherit'] })
    gcc = execFileSync('gcc', ['-dumpfullversion'], { encoding: 'utf8' }).trim()
  } catch (e) {
    process.stderr.write(`kernel bench: no C comparison (${(e as Error).message.split('\n')[0]})\n`)
  }
  const current: Kernel = (p, off, out) => { xyEnergyGrad(net, p, off, out) }
  const previous: Kernel = (p, off, out) => previousGrad(net, p, off, out)
  const runC = (path: string) => execFileSync(path, [inFile, outFile, String(SWEEPS)], { encoding: 'utf8' }).trim().split(' ').map(Number)

  let tsS = Infinity, prevS = Infinity, cS = Infinity, c3S = Infinity, tsCheck = 0, cCheck = 0
  for (let r = 0; r < REPS; r++) {
    const a = timeTs(current, net.n, phi)
    if (a.s < tsS) { tsS = a.s; tsCheck = a.check }
    prevS = Math.min(prevS, timeTs(previous, net.n, phi).s)
    if (!gcc) continue
    const [s3] = runC(exe.O3)
    c3S = Math.min(c3S, s3)
    const [s2, check] = runC(exe.O2)
    if (s2 < cS) { cS = s2; cCheck = check }
  }
  const tsForces = forcesOf(current, net.n, phi), prevForces = forcesOf(previous, net.n, phi), scale = maxAbs(tsForces)
  if (!(maxAbsDiff(prevForces, tsForces) <= 1e-12 * scale)) throw new Error('the previous and current TS kernels disagree')
  let diff = NaN
  if (gcc) {
    // out.bin holds the -O2 build's forces (it ran last)
    const raw = readFileSync(outFile)
    const cForces = new Float64Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength))
    diff = maxAbsDiff(tsForces, cForces)
    if (!(diff <= 1e-12 * scale)) throw new Error(`TS and C forces differ by ${diff} (max |force| ${scale})`)
    if (!(Math.abs(tsCheck - cCheck) <= 1e-9 * Math.max(1, Math.abs(cCheck)))) throw new Error(`checksums differ: TS ${tsCheck}, C ${cCheck}`)
  }
  const rate = (s: number) => Number.isFinite(s) ? Math.round((net.m * SWEEPS) / s) : null
  emit({
    bench: 'xy-kernel-80x80', units: 'edge updates per CPU second (one force evaluation = all edges + per-node trig + bias)',
    ts_edge_updates_per_s: rate(tsS), c_O2_edge_updates_per_s: rate(cS), ratio_ts_over_c: gcc ? Number((cS / tsS).toFixed(3)) : null, goal_ratio: 1,
    c_O3_edge_updates_per_s: rate(c3S), ratio_ts_over_c_O3: gcc ? Number((c3S / tsS).toFixed(3)) : null,
    ts_previous_edge_updates_per_s: rate(prevS), speedup_over_previous: Number((prevS / tsS).toFixed(2)),
    ts_us_per_force_eval: Number((1e6 * tsS / SWEEPS).toFixed(1)), c_us_per_force_eval: gcc ? Number((1e6 * cS / SWEEPS).toFixed(1)) : null,
    max_abs_force_diff_ts_c: diff, nodes: net.n, edges: net.m, sweeps: SWEEPS, reps: REPS, gcc: gcc || null,
  })
} finally {
  rmSync(dir, { recursive: true, force: true })
}
