// eqprop-hil train: EqProp training on the built-in XY simulator, no daemon needed.
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { ESTIMATOR_NAMES } from '../../core/eqprop/estimators.ts'
import { LR_SCHEDULES } from '../../core/eqprop/lr-schedule.ts'
import { SOLVER_NAMES } from '../../core/solvers/system.ts'
import { BOARD_FLAGS, boardFlags, simFlags } from '../board-flags.ts'
import { TrainConfig } from '../../engine/config.ts'
import { networkFromArg } from '../../services/networks.ts'
import { asModel, withInputValues, withResistorGain } from '../../services/substrates.ts'
import { EqpError } from '../../errors.ts'
import { replicateOutputs } from '../../core/topology/replicas.ts'
import { SCHEDULE_KINDS } from '../../core/solvers/anneal.ts'
import { MODEL_NAMES } from '../../core/network/network.ts'
import { evaluateOnSimulator, trainOnSimulator, TrainJob, type TaskLoader, type TrainJobInput, type TrainOutcome } from '../../services/training.ts'
import { resolveTask } from '../../services/datasets/local.ts'
import { defaultDataDir } from '../../api/config.ts'
import { describeKernels, initDenseBackend, kernelsWorthSaying } from '../../services/kernels.ts'
import { trainOnDevice, type DeviceTargetInput } from '../../services/boards.ts'
import { trainWithTwinOnTarget } from '../../services/twin/on-target.ts'
import type { IdentifyReport } from '../../services/twin/identify.ts'
import type { EngineEvent } from '../../engine/events.ts'
import { CurveRecorder, STATE_PLOTS, writePlots, writeRunPlots } from '../../services/plots/run-plots.ts'
import { countParameters } from '../../core/topology/index.ts'
import type { Network } from '../../core/network/network.ts'
import { fitText, progressPrinter } from '../progress.ts'
import { num, oneOf, parseFlags, required, UsageError } from '../usage.ts'

