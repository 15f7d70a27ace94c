/**
 * Fits the steady-state scheduler constants of src/engine/scheduler.ts to
 * measured serving points, and prints how well they hold on data they were not
 * fitted to (leave one system out, leave one model family out).
 *
 *   npm run fit-scheduler     (or: node dist/scripts/fit-scheduler.js [measured.csv]; ~2 min on the reference file)
 *
 * For each predicted row the engine gives P (one request prefilled alone), B
 * (requests per replica queueing for prefill) and the decode step; the laws are
 * ttft = overhead + P x (base + B / clients) (+ the KV hand-off and first decode
 * iteration of a disagg row) and tpot = step x scale + per-iteration overhead +
 * interleave x the prefill work per output token. A grid search (TTFT per serving
 * engine, and once over all rows for 'generic'; apart for the rows of fixed-length
 * benchmarks where there are enough of them, SchedulerModel.fixedLengths; the decode law pooled) minimizes the
 * median |log(pred / measured)|, so that over- and under-prediction weigh alike and
 * outliers do not steer it. Paste the printed table into SCHEDULERS when the engine
 * or the profiles change, and rerun accuracy.
 */
import { readMeasuredFile } from '../src/accuracy/measured.js';
import { defaultModelConfigDir, predictRows, servingEngineOf, type RowPrediction } from '../src/accuracy/predict.js';
import { median } from '../src/accuracy/stats.js';
import { queuedTtftMs, queueLawFor, servesInWaves, steadyStateDecodeMs, SCHEDULERS, type DecodeLaw, type QueueLaw, type SchedulerModel } from '../src/engine/scheduler.js';

interface Point {
  engine: string;
  system: string;
  family: string;
  agg: boolean;
  /** From a fixed-length benchmark, priced by a queue law (wave rows are no points): SchedulerModel.fixedLengths where fitted. */
  fixed: boolean;
  prefillMs: number;
  queue: number;
  /** What the TTFT adds to the queue law: a disagg row's KV hand-off and first decode iteration, an agg row's attention-DP balancer hold. */
  ttftExtraMs: number;
  measuredTtftMs: number;
  /** The priced decode step, and the prefill work per output token before prefillInterleave (agg only). */
  decodeStepMs: number;
  interleavedMs: number;
  measuredTpotMs: number;
}


const range = (from: number, step: number, n: number): number[] => Array.from({ length: n }, (_, i) => Number((from + i * step).toFixed(6)));
const TTFT_GRID: QueueLaw[] = [];
for (const requestOverheadMs of range(0, 10, 26))
  // At least the request's own prefill: a law below one prefill would let the overhead stand in for it.
  for (const basePrefills of range(1, 0.25, 13))
    for (const clientsPerPrefill of [1.5, 2, 2.5, 3, 4, 5, 6, 8, 10, 12, 16, 20, 24, 32]) TTFT_GRID.push({ requestOverheadMs, basePrefills, clientsPerPrefill });
const TPOT_GRID: DecodeLaw[] = [];
for (const decodeStepScale of range(0.8, 0.05, 11))
  for (const iterationOverheadMs of range(0, 0.125, 13))
    for (const prefillInterleave of range(0, 0.25, 9)) TPOT_GRID.push({ decodeStepScale, iterationOverheadMs, prefillInterleave });

// The engine's own laws (scheduler.ts), on the parts each row's prediction was made of.
function ttftMs(m: QueueLaw, p: Point): number {
  return queuedTtftMs(m, p.prefillMs, p.queue) + p.ttftExtraMs;
}

function tpotMs(m: DecodeLaw, p: Point): number {
  return steadyStateDecodeMs(m, p.decodeStepMs) + m.prefillInterleave * p.interleavedMs;
}

