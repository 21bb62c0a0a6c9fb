// The XY force kernel against C: the same math written in C, compiled with gcc -O2 here, run on the
// same 80x80 lattice (random couplings and bias fields, fixed seeds) for the same sweeps. Both must
// give the same forces; the figure is edge updates per CPU second and the ratio TS/C. The C side
// follows the current TS kernel step by step (per-node sin/cos by one range reduction and two
// polynomials, the bias torque, then sin(phi_i - phi_j) = sn_i cs_j - cs_i sn_j scattered to both ends
// of each edge). The TS side is what the simulator uses: the WebAssembly SIMD kernel (xy-wasm.ts) where
// the engine has it. The C side is built twice: with the quadrant switch of sincos.ts and with the bit
// masks the wasm kernel uses; the ratio asked for is against the faster -O2 build. The JS loops
// (compileXy(net, 'js')) and the JS kernel before them (Math.round in the range reduction, which V8
// compiles into code twice as slow as floor(v + 0.5)) are measured alongside. The machine is shared,
// so each variant is timed REPS times, interleaved, and the best time counts.
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

/* The same values with the quadrant picked by bit masks instead of the switch (what the wasm kernel
   does): the low bits of k + 1.5*2^52 are k's low two's complement bits; bit 0 swaps sin and cos,
   bit 0 xor bit 1 negates cos, bit 1 negates sin. Random phases make the switch mispredict. */
static void sincos_into_mask(const double *phi, int n, double *cs, double *sn) {
  const uint64_t SIGN = 1ull << 63;
  for (int i = 0; i < n; i++) {
    double x = phi[i];
    if (!(x < 1e5 && x > -1e5)) { cs[i] = cos(x); sn[i] = sin(x); continue; }
    double k = floor(x * TWO_OVER_PI + 0.5);
    double r = x - k * PIO2_HI - k * PIO2_MID - k * PIO2_LO;
    double z = r * r;
    double s = r + r * z * (S3 + z * (S5 + z * (S7 + z * (S9 + z * (S11 + z * (S13 + z * (S15 + z * S17)))))));
    double c = 1 + z * (C2 + z * (C4 + z * (C6 + z * (C8 + z * (C10 + z * (C12 + z * (C14 + z * (C16 + z * C18))))))));
    double kb = k + 6755399441055744.0;
    uint64_t u, su, cu, a, b;
    memcpy(&u, &kb, 8); memcpy(&su, &s, 8); memcpy(&cu, &c, 8);
    uint64_t sw = -(u & 1);
    a = ((su & sw) | (cu & ~sw)) ^ (((u ^ (u << 1)) << 62) & SIGN);
    b = ((cu & sw) | (su & ~sw)) ^ ((u << 62) & SIGN);
    memcpy(&cs[i], &a, 8); memcpy(&sn[i], &b, 8);
  }
}

static int n, m, nb;
static uint32_t *ei, *ej;
static double *w, *hx, *hy, *phi, *cs, *sn;

static int use_mask;