export const TRAIN_HELP = `eqprop-hil train --task xor|iris|mnist|FILE.csv|UPLOADED --network SPEC|FILE.json [options]

  --task T            dataset: xor, iris, digits (or mnist), digits14, digits8, fashion, sk-digits, sine-product
                      (regression), patterns; a CSV file (a header row,
                      numeric feature columns and a label column); or a table uploaded to a daemon ('eqprop-hil
                      datasets upload'), read from its --data-dir
  --label COL         CSV task: the label column (default: a column named 'label', else the last one)
  --test-fraction F   CSV task: share of each class held out for testing (default 0.2)
  --regression        CSV task: the label column is a numeric target (regression: MSE and R^2 instead of accuracy)
  --data-dir DIR      the daemon's data directory, for uploaded tasks (default $EQP_DATA_DIR, else serve's default)
  --val-fraction F    hold out F of the training rows (stratified, 0 < F <= 0.5) as a validation split for the
                      periodic evaluations and the best checkpoint (default 0: they use the test split)
  --network N         builder string (all-to-all:6, layered:4,10,3, lattice:5x5, lattice:15x15:n8:skip=2,
                      lattice:15x15:in=6,6;7,10:out=10,8, with :std=X and :bias=directions|zero|random) or a network JSON file;
                      stacked:LxRxC[:n0|n4|n8][:r=R] and lcl:HxW:cCkKsS[,...][:pad=same][:tied] (:tied shares kernels, CNN-like;
                      see docs/reference/network-builders.md)
  --network-seed S    seed of the network's random couplings (default: --seed)
  --substrate M       ${MODEL_NAMES.join(' | ')}: simulate this substrate (default: the network file's model, else xy);
                      oim, resistor and ising read inputs and targets through sin (+-pi/2 -> +-1), see docs/explanation/substrates.md
  --input-gain G      resistor: the input stage drives the sources at G x (default 1; docs/explanation/substrates.md)
  --layer-gain A      resistor: bidirectional amplifiers (voltage gain A forward, current gain 1/A back) between
                      consecutive free layers, one value for every boundary or A1,A2,... (default none)
  --input-values V    oim | resistor | ising: clamp dataset values as signed (sin v in [-1, 1], default) or unit
                      ((1 + sin v)/2 in [0, 1]: a blank pixel clamps 0, as the OIM anchors feed pixels)
  --copies K          ising: K spins per output, read out by their mean (default 1; docs/explanation/substrates.md)
  --sweeps N          ising: Metropolis sweeps of one forward anneal (default 100)
  --reads N           ising: anneals per sample, the lowest-energy read returned (default 1)
  --anneal-schedule S ising: geometric | linear inverse-temperature schedule (default geometric)
  --beta-hot B, --beta-cold B
                      ising: inverse temperatures (1/J units) at the hot and cold ends (default 0.1, 10)
  --reverse-point P   ising: schedule position a reverse anneal goes back to, 0 hottest .. 1 coldest (default 0.5)
  --reverse-hold N    ising: sweeps held at the reverse point (default 0)
  --estimator E       ${ESTIMATOR_NAMES.join(' | ')} (default one-sided)
  --beta B            nudge strength (default 0.1)
  --lr L              learning rate (default 0.1)
  --lr-schedule S     constant | cosine | linear: decay the rate over the run's steps to --lr-final x --lr at the
                      last step (default constant)
  --lr-final F        where the decay ends, as a fraction of --lr, 0..1 (default 0)
  --optimiser O       sgd | momentum | adam (default sgd)
  --epochs K          passes over the training set (default 100)
  --batch S           samples per step (default 16; XOR has 4)
  --m-init M          random restarts of the free phase per sample (default 1)
  --m-init-select S   mean | lowest: average the restarts' gradients (default), or train on (and score) the
                      restart of lowest energy only, as an annealed board would settle (docs/explanation/results.md)
  --no-bias           do not train the bias fields h, psi
  --bias-lr-scale S   learning rate of h and psi relative to --lr (default 1)
  --layer-lr-scale A,B,...
                      learning rates of the couplings relative to --lr, one per depth from the inputs (layered
                      784,500,10: two, the couplings into the hidden layer and into the outputs; default 1)
  --learning W        auto | host: auto lets a board that offers on-board learning apply the update itself
                      when the run fits its rule (one-sided, sgd, continuous ranges); host always
                      computes updates on the host (default auto; docs/how-to/on-board-learning.md)
  --solver S          ${SOLVER_NAMES.join(' | ')} (default auto: implicit-flow, or flow-newton on
                      folded layered nets; eliminate = the fastest on layered XY and OIM nets (hidden
                      layer at its single-node minima, Newton on the rest); docs/explanation/relaxation-dynamics.md)
  --tol T             settle when max |force| < T (default 1e-6)
  --dynamics D        converged | reference: relax with --solver until settled (default), or integrate the
                      gradient flow for a fixed time with no convergence test, as the published XY code does
                      (docs/explanation/relaxation-dynamics.md)
  --dynamics-t T      reference dynamics: model time to integrate (default 100)
  --kernel K          auto | dense | typed: XY force kernel (default auto; docs/explanation/dense-kernels.md)
  --batching B        lockstep | per-sample: how solver eliminate runs a batch (default lockstep where built:
                      XY and OIM, dense kernel, one hidden layer), and how a layered resistor network does (default
                      lockstep: layer by layer over the batch, same bits); docs/explanation/performance.md
  --workers N|auto    relax on N worker threads: XY, OIM and resistor networks (default auto: all cores from 20,000 couplings; same results)
  --train-per-class K train on the first K training rows of each class (the test split stays whole)
  --fleet N           data-parallel over N simulated boards, board k with device seed --device-seed + k
                      (each relaxes a shard of every batch; all apply the same averaged update)
  --serial PATH       train a board on this serial port or pty instead of the simulator
  --mqtt URL --uid U  train the board with uid U on the MQTT broker at URL (mqtt://host:port,
                      mqtt://user:password@host:port, mqtts://...; the board must be online there)
  --device D          sim (default) | serial:PATH (same as --serial) | sim-wire: the simulator at a board's
                      resolution (f32 parameters, 2^-13 rad states), what a board run must reproduce exactly
  --baud N            serial line rate (default 115200); sets the default reply timeout
  --pace              pace writes to --baud (a pty has no rate of its own)
  --reply-timeout S   seconds to wait for a board's reply before resending (default 0.1 + two frame times)
  --outage-timeout S  fail once the board has been unreachable this long (default: wait)
  --window N          board commands in flight at most (SPEC 5.3; default 8, the board may allow fewer;
                      1 = stop-and-wait)
  --coupling-levels N quantise couplings to N levels over --coupling-range (board emulation; default 0 = off)
  --coupling-range A,B
  --readout-bits N    simulator reads phases with N bits over (-pi, pi] (resistor: node voltages, N-bit ADC over
                      +-max(1, gains) V) (default: exact)
  --noise SIGMA       Langevin noise: Euler-Maruyama, sigma*sqrt(dt) per step, dt 0.05 for 20 time units
                      (resistor: thermal noise on the node voltages after relaxing, exact per-node steps)
  --variation V       fixed per-device coupling gain error 1 + V*N(0,1) (default 0)
  --device-seed S     picks the device's gain errors and drift (default 0)
  --drift D           couplings random-walk by D (std) per relax call (default 0)
  --eval-every K      test evaluation every K epochs (default 10; 0 = only at the end)
  --pretrain twin     identify the board (as eqprop-hil identify), train on its digital twin, write the learned
                      couplings as setpoints corrected for the identified gain and offset, then fine-tune on the
                      board (docs/how-to/digital-twin.md); default none
  --twin-epochs K     epochs on the twin (default --epochs)
  --board-epochs K    epochs of fine-tuning on the board (default --epochs; --stop-at-d ends it early)
  --board-lr L        learning rate of the fine-tuning on the board (default --lr; its optimiser starts afresh)
  --twin-samples N    free equilibria per setpoint vector when identifying (default 128)
  --stop-at-d D       stop early once an epoch's mean training distance D is below D
  --seed S            run seed (default 0)
  --out FILE          trained network JSON (default out/<task>-seed<S>.json); the network at the best periodic
                      evaluation is written beside it as <out without .json>.best.json
  --json              print one JSON summary line on stdout instead of text
  --verbose           also print the dense-kernel backend on stderr, and why faster ones were skipped
  --plots DIR         write curve.png, phases.png, couplings.png and response.png into DIR at the end
  --plots-every K     also write DIR/epoch-<e>/phases.png, couplings.png, response.png after every K-th epoch (simulator runs)`