/** The grid point with the least median |log(pred / measured)|. */
function best<M>(grid: readonly M[], points: readonly Point[], predict: (m: M, p: Point) => number, measured: (p: Point) => number): M {
  let bestM = grid[0] as M;
  let bestE = Number.POSITIVE_INFINITY;
  const errs = new Float64Array(points.length);
  for (const m of grid) {
    points.forEach((p, i) => (errs[i] = Math.abs(Math.log(predict(m, p) / measured(p)))));
    // A typed array sorts numerically in place: the median without copies.
    errs.sort();
    const e = (errs[(errs.length - 1) >> 1]! + errs[errs.length >> 1]!) / 2;
    if (e < bestE) [bestM, bestE] = [m, e];
  }
  return bestM;
}

function fitTtft(points: readonly Point[]): QueueLaw {
  return best(TTFT_GRID, points, ttftMs, (p) => p.measuredTtftMs);
}

/** From agg rows: where decode iterations and interleaved prefills meet. */
function fitTpot(points: readonly Point[]): DecodeLaw {
  return best(TPOT_GRID, points.filter((p) => p.agg), tpotMs, (p) => p.measuredTpotMs);
}

function apeMedian(pairs: readonly [number, number][]): number {
  return median(pairs.map(([pred, meas]) => (Math.abs(pred - meas) / meas) * 100));
}

function toPoint(r: RowPrediction): Point | undefined {
  if (r.ttftMs === undefined || r.tpotMs === undefined || r.prefillStepMs === undefined || r.prefillQueueRequests === undefined || r.decodeStepMs === undefined) return undefined;
  // Rows whose worker counts were assumed say nothing reliable about a queue of unknown length.
  if (r.deployment === 'assumed') return undefined;
  // Lockstep waves (fixed-length clients on a prefill-first engine) are priced by
  // the wave's own schedule, not by these laws: nothing in them to fit.
  if (r.mode === 'agg' && servesInWaves(servingEngineOf(r.backend), r.requestLengths)) return undefined;
  const engine = servingEngineOf(r.backend);
  const used = SCHEDULERS[engine];
  const agg = r.mode === 'agg';
  // Undo the interleave weight the prediction was made with, to refit it.
  const decodePart = steadyStateDecodeMs(used, r.decodeStepMs);
  const interleavedMs = agg && used.prefillInterleave > 0 ? (r.tpotMs - decodePart) / used.prefillInterleave : 0;
  const law = queuedTtftMs(queueLawFor(engine, r.requestLengths), r.prefillStepMs, r.prefillQueueRequests);
  return {
    engine: r.backend,
    system: r.system,
    family: r.family,
    agg,
    fixed: r.requestLengths === 'fixed',
    prefillMs: r.prefillStepMs,
    queue: r.prefillQueueRequests,
    ttftExtraMs: r.ttftMs - law,
    measuredTtftMs: r.measuredTtftMs,
    decodeStepMs: r.decodeStepMs,
    interleavedMs,
    measuredTpotMs: r.measuredTpotMs,
  };
}

const ENGINES = ['vllm', 'sglang', 'trtllm'] as const;

/** Fewest fixed-length rows that get a law of their own (else the varied-length law serves them). */
const MIN_FIXED_ROWS = 50;

/** The varied-length law from the varied rows and, with enough of them, a fixed-length law from the fixed ones. */
function fitQueue(points: readonly Point[]): Pick<SchedulerModel, keyof QueueLaw | 'fixedLengths'> {
  const varied = points.filter((p) => !p.fixed);
  const fixed = points.filter((p) => p.fixed);
  const law = fitTtft(varied.length > 0 ? varied : points);
  return fixed.length >= MIN_FIXED_ROWS ? { ...law, fixedLengths: fitTtft(fixed) } : law;
}

/**
 * The law each engine gets. Chosen by the held-out errors this script prints:
 * TTFT per engine (the engines' queues differ: one pooled law is ~10 points
 * worse on held-out systems and families), TPOT one pooled law for all
 * (per-engine TPOT constants fit better in sample but worse held out).
 */
