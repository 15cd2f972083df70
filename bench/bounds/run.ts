/**
 * Benchmark of the marginal-likelihood bound: the analytic FC kernel and sequential EP of
 * main/bounds/ against the same algorithm in NumPy/SciPy (reference.py, run with Debian's
 * /usr/bin/python3 and its OpenBLAS), on the first m Fashion-MNIST training images (784 pixels
 * / 255, labels classes 5-9 -> 1), depth 2, sigma_w^2 = 2, sigma_b^2 = 0.01.
 *
 * Usage: npx tsx bench/bounds/run.ts [--sizes 1000,2000,5000] [--full-ep-up-to 2000] [--sweeps 2] [--workers N]
 *
 * EP runs to convergence for m <= --full-ep-up-to; above it both sides run --sweeps sweeps (each
 * sweep plus its recomputation of Sigma costs about 2.7 m^3 flops), so the table gives the time
 * per sweep. Fashion-MNIST is read from FRAGILITY_LAB_DATA_DIR or /usr/share/datasets.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { EpNotConvergedError, defaultEpOptions, runExpectationPropagation } from '../../main/bounds/ep.js';
import { closeExecutor, createExecutor } from '../../main/bounds/executors.js';
import type { Executor } from '../../main/bounds/linalg.js';
import { computeFcKernel } from '../../main/bounds/fcKernel.js';
import { readIdx } from '../../main/data/idx.js';
import { encodeNpy } from '../../main/data/npy.js';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1000,2000,5000' },
    'full-ep-up-to': { type: 'string', default: '2000' },
    sweeps: { type: 'string', default: '2' },
    workers: { type: 'string' },
  },
});
const sizes = values.sizes.split(',').map(Number);
const fullUpTo = Number(values['full-ep-up-to']);
const limitedSweeps = Number(values.sweeps);
const workers = values.workers === undefined ? availableParallelism() : Number(values.workers);
const spec = { kind: 'fc', depth: 2, sigmaW2: 2, sigmaB2: 0.01 } as const;
const python = '/usr/bin/python3';
const reference = new URL('./reference.py', import.meta.url).pathname;

const dataFolder = join(process.env.FRAGILITY_LAB_DATA_DIR ?? '/usr/share/datasets', 'fashion-mnist');
const images = readIdx(join(dataFolder, 'train-images-idx3-ubyte.gz'));
const classes = readIdx(join(dataFolder, 'train-labels-idx1-ubyte.gz'));
const pixels = 784;

const numpyVersion = spawnSync(python, ['-c', 'import numpy, scipy; print(numpy.__version__, scipy.__version__)'], { encoding: 'utf8' }).stdout.trim();
process.stdout.write(
  `Machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; Node ${process.version}; ` +
    `NumPy/SciPy ${numpyVersion}; ${workers} worker threads; load average at start ${loadavg().map((value) => value.toFixed(2)).join(' ')}\n\n`,
);

/** Runs one tiny task per thread, so that the timings below exclude the workers' start-up. */
async function warmUp(executor: Executor): Promise<number> {
  const started = performance.now();
  const view = { data: executor.allocate(16), offset: 0, stride: 4 };
  await executor.run(Array.from({ length: executor.parallelism }, () => ({ op: 'addProductNT' as const, args: [view, view, view, 0, 4, 0, 4, 4, 0, false] as const })));
  return performance.now() - started;
}

interface Row {
  m: number;
  sweeps: string;
  tsKernelS: number;
  pyKernelS: number;
  tsEpS: number;
  pyEpS: number;
  tsLogP: number | undefined;
  pyLogP: number | undefined;
}

const folder = mkdtempSync(join(tmpdir(), 'bound-bench-'));
const rows: Row[] = [];
try {
  for (const m of sizes) {
    const x = new Float32Array(m * pixels);
    for (let i = 0; i < x.length; i++) x[i] = images.data[i]! / 255;
    const labels = Int32Array.from({ length: m }, (_, i) => (classes.data[i]! >= 5 ? 1 : 0));
    const maxSweeps = m <= fullUpTo ? defaultEpOptions.maxSweeps : limitedSweeps;

    const executor = createExecutor(m, workers);
    const startUpMs = await warmUp(executor);
    let tsKernelS: number;
    let tsEpS: number;
    let tsLogP: number | undefined;
    let tsSweeps: number;
    try {
      let started = performance.now();
      const kernel = await computeFcKernel(x, m, pixels, spec, executor);
      tsKernelS = (performance.now() - started) / 1000;
      started = performance.now();
      try {
        const result = await runExpectationPropagation(kernel, labels, executor, { ...defaultEpOptions, maxSweeps });
        tsLogP = result.logP;
        tsSweeps = result.sweeps;
      } catch (error) {
        if (!(error instanceof EpNotConvergedError)) throw error;
        tsSweeps = error.sweeps;
      }
      tsEpS = (performance.now() - started) / 1000;
    } finally {
      await closeExecutor(executor);
    }

    const xPath = join(folder, `x${m}.npy`);
    const yPath = join(folder, `y${m}.npy`);
    writeFileSync(xPath, encodeNpy({ dtype: 'float32', shape: [m, pixels], data: x }));
    writeFileSync(yPath, encodeNpy({ dtype: 'int32', shape: [m], data: labels }));
    const run = spawnSync(python, [reference, xPath, yPath, '2', '2', '0.01', String(maxSweeps)], { encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`reference.py failed for m = ${m}: ${run.stderr}`);
    const numpy = JSON.parse(run.stdout) as { kernel_s: number; ep_s: number; sweeps: number; log_p: number | null };

    const sweeps = tsLogP === undefined ? `${tsSweeps} (limit)` : String(tsSweeps);
    const row: Row = { m, sweeps: numpy.sweeps === tsSweeps ? sweeps : `${sweeps} / ${numpy.sweeps}`, tsKernelS, pyKernelS: numpy.kernel_s, tsEpS, pyEpS: numpy.ep_s, tsLogP, pyLogP: numpy.log_p ?? undefined };
    rows.push(row);
    process.stdout.write(
      `m = ${m}: worker start-up ${Math.round(startUpMs)} ms, kernel ${tsKernelS.toFixed(2)} s (NumPy ${numpy.kernel_s.toFixed(2)} s), EP ${tsEpS.toFixed(1)} s (NumPy ${numpy.ep_s.toFixed(1)} s), ${row.sweeps} sweeps\n`,
    );
  }
} finally {
  rmSync(folder, { recursive: true, force: true });
}

const format = (value: number | undefined, digits: number): string => (value === undefined ? '-' : value.toFixed(digits));
process.stdout.write('\n| m | kernel, TS (s) | kernel, NumPy (s) | ratio | EP sweeps | EP, TS (s) | EP, NumPy (s) | ratio | EP per sweep, TS (s) | ln P(S), TS | ln P(S), NumPy |\n');
process.stdout.write('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n');
for (const row of rows) {
  const sweepCount = Number.parseInt(row.sweeps, 10);
  process.stdout.write(
    `| ${row.m} | ${format(row.tsKernelS, 2)} | ${format(row.pyKernelS, 2)} | ${format(row.tsKernelS / row.pyKernelS, 1)} | ${row.sweeps} | ` +
      `${format(row.tsEpS, 1)} | ${format(row.pyEpS, 1)} | ${format(row.tsEpS / row.pyEpS, 1)} | ${format(row.tsEpS / sweepCount, 1)} | ${format(row.tsLogP, 6)} | ${format(row.pyLogP, 6)} |\n`,
  );
}