export async function trainCommand(args: string[]): Promise<number> {
  const f = parseFlags(args, {
    plots: { type: 'string' }, 'plots-every': { type: 'string' },
    task: { type: 'string' }, network: { type: 'string' }, 'network-seed': { type: 'string' }, substrate: { type: 'string' }, copies: { type: 'string' },
    'input-gain': { type: 'string' }, 'layer-gain': { type: 'string' }, 'input-values': { type: 'string' },
    sweeps: { type: 'string' }, reads: { type: 'string' }, 'anneal-schedule': { type: 'string' }, 'beta-hot': { type: 'string' }, 'beta-cold': { type: 'string' },
    'reverse-point': { type: 'string' }, 'reverse-hold': { type: 'string' },
    estimator: { type: 'string' }, beta: { type: 'string' }, lr: { type: 'string' }, 'lr-schedule': { type: 'string' }, 'lr-final': { type: 'string' }, optimiser: { type: 'string' },
    epochs: { type: 'string' }, batch: { type: 'string' }, 'm-init': { type: 'string' }, 'm-init-select': { type: 'string' }, 'no-bias': { type: 'boolean' }, 'bias-lr-scale': { type: 'string' }, 'layer-lr-scale': { type: 'string' }, learning: { type: 'string' },
    ...BOARD_FLAGS, workers: { type: 'string' }, fleet: { type: 'string' }, 'train-per-class': { type: 'string' },
    'eval-every': { type: 'string' }, 'stop-at-d': { type: 'string' }, seed: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' }, verbose: { type: 'boolean' },
    baud: { type: 'string' }, pace: { type: 'boolean' }, 'reply-timeout': { type: 'string' }, 'outage-timeout': { type: 'string' }, window: { type: 'string' },
    label: { type: 'string' }, 'test-fraction': { type: 'string' }, 'data-dir': { type: 'string' }, regression: { type: 'boolean' }, 'val-fraction': { type: 'string' },
    pretrain: { type: 'string' }, 'twin-epochs': { type: 'string' }, 'board-epochs': { type: 'string' }, 'board-lr': { type: 'string' }, 'twin-samples': { type: 'string' },
  })
  const taskArg = required(f.task, 'task')
  const seed = num(f.seed, 'seed', 0, { int: true, min: 0, max: 2 ** 32 - 1 })
  const source = await resolveTask(taskArg, f['data-dir'] ?? (process.env.EQP_DATA_DIR || defaultDataDir()), {
    labelColumn: f.label, testFraction: f['test-fraction'] === undefined ? undefined : num(f['test-fraction'], 'test-fraction', 0.2, { min: 0, max: 0.9 }),
    ...(f.regression ? { kind: 'regression' as const } : {}),
  }, '--task')
  const task = source.name
  const data = source.load(taskArg, seed)
  const valFraction = num(f['val-fraction'], 'val-fraction', 0, { min: 0, max: 0.5 })
  const built = networkFromArg(required(f.network, 'network'), { inputs: data.nIn, outputs: data.nOut }, num(f['network-seed'], 'network-seed', seed, { int: true, min: 0 }))
  const modelled = f.substrate === undefined ? built : asModel(built, oneOf(f.substrate, 'substrate', MODEL_NAMES, 'xy'))
  const copies = num(f.copies, 'copies', 1, { int: true, min: 1, max: 64 })
  if (copies > 1 && modelled.model !== 'ising') throw new UsageError('--copies duplicates the outputs of an Ising network (--substrate ising)')
  const network = withInputValues(withResistorGain(replicateOutputs(modelled, copies, num(f['network-seed'], 'network-seed', seed, { int: true, min: 0 })), {
    input: f['input-gain'] === undefined ? undefined : gainFlag(f['input-gain'], 'input-gain'),
    layers: f['layer-gain'] === undefined ? undefined : f['layer-gain'].split(',').map((v) => gainFlag(v, 'layer-gain')),
  }, { input: '--input-gain', layers: '--layer-gain' }), f['input-values'] === undefined ? undefined : oneOf(f['input-values'], 'input-values', ['signed', 'unit'] as const, 'signed'), '--input-values')
  if (!f.json && network.model === 'oim' && network.inputValues === undefined && data.nIn >= 64) {
    // signed pixels put every blank pixel at -1; their common field locks the hidden layer (docs/explanation/substrates.md, OIM)
    process.stderr.write('note: an OIM on images learns with --input-values unit (a blank pixel clamps 0); signed values saturate the hidden layer\n')
  }
  const annealed = annealFlags(f)
  if (annealed && network.model !== 'ising') throw new UsageError(`${annealed.flag} sets the anneal schedule of an Ising network (--substrate ising)`)
  const anneal = annealed?.anneal
  const opt = oneOf(f.optimiser, 'optimiser', ['sgd', 'momentum', 'adam'] as const, 'sgd')
  const cfg = TrainConfig.parse({
    estimator: oneOf(f.estimator, 'estimator', ESTIMATOR_NAMES, 'one-sided'),
    beta: num(f.beta, 'beta', 0.1, { gt: 0, max: 10 }),
    lr: num(f.lr, 'lr', 0.1, { gt: 0 }),
    lrSchedule: oneOf(f['lr-schedule'], 'lr-schedule', LR_SCHEDULES, 'constant'),
    lrFinalScale: num(f['lr-final'], 'lr-final', 0, { min: 0, max: 1 }),
    optimiser: { kind: opt },
    epochs: num(f.epochs, 'epochs', 100, { int: true, min: 1 }),
    batchSize: num(f.batch, 'batch', 16, { int: true, min: 1 }),
    mInit: num(f['m-init'], 'm-init', 1, { int: true, min: 1, max: 1000 }),
    mInitSelect: oneOf(f['m-init-select'], 'm-init-select', ['mean', 'lowest'] as const, 'mean'),
    trainBias: !f['no-bias'],
    biasLrScale: num(f['bias-lr-scale'], 'bias-lr-scale', 1, { min: 0 }),
    layerLrScale: f['layer-lr-scale'] === undefined ? undefined : f['layer-lr-scale'].split(',').map((v) => num(v, 'layer-lr-scale', 1, { min: 0 })),
    learning: oneOf(f.learning, 'learning', ['auto', 'host'] as const, 'auto'),
    seed,
    evalEvery: num(f['eval-every'], 'eval-every', 10, { int: true, min: 0 }),
  })
  const sim = simFlags(f)
  const out = f.out ?? `out/${task}-seed${seed}.json`
  const counts = countParameters(network)
  if (!f.json) process.stderr.write(`training ${task} on ${network.nodes} nodes / ${network.edges.length} couplings / ${counts.parameters} trainable parameters (${f.serial !== undefined ? `serial ${f.serial}` : f.mqtt !== undefined ? `mqtt ${f.uid}` : f.device ?? 'sim'}, ${sim.solver}), ${cfg.epochs} epochs\n`)
  // backend for the dense XY kernels (EQP_TF_BACKEND overrides); reported in the summary too
  const kernels = await initDenseBackend()
  // a small run never takes the dense path: the backend line would only be noise there
  if (!f.json && kernelsWorthSaying({ verbose: f.verbose === true, kernel: sim.kernel, couplings: network.edges.length })) {
    process.stderr.write(describeKernels(kernels, f.verbose === true) + '\n')
  }
  const curve = f.plots === undefined ? null : new CurveRecorder()
  const progress = curve ? curve.tap(f.json ? undefined : progressPrinter(process.stderr, cfg.epochs)) : f.json ? undefined : progressPrinter(process.stderr, cfg.epochs)
  const stopAtDistance = f['stop-at-d'] === undefined ? undefined : num(f['stop-at-d'], 'stop-at-d', 0, { gt: 0 })
  const workers = f.workers === undefined || f.workers === 'auto' ? 'auto' as const : num(f.workers, 'workers', 1, { int: true, min: 1, max: 64 })
  const device = boardFlags(f)
  const fleet = num(f.fleet, 'fleet', 1, { int: true, min: 1, max: 64 })
  if (fleet > 1 && (device !== null || (workers !== 'auto' && workers > 1))) throw new UsageError('--fleet simulates its own boards: not with --serial, --device or --workers')
  const trainPerClass = f['train-per-class'] === undefined ? undefined : num(f['train-per-class'], 'train-per-class', 0, { int: true, min: 1 })
  const job = { task: taskArg, train: cfg, sim, dataSeed: seed, stopAtDistance, workers, fleet, trainPerClass, valFraction, ...(anneal ? { anneal } : {}) }
  // per-epoch pictures: the networks are kept (parameters only change) and drawn after the run
  const plotsEvery = f['plots-every'] === undefined ? 0 : num(f['plots-every'], 'plots-every', 0, { int: true, min: 1 })
  if (plotsEvery > 0 && (f.plots === undefined || device !== null)) throw new UsageError('--plots-every needs --plots DIR and a simulator run')
  const epochNets: { epoch: number; network: Network }[] = []
  const hooks = plotsEvery > 0 ? { epochNetwork: { every: plotsEvery, onNetwork: (epoch: number, n: Network) => { epochNets.push({ epoch, network: n }) } } } : {}
  const target = device === null ? null : device.kind === 'serial' ? {
    ...device, ...linkOptions(f), baud: num(f.baud, 'baud', 115200, { int: true, min: 1 }), pace: f.pace === true,
  } : device.kind === 'mqtt' ? { ...device, ...linkOptions(f) } : { ...device, coupling: f['coupling-range'] !== undefined ? sim.coupling : undefined }
  const pretrain = oneOf(f.pretrain, 'pretrain', ['none', 'twin'] as const, 'none')
  if (pretrain === 'none' && (f['twin-epochs'] !== undefined || f['board-epochs'] !== undefined || f['board-lr'] !== undefined || f['twin-samples'] !== undefined)) throw new UsageError('--twin-epochs, --board-epochs, --board-lr and --twin-samples go with --pretrain twin')
  if (pretrain === 'twin' && (fleet > 1 || plotsEvery > 0)) throw new UsageError('--pretrain twin trains one board: not with --fleet or --plots-every')
  const r = pretrain === 'twin' ? await twinRun(network, target, job, f, progress, source.load)
    : target === null ? { ...(await trainOnSimulator(network, job, progress, hooks, source.load)), device: null, twin: null }
    : { ...(await trainOnDevice(network, target, job, progress, f.json ? undefined : deviceNotes(), source.load)), twin: null }
  mkdirSync(dirname(out), { recursive: true })
  writeFileSync(out, JSON.stringify(r.network) + '\n')
  const best = r.best && await bestCheckpoint(r.best, out, device === null ? async (n) => {
    const m = await evaluateOnSimulator(n, taskArg, { split: 'test', restarts: cfg.evalRestarts, seed, dataSeed: seed, sim }, source.load)
    return { accuracy: m.accuracy, distance: m.distance, ...fitExtras(m) }
  } : null)
  if (curve && f.plots !== undefined) {
    const files = await writeRunPlots(f.plots, { network: r.network, data, points: curve.points, label: `${task} ${f.network}`, seed })
    for (const e of epochNets) files.push(...await writePlots(join(f.plots, `epoch-${e.epoch}`), STATE_PLOTS, { network: e.network, data, label: `${task} ${f.network} epoch ${e.epoch}`, seed }))
    if (!f.json) process.stderr.write(`plots written: ${files.join(', ')}\n`)
  }
  const summary = {
    task, seed, couplings: counts.couplings, parameters: counts.parameters, epochs: r.epochs, epochs_to_d_0_01: r.epochsToD01, train: r.train, test: r.final && { accuracy: r.final.accuracy, distance: r.final.distance, ...fitExtras(r.final) },
    wall_s: Number(r.wallS.toFixed(3)), force_evals: r.forceEvals, relaxations: r.relaxations, out, kernels, best,
    ...(r.twin ? { twin: { identify: twinIdentifySummary(r.twin.identify), epochs: r.twin.twin.epochs, train: r.twin.twin.train, test: r.twin.twin.final && { accuracy: r.twin.twin.final.accuracy, distance: r.twin.twin.final.distance }, board_relaxations: r.twin.boardRelaxations } } : {}),
    ...(r.device ? { device: { uid: r.device.uid, state: r.device.state, counters: r.device.counters, diagnostics: r.device.diagnostics } } : {}),
  }
  if (f.json) process.stdout.write(JSON.stringify(summary) + '\n')
  else {
    process.stdout.write(`final train D ${r.train?.distance.toExponential(3)}  train ${r.train ? fitText(r.train, 'accuracy') : ''}\n`)
    if (r.final) process.stdout.write(`final test  D ${r.final.distance.toExponential(3)}  test ${fitText(r.final, 'accuracy')}\n`)
    if (r.twin) {
      const id = r.twin.identify, tw = r.twin.twin
      process.stdout.write(`twin: identified ${id.uid} from ${id.relaxations} board relaxations (residual force rms ${id.residualRms.toExponential(2)}); ` +
        `${tw.epochs} epochs on the twin${tw.final ? `, twin test ${fitText(tw.final, 'accuracy')}` : ''}; then ${r.epochs} epoch${r.epochs === 1 ? '' : 's'} on the board\n`)
    }
    // board time is worth a figure where there is a board: a device, or a simulator with a board's flaws
    const boardLike = target !== null || r.twin !== null || sim.variation > 0 || sim.drift > 0 || sim.readoutBits !== undefined || sim.noise !== undefined
    const relaxText = boardLike ? `, ${r.relaxations} board relaxations${r.twin ? ` (identify ${r.twin.boardRelaxations.identify}, fine-tune ${r.twin.boardRelaxations.fineTune})` : ''}` : ''
    process.stdout.write(`wall ${r.wallS.toFixed(2)} s, ${r.forceEvals} force evaluations${relaxText}; trained network written to ${out}\n`)
    if (best) process.stdout.write(bestLine(best) + '\n')
    if (r.device) {
      const c = r.device.counters
      process.stdout.write(`device ${r.device.uid}: ${c.commands} commands, ${c.retries} resends, ${c.timeouts} timeouts, ${c.crcErrors + c.cobsErrors} damaged frames, ` +
        `${c.reconnects} reconnects, ${c.paramRewrites} parameter re-writes\n`)
    }
  }
  return 0
}