function fitAll(points: readonly Point[], tpotPerEngine = false, ttftPerEngine = true): Map<string, SchedulerModel> {
  const pooledTtft = fitQueue(points);
  const pooledTpot = fitTpot(points);
  const out = new Map<string, SchedulerModel>([['generic', { ...pooledTtft, ...pooledTpot }]]);
  for (const e of ENGINES) {
    const mine = points.filter((p) => p.engine === e);
    if (mine.length === 0) continue;
    out.set(e, { ...(ttftPerEngine ? fitQueue(mine) : pooledTtft), ...(tpotPerEngine ? fitTpot(mine) : pooledTpot) });
  }
  return out;
}

function modelFor(models: Map<string, SchedulerModel>, p: Point): SchedulerModel {
  return models.get(servingEngineOf(p.engine)) ?? models.get('generic')!;
}

/** The queue law a point is priced with under a model (its fixed-length law where it has one). */
function queueOf(m: SchedulerModel, p: Point): QueueLaw {
  return p.fixed && m.fixedLengths !== undefined ? m.fixedLengths : m;
}

function report(label: string, points: readonly Point[], model: (p: Point) => SchedulerModel): string {
  const ttft = apeMedian(points.map((p) => [ttftMs(queueOf(model(p), p), p), p.measuredTtftMs]));
  const tpot = apeMedian(points.map((p) => [tpotMs(model(p), p), p.measuredTpotMs]));
  return `${label}: TTFT median APE ${ttft.toFixed(1)}%, TPOT ${tpot.toFixed(1)}%\n`;
}

function main(): void {
  const file = process.argv[2] ?? '../shared/reference/silicon_calibration.csv';
  const dir = defaultModelConfigDir();
  const { rows } = readMeasuredFile(file);
  const points = predictRows(rows, dir === undefined ? {} : { modelConfigDir: dir })
    .map(toPoint)
    .filter((p): p is Point => p !== undefined);
  const models = fitAll(points);
  process.stdout.write(`${points.length} predicted rows of ${rows.length} in ${file}\n\nFitted (paste into SCHEDULERS, src/engine/scheduler.ts):\n`);
  for (const [e, m] of models) {
    const n = e === 'generic' ? points.length : points.filter((p) => p.engine === e).length;
    process.stdout.write(`  ${e}: ${JSON.stringify(m).replace(/"/g, '').replace(/,/g, ', ').replace(/:/g, ': ').replace(/\{/g, '{ ').replace(/\}/g, ' }')}, // ${n} rows\n`);
  }
  const agg = points.filter((p) => p.agg);
  process.stdout.write('\nIn sample (rows with a given deployment; TPOT over agg rows, a disagg TPOT being the decode iteration alone):\n');
  process.stdout.write(report('  TTFT, agg and disagg rows', points, (p) => modelFor(models, p)).replace(/, TPOT.*/, ''));
  process.stdout.write(report('  agg rows', agg, (p) => modelFor(models, p)));
  process.stdout.write('Held out (refit without the held-out group, predict it; TTFT all rows, TPOT agg rows):\n');
  const variants = [
    ['chosen: TTFT per engine, TPOT pooled', false, true],
    ['TTFT per engine, TPOT per engine', true, true],
    ['TTFT pooled, TPOT pooled', false, false],
  ] as const;
  for (const key of ['system', 'family'] as const) {
    for (const [label, tpotPerEngine, ttftPerEngine] of variants) {
      const pairs: { p: Point; m: SchedulerModel }[] = [];
      for (const out of new Set(points.map((p) => p[key]))) {
        const fitted = fitAll(points.filter((p) => p[key] !== out), tpotPerEngine, ttftPerEngine);
        for (const p of points.filter((q) => q[key] === out)) pairs.push({ p, m: modelFor(fitted, p) });
      }
      const ttft = apeMedian(pairs.map(({ p, m }) => [ttftMs(queueOf(m, p), p), p.measuredTtftMs]));
      const tpot = apeMedian(pairs.filter(({ p }) => p.agg).map(({ p, m }) => [tpotMs(m, p), p.measuredTpotMs]));
      process.stdout.write(`  by ${key}, ${label}: TTFT ${ttft.toFixed(1)}%, TPOT ${tpot.toFixed(1)}%\n`);
    }
  }
}

main();