static void energy_grad(const double *p, double *out) {
  if (use_mask) sincos_into_mask(p, n, cs, sn); else sincos_into(p, n, cs, sn);
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
  if (argc != 5) { fprintf(stderr, "usage: kernel IN OUT SWEEPS switch|mask\n"); return 2; }
  use_mask = strcmp(argv[4], "mask") == 0;
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
  const network = buildNetwork(parseBuilderString(SPEC), { inputs: 2, outputs: 1 }, 1)
  // what the simulator compiles (the WebAssembly SIMD kernel where the engine has it) and the JS loops
  const net = compileXy(network), jsNet = compileXy(network, 'js')
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
  const jsLoops: Kernel = (p, off, out) => { xyEnergyGrad(jsNet, p, off, out) }
  const previous: Kernel = (p, off, out) => previousGrad(jsNet, p, off, out)
  const runC = (path: string, quadrant: 'switch' | 'mask') => execFileSync(path, [inFile, outFile, String(SWEEPS), quadrant], { encoding: 'utf8' }).trim().split(' ').map(Number)
  const readC = () => { const raw = readFileSync(outFile); return new Float64Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength)) }

  const C_VARIANTS = [['O2', 'switch'], ['O2', 'mask'], ['O3', 'switch'], ['O3', 'mask']] as const
  const best: Record<string, number> = {}
  const keep = (key: string, sec: number) => { best[key] = Math.min(best[key] ?? Infinity, sec) }
  let tsCheck = 0
  for (let r = 0; r < REPS; r++) {
    const a = timeTs(current, net.n, phi)
    if (a.s < (best.ts ?? Infinity)) tsCheck = a.check
    keep('ts', a.s)
    keep('js', timeTs(jsLoops, net.n, phi).s)
    keep('previous', timeTs(previous, net.n, phi).s)
    if (!gcc) continue
    for (const [o, q] of C_VARIANTS) keep(`c_${o}_${q}`, runC(exe[o], q)[0])
  }
  const tsForces = forcesOf(current, net.n, phi), scale = maxAbs(tsForces)
  for (const [name, k] of [['JS loops', jsLoops], ['previous', previous]] as const) {
    if (!(maxAbsDiff(forcesOf(k, net.n, phi), tsForces) <= 1e-12 * scale)) throw new Error(`the ${name} and current kernels disagree`)
  }
  let diff = NaN
  if (gcc) {
    diff = 0
    for (const [o, q] of C_VARIANTS) {
      const [, check] = runC(exe[o], q)
      const d = maxAbsDiff(tsForces, readC())
      if (!(d <= 1e-12 * scale)) throw new Error(`TS and C ${o} ${q} forces differ by ${d} (max |force| ${scale})`)
      diff = Math.max(diff, d)
      if (!(Math.abs(tsCheck - check) <= 1e-9 * Math.max(1, Math.abs(check)))) throw new Error(`checksums differ: TS ${tsCheck}, C ${o} ${q} ${check}`)
    }
  }
  const rate = (s: number | undefined) => s !== undefined && Number.isFinite(s) ? Math.round((net.m * SWEEPS) / s) : null
  const ratio = (s: number | undefined) => gcc && s !== undefined ? Number((s / best.ts).toFixed(3)) : null
  // the ratio asked for is against the faster of the two -O2 builds of the same math
  const cO2 = gcc ? Math.min(best.c_O2_switch, best.c_O2_mask) : undefined
  const cO3 = gcc ? Math.min(best.c_O3_switch, best.c_O3_mask) : undefined
  emit({
    bench: 'xy-kernel-80x80', units: 'edge updates per CPU second (one force evaluation = all edges + per-node trig + bias)',
    ts_kernel: net.kernel ? 'wasm-simd' : 'js', ts_edge_updates_per_s: rate(best.ts),
    c_O2_edge_updates_per_s: rate(cO2), ratio_ts_over_c: ratio(cO2), goal_ratio: 1,
    c_O2_switch_edge_updates_per_s: rate(best.c_O2_switch), ratio_ts_over_c_O2_switch: ratio(best.c_O2_switch),
    c_O2_mask_edge_updates_per_s: rate(best.c_O2_mask), ratio_ts_over_c_O2_mask: ratio(best.c_O2_mask),
    c_O3_edge_updates_per_s: rate(cO3), ratio_ts_over_c_O3: ratio(cO3),
    js_loops_edge_updates_per_s: rate(best.js), speedup_over_js_loops: Number((best.js / best.ts).toFixed(2)),
    ts_previous_edge_updates_per_s: rate(best.previous), speedup_over_previous: Number((best.previous / best.ts).toFixed(2)),
    ts_us_per_force_eval: Number((1e6 * best.ts / SWEEPS).toFixed(1)), c_O2_us_per_force_eval: gcc ? Number((1e6 * cO2! / SWEEPS).toFixed(1)) : null,
    max_abs_force_diff_ts_c: diff, nodes: net.n, edges: net.m, sweeps: SWEEPS, reps: REPS, gcc: gcc || null,
  })
} finally {
  rmSync(dir, { recursive: true, force: true })
}