/** train --pretrain twin on the simulator with its imperfections, or a device. */
async function twinRun(network: Network, target: DeviceTargetInput | null, job: TrainJobInput, f: { json?: boolean; 'twin-epochs'?: string; 'board-epochs'?: string; 'board-lr'?: string; 'twin-samples'?: string },
  progress: ((e: EngineEvent) => void) | undefined, load: TaskLoader) {
  const parsed = TrainJob.parse(job)
  if (network.model !== 'xy') throw new UsageError(`--pretrain twin identifies XY boards; the network is ${network.model}`)
  const r = await trainWithTwinOnTarget(network, target, job, {
    identify: { samples: num(f['twin-samples'], 'twin-samples', 128, { int: true, min: 1, max: 100_000 }), readoutBits: parsed.sim.readoutBits, seed: parsed.train.seed },
    twinEpochs: f['twin-epochs'] === undefined ? undefined : num(f['twin-epochs'], 'twin-epochs', 1, { int: true, min: 1 }),
    boardEpochs: f['board-epochs'] === undefined ? undefined : num(f['board-epochs'], 'board-epochs', 1, { int: true, min: 1 }),
    boardLr: f['board-lr'] === undefined ? undefined : num(f['board-lr'], 'board-lr', 0.1, { gt: 0 }),
  }, progress, f.json ? undefined : deviceNotes(), load)
  return { ...r, twin: r }
}

