/**
 * Benchmark of the marginal-likelihood bound: the analytic FC kernel and sequential EP of
 * main/bounds/, with the JavaScript kernels and with the native addon of native/linalg, against
 * the same algorithm in NumPy/SciPy (reference.py, run with Debian's /usr/bin/python3 and its
 * OpenBLAS), on the first m Fashion-MNIST training images (784 pixels / 255, labels classes
 * 5-9 -> 1), depth 2, sigma_w^2 = 2, sigma_b^2 = 0.01.
 *
 * Usage: npx tsx bench/bounds/run.ts [--sizes 1000,2000,5000] [--full-ep-up-to 2000] [--sweeps 2]
 *        [--workers N] [--linalg js,native]
 *
 * EP runs to convergence for m <= --full-ep-up-to; above it every side runs --sweeps sweeps (each
 * sweep plus its recomputation of Sigma costs about 2.7 m^3 flops), so the table gives the time
 * per sweep. Each time is wall-clock, with the process CPU time of all its threads beside it: on
 * a machine shared with other jobs, CPU time / wall time below the thread count means the
 * benchmark waited for a core. Fashion-MNIST is read from FRAGILITY_LAB_DATA_DIR or
 * /usr/share/datasets.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { EpNotConvergedError, defaultEpOptions, runExpectationPropagation } from '../../main/bounds/ep.js';
import { closeExecutor, createExecutor } from '../../main/bounds/executors.js';
import type { Executor, LinalgBackend } from '../../main/bounds/linalg.js';
import { computeFcKernel } from '../../main/bounds/fcKernel.js';
import { defaultLinalgAddon } from '../../main/bounds/nativeLinalg.js';
import { readIdx } from '../../main/data/idx.js';
import { encodeNpy } from '../../main/data/npy.js';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1000,2000,5000' },
    'full-ep-up-to': { type: 'string', default: '2000' },
    sweeps: { type: 'string', default: '2' },
    workers: { type: 'string' },
    linalg: { type: 'string', default: 'js,native' },
  },
});
const sizes = values.sizes.split(',').map(Number);
const fullUpTo = Number(values['full-ep-up-to']);
const limitedSweeps = Number(values.sweeps);
const workers = values.workers === undefined ? availableParallelism() : Number(values.workers);
const backends = values.linalg.split(',').map((name) => {
  if (name !== 'js' && name !== 'native') throw new Error(`--linalg contains "${name}"; use js, native or js,native`);
  return name as LinalgBackend;
});
const spec = { kind: 'fc', depth: 2, sigmaW2: 2, sigmaB2: 0.01 } as const;
const python = '/usr/bin/python3';
const reference = new URL('./reference.py', import.meta.url).pathname;

const dataFolder = join(process.env.FRAGILITY_LAB_DATA_DIR ?? '/usr/share/datasets', 'fashion-mnist');
const images = readIdx(join(dataFolder, 'train-images-idx3-ubyte.gz'));
const classes = readIdx(join(dataFolder, 'train-labels-idx1-ubyte.gz'));
const pixels = 784;

const formatLoad = (): string => loadavg().map((value) => value.toFixed(2)).join(' ');
const numpyVersion = spawnSync(python, ['-c', 'import numpy, scipy; print(numpy.__version__, scipy.__version__)'], { encoding: 'utf8' }).stdout.trim();
const addon = defaultLinalgAddon();
const nativeNote = addon.addon === undefined ? `native addon unavailable: ${addon.reason}` : `native kernels ${addon.addon.instructionSet}`;
process.stdout.write(
  `Machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; Node ${process.version}; ` +
    `NumPy/SciPy ${numpyVersion}; ${workers} threads; ${nativeNote}; load average at start ${formatLoad()}\n\n`,
);

/** Runs one tiny task per thread, so that the timings below exclude a pool's start-up. */
async function warmUp(executor: Executor): Promise<number> {
  const started = performance.now();
  const view = { data: executor.allocate(16), offset: 0, stride: 4 };
  await executor.run(Array.from({ length: executor.parallelism }, () => ({ op: 'addProductNT' as const, args: [view, view, view, 0, 4, 0, 4, 4, 0, false] as const })));
  return performance.now() - started;
}

/** Wall-clock and process CPU time (user + system, all threads) of one step, in seconds. */
interface Timing {
  wallS: number;
  cpuS: number;
}

async function timed<T>(step: () => Promise<T>): Promise<{ value: T; timing: Timing }> {
  const wallStarted = performance.now();
  const cpuStarted = process.cpuUsage();
  const value = await step();
  const cpu = process.cpuUsage(cpuStarted);
  return { value, timing: { wallS: (performance.now() - wallStarted) / 1000, cpuS: (cpu.user + cpu.system) / 1e6 } };
}

interface SideResult {
  kernel: Timing;
  ep: Timing;
  sweeps: number;
  logP: number | undefined;
}

/** Times the kernel and EP of main/bounds with one backend. */
async function runLab(backend: LinalgBackend, x: Float32Array, labels: Int32Array, m: number, maxSweeps: number): Promise<SideResult> {
  const executor = createExecutor(m, workers, backend);
  try {
    const startUpMs = await warmUp(executor);
    const kernelRun = await timed(() => computeFcKernel(x, m, pixels, spec, executor));
    let logP: number | undefined;
    let sweeps = 0;
    const epRun = await timed(async () => {
      try {
        const result = await runExpectationPropagation(kernelRun.value, labels, executor, { ...defaultEpOptions, maxSweeps });
        logP = result.logP;
        sweeps = result.sweeps;
      } catch (error) {
        if (!(error instanceof EpNotConvergedError)) throw error;
        sweeps = error.sweeps;
      }
    });
    process.stdout.write(
      `m = ${m}, ${backend}: start-up ${Math.round(startUpMs)} ms, kernel ${kernelRun.timing.wallS.toFixed(2)} s (CPU ${kernelRun.timing.cpuS.toFixed(2)} s), ` +
        `EP ${epRun.timing.wallS.toFixed(1)} s (CPU ${epRun.timing.cpuS.toFixed(1)} s), ${sweeps} sweeps, load average ${formatLoad()}\n`,
    );
    return { kernel: kernelRun.timing, ep: epRun.timing, sweeps, logP };
  } finally {
    await closeExecutor(executor);
  }
}

