/**
 * The accuracy summary of issue 4, in its exact shape, plus the by-family
 * breakdown the text report adds.
 */
import { jsonNumber, median, quantile } from './stats.js';

/** One measured row and what became of it. */
export interface RowOutcome {
  id: string;
  system: string;
  backend: string;
  mode: 'agg' | 'disagg';
  /** Model family for the breakdown (HF architecture, e.g. DeepseekV3ForCausalLM). */
  family: string;
  /** Whether the row gave its whole deployment, or the predictor assumed part of it (MeasuredRow.deployment). */
  deployment: 'given' | 'assumed';
  ttftApePct?: number;
  tpotApePct?: number;
  /** Set when the row was not predicted. */
  reason?: string;
}

export interface ApeStats {
  medianApePct: number | null;
  p90ApePct: number | null;
}

export interface GroupSummary {
  system: string;
  backend: string;
  mode: string;
  rows: number;
  ttftMedianApePct: number | null;
  tpotMedianApePct: number | null;
}

export interface AccuracySummary {
  rows: number;
  predicted: number;
  unsupported: Record<string, number>;
  ttft: ApeStats;
  tpot: ApeStats;
  groups: GroupSummary[];
}

function stats(values: number[]): ApeStats {
  return { medianApePct: jsonNumber(median(values)), p90ApePct: jsonNumber(quantile(values, 0.9)) };
}

function predictedOf(rows: readonly RowOutcome[]): RowOutcome[] {
  return rows.filter((r) => r.reason === undefined);
}

function apes(rows: readonly RowOutcome[], key: 'ttftApePct' | 'tpotApePct'): number[] {
  return rows.map((r) => r[key]).filter((v): v is number => v !== undefined && Number.isFinite(v));
}

/** Groups by a key, in first-seen order sorted by the key text. */
function groupBy(rows: readonly RowOutcome[], key: (r: RowOutcome) => string): Map<string, RowOutcome[]> {
  const m = new Map<string, RowOutcome[]>();
  for (const r of rows) {
    const k = key(r);
    const list = m.get(k);
    if (list) list.push(r);
    else m.set(k, [r]);
  }
  return new Map([...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * `groups` count every row of a (system, backend, mode), predicted or not
 * (`rows`), and take medians over the predicted ones.
 */
export function summarize(rows: readonly RowOutcome[]): AccuracySummary {
  const predicted = predictedOf(rows);
  const unsupported: Record<string, number> = {};
  for (const r of rows) if (r.reason !== undefined) unsupported[r.reason] = (unsupported[r.reason] ?? 0) + 1;
  const groups: GroupSummary[] = [];
  for (const list of groupBy(rows, (r) => `${r.system}\u0000${r.backend}\u0000${r.mode}`).values()) {
    const first = list[0]!;
    const p = predictedOf(list);
    groups.push({
      system: first.system,
      backend: first.backend,
      mode: first.mode,
      rows: list.length,
      ttftMedianApePct: jsonNumber(median(apes(p, 'ttftApePct'))),
      tpotMedianApePct: jsonNumber(median(apes(p, 'tpotApePct'))),
    });
  }
  return {
    rows: rows.length,
    predicted: predicted.length,
    unsupported: Object.fromEntries(Object.entries(unsupported).sort(([, a], [, b]) => b - a)),
    ttft: stats(apes(predicted, 'ttftApePct')),
    tpot: stats(apes(predicted, 'tpotApePct')),
    groups,
  };
}

export interface FamilySummary {
  family: string;
  rows: number;
  predicted: number;
  ttftMedianApePct: number | null;
  tpotMedianApePct: number | null;
}

export function summarizeByFamily(rows: readonly RowOutcome[]): FamilySummary[] {
  return [...groupBy(rows, (r) => r.family).entries()].map(([family, list]) => {
    const p = predictedOf(list);
    return {
      family,
      rows: list.length,
      predicted: p.length,
      ttftMedianApePct: jsonNumber(median(apes(p, 'ttftApePct'))),
      tpotMedianApePct: jsonNumber(median(apes(p, 'tpotApePct'))),
    };
  });
}

export interface DeploymentSummary {
  deployment: 'given' | 'assumed';
  rows: number;
  predicted: number;
  ttftMedianApePct: number | null;
  tpotMedianApePct: number | null;
}

/** Rows that gave their whole deployment vs rows where part of it was assumed (text report only). */
export function summarizeByDeployment(rows: readonly RowOutcome[]): DeploymentSummary[] {
  return (['given', 'assumed'] as const)
    .map((deployment) => {
      const all = rows.filter((r) => r.deployment === deployment);
      const done = predictedOf(all);
      return {
        deployment,
        rows: all.length,
        predicted: done.length,
        ttftMedianApePct: stats(apes(done, 'ttftApePct')).medianApePct,
        tpotMedianApePct: stats(apes(done, 'tpotApePct')).medianApePct,
      };
    })
    .filter((d) => d.rows > 0);
}