/** The identification part of a twin run's JSON summary. */
function twinIdentifySummary(id: IdentifyReport) {
  return { uid: id.uid, model: id.model, relaxations: id.relaxations, equations: id.equations, unknowns: id.unknowns, residual_rms: id.residualRms, condition: id.condition }
}

/** The best checkpoint as train reports it: where it was chosen and written, and its test score when measured. */
interface BestReport { epoch: number; split: 'validation' | 'test'; accuracy: number; distance: number; mse?: number; r2?: number; out: string; test: Fit | null }
/** A score as train reports it: accuracy and D, with MSE and R^2 for regression and pattern tasks. */
interface Fit { accuracy: number; distance: number; mse?: number; r2?: number }

/** Writes the best network beside the last one (<out>.best.json); measures it on the test split when chosen on validation and a simulator can. */
async function bestCheckpoint(best: NonNullable<TrainOutcome['best']>, out: string, testOf: ((n: Network) => Promise<Fit>) | null): Promise<BestReport> {
  const path = out.endsWith('.json') ? out.slice(0, -5) + '.best.json' : out + '.best.json'
  writeFileSync(path, JSON.stringify(best.network) + '\n')
  const test = best.split === 'validation' && testOf ? await testOf(best.network) : best.split === 'test' ? { accuracy: best.metrics.accuracy, distance: best.metrics.distance, ...fitExtras(best.metrics) } : null
  return { epoch: best.epoch, split: best.split, accuracy: best.metrics.accuracy, distance: best.metrics.distance, ...fitExtras(best.metrics), out: path, test }
}