/** Times reference.py on the same inputs. */
function runNumpy(folder: string, x: Float32Array, labels: Int32Array, m: number, maxSweeps: number): SideResult {
  const xPath = join(folder, `x${m}.npy`);
  const yPath = join(folder, `y${m}.npy`);
  writeFileSync(xPath, encodeNpy({ dtype: 'float32', shape: [m, pixels], data: x }));
  writeFileSync(yPath, encodeNpy({ dtype: 'int32', shape: [m], data: labels }));
  const run = spawnSync(python, [reference, xPath, yPath, '2', '2', '0.01', String(maxSweeps)], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`reference.py failed for m = ${m}: ${run.stderr}`);
  const numpy = JSON.parse(run.stdout) as { kernel_s: number; ep_s: number; kernel_cpu_s: number; ep_cpu_s: number; sweeps: number; log_p: number | null };
  process.stdout.write(
    `m = ${m}, NumPy: kernel ${numpy.kernel_s.toFixed(2)} s (CPU ${numpy.kernel_cpu_s.toFixed(2)} s), EP ${numpy.ep_s.toFixed(1)} s (CPU ${numpy.ep_cpu_s.toFixed(1)} s), ` +
      `${numpy.sweeps} sweeps, load average ${formatLoad()}\n`,
  );
  return { kernel: { wallS: numpy.kernel_s, cpuS: numpy.kernel_cpu_s }, ep: { wallS: numpy.ep_s, cpuS: numpy.ep_cpu_s }, sweeps: numpy.sweeps, logP: numpy.log_p ?? undefined };
}

interface Row {
  m: number;
  limited: boolean;
  sides: Map<string, SideResult>;
  loadAfter: string;
}

const folder = mkdtempSync(join(tmpdir(), 'bound-bench-'));
const rows: Row[] = [];
try {
  for (const m of sizes) {
    const x = new Float32Array(m * pixels);
    for (let i = 0; i < x.length; i++) x[i] = images.data[i]! / 255;
    const labels = Int32Array.from({ length: m }, (_, i) => (classes.data[i]! >= 5 ? 1 : 0));
    const maxSweeps = m <= fullUpTo ? defaultEpOptions.maxSweeps : limitedSweeps;
    const sides = new Map<string, SideResult>();
    for (const backend of backends) sides.set(backend, await runLab(backend, x, labels, m, maxSweeps));
    sides.set('numpy', runNumpy(folder, x, labels, m, maxSweeps));
    rows.push({ m, limited: m > fullUpTo, sides, loadAfter: formatLoad() });
  }
} finally {
  rmSync(folder, { recursive: true, force: true });
}

const sideNames = [...backends, 'numpy'];
const titles: Record<string, string> = { js: 'JS', native: 'native', numpy: 'NumPy' };
const format = (value: number | undefined, digits: number): string => (value === undefined || !Number.isFinite(value) ? '-' : value.toFixed(digits));
const formatTiming = (timing: Timing | undefined, digits: number): string => (timing === undefined ? '-' : `${format(timing.wallS, digits)} (${format(timing.cpuS, digits)})`);

/** Ratios printed: each pair present among the sides, slower side first. */
const ratioPairs = ([['js', 'native'], ['js', 'numpy'], ['native', 'numpy']] as const).filter(([a, b]) => sideNames.includes(a) && sideNames.includes(b));

for (const step of ['kernel', 'ep'] as const) {
  const header = [
    'm',
    ...(step === 'ep' ? ['sweeps'] : []),
    ...sideNames.map((name) => `${titles[name]}, s (CPU s)`),
    ...ratioPairs.map(([a, b]) => `${titles[a]} / ${titles[b]}`),
    ...(step === 'ep' ? sideNames.map((name) => `ln P(S), ${titles[name]}`) : ['load average after']),
  ];
  process.stdout.write(`\n${step === 'kernel' ? 'FC kernel' : 'EP (sequential schedule)'}, wall-clock seconds with process CPU seconds in brackets:\n\n`);
  process.stdout.write(`| ${header.join(' | ')} |\n| ${header.map(() => '---').join(' | ')} |\n`);
  for (const row of rows) {
    const timing = (name: string): Timing | undefined => row.sides.get(name)?.[step];
    let sweepCell = [...new Set(sideNames.map((name) => row.sides.get(name)?.sweeps))].join(' / ');
    if (row.limited) sweepCell += ' (limit)';
    const cells = [
      String(row.m),
      ...(step === 'ep' ? [sweepCell] : []),
      ...sideNames.map((name) => formatTiming(timing(name), step === 'kernel' ? 2 : 1)),
      ...ratioPairs.map(([a, b]) => format((timing(a)?.wallS ?? Number.NaN) / (timing(b)?.wallS ?? Number.NaN), 1)),
      ...(step === 'ep' ? sideNames.map((name) => format(row.sides.get(name)?.logP, 6)) : [row.loadAfter]),
    ];
    process.stdout.write(`| ${cells.join(' | ')} |\n`);
  }
}
process.stdout.write(`\nLoad average at the end: ${formatLoad()}\n`);