/** One line on the best checkpoint; a choice made on the test split says that its score is optimistic. */
function bestLine(b: BestReport): string {
  const head = `best ${b.split} ${fitText(b, 'accuracy')} (D ${b.distance.toExponential(3)}) at epoch ${b.epoch}; written to ${b.out}`
  if (b.split === 'test') return `${head}\n  (chosen on the test split, so its score is optimistic; --val-fraction F chooses on held-out training rows)`
  return b.test ? `${head}\n  its test ${fitText(b.test, 'accuracy')} (D ${b.test.distance.toExponential(3)})` : head
}

/** The anneal flags and the IsingAnneal field each sets. */
const ANNEAL_FLAGS = { sweeps: 'sweeps', reads: 'reads', 'anneal-schedule': 'schedule', 'beta-hot': 'betaHot', 'beta-cold': 'betaCold', 'reverse-point': 'reversePoint', 'reverse-hold': 'reverseHold' } as const
type AnnealFlag = keyof typeof ANNEAL_FLAGS

/** The Ising schedule the anneal flags give (null when none is given), checked by the job schema; a bad value exits 2 naming its flag. */
function annealFlags(f: Partial<Record<AnnealFlag, string>>): { anneal: NonNullable<TrainJobInput['anneal']>; flag: string } | null {
  const given = (Object.keys(ANNEAL_FLAGS) as AnnealFlag[]).filter((k) => f[k] !== undefined)
  if (given.length === 0) return null
  const raw = Object.fromEntries(given.map((k) => [ANNEAL_FLAGS[k], k === 'anneal-schedule' ? oneOf(f[k], k, SCHEDULE_KINDS, 'geometric') : Number(f[k])]))
  const r = TrainJob.shape.anneal.safeParse(raw)
  if (!r.success) {
    const issue = r.error.issues[0]
    const flag = given.find((k) => ANNEAL_FLAGS[k] === issue.path[0]) ?? given[0]
    throw new UsageError(`--${flag}: '${f[flag]}' ${issue.message}`)
  }
  return { anneal: r.data!, flag: `--${given[0]}` }
}

/** A gain flag's value: a positive finite number, else EQP_ERR_BAD_INPUT naming the flag (exit code 2). */
function gainFlag(v: string, flag: string): number {
  const x = Number(v)
  if (v.trim() === '' || !Number.isFinite(x) || x <= 0) throw new EqpError('EQP_ERR_BAD_INPUT', [`--${flag}`, `'${v}' is not a positive finite gain`])
  return x
}

/** Prints a line on stderr whenever a board's connection changes state or reports a new diagnostic. */
/** --reply-timeout and --outage-timeout (s) and --window of a board link, serial or MQTT. */
function linkOptions(f: { 'reply-timeout'?: string; 'outage-timeout'?: string; window?: string }): { replyTimeoutS?: number; maxOutageS?: number; window?: number } {
  return {
    window: f.window === undefined ? undefined : num(f.window, 'window', 0, { int: true, min: 1, max: 255 }),
    replyTimeoutS: f['reply-timeout'] === undefined ? undefined : num(f['reply-timeout'], 'reply-timeout', 0, { gt: 0, max: 60 }),
    maxOutageS: f['outage-timeout'] === undefined ? undefined : num(f['outage-timeout'], 'outage-timeout', 0, { gt: 0 }),
  }
}

function deviceNotes(): (s: { state: string; lastError: { code: string; message: string; count: number } | null }) => void {
  let last = ''
  return (s) => {
    const e = s.lastError
    const line = `device ${s.state}${e ? ` (${e.code}: ${e.message})` : ''}`
    if (line !== last) process.stderr.write(`${line}\n`)
    last = line
  }
}

/** MSE and R^2 of regression and pattern tasks, for the JSON summary (absent for classification). */
function fitExtras(m: { mse?: number; r2?: number }): { mse?: number; r2?: number } {
  return { ...(m.mse !== undefined ? { mse: m.mse } : {}), ...(m.r2 !== undefined ? { r2: m.r2 } : {}) }
}
