/** `optix compare OLD.csv NEW.csv --threshold PCT`: the CI regression check over two results CSVs. */
import type { Command } from 'commander';
import { OptixUserError } from '../../errors.js';
import { compareResults, hasRegressions, readResultsCsv, type CompareReport, type MetricChange } from '../../result-saver/compare.js';
import { asciiTable, printJson } from '../format.js';

interface CompareFlags {
  threshold: string;
  json: boolean;
}

export function register(program: Command): void {
  program
    .command('compare')
    .description('Compare two perf_script_test_results.csv files; exit 1 when a metric regressed beyond the threshold')
    .argument('<old>', 'baseline results CSV')
    .argument('<new>', 'candidate results CSV')
    .option('--threshold <pct>', 'allowed change in percent (throughput down / latency up)', '5')
    .option('--json', 'print the report as JSON', false)
    .action((oldFile: string, newFile: string, flags: CompareFlags) => {
      process.exitCode = runCompare(oldFile, newFile, flags);
    });
}

export function runCompare(oldFile: string, newFile: string, flags: CompareFlags): number {
  const threshold = Number(flags.threshold);
  if (flags.threshold.trim() === '' || !Number.isFinite(threshold) || threshold < 0) {
    throw new OptixUserError(`--threshold expects a percentage >= 0, got '${flags.threshold}'`);
  }
  const report = compareResults(readResultsCsv(oldFile), readResultsCsv(newFile), threshold);
  if (flags.json) printJson(report);
  else process.stdout.write(render(report));
  return hasRegressions(report) ? 1 : 0;
}

function changeRows(changes: MetricChange[]): Array<Array<string | number>> {
  return changes.map((c) => [c.caseId, c.concurrency, c.metric, fmt(c.old), fmt(c.new), `${c.changePct >= 0 ? '+' : ''}${c.changePct.toFixed(1)}%`]);
}

function fmt(v: number): string {
  return Math.abs(v) >= 100 ? v.toFixed(1) : v.toFixed(3);
}

export function render(r: CompareReport): string {
  const out: string[] = [];
  const head = ['case', 'concurrency', 'metric', 'old', 'new', 'change'];
  out.push(`Matched ${r.matched} case x concurrency points; threshold ${r.thresholdPct}%`);
  if (r.regressions.length > 0) {
    out.push('', `Regressions (${r.regressions.length}):`, asciiTable(head, changeRows(r.regressions)));
  }
  if (r.newFailures.length > 0) {
    out.push('', `New failures (${r.newFailures.length}):`);
    for (const f of r.newFailures) out.push(`  ${f.caseId} @ ${f.concurrency}: ${f.error}`);
  }
  if (r.improvements.length > 0) {
    out.push('', `Improvements (${r.improvements.length}):`, asciiTable(head, changeRows(r.improvements)));
  }
  if (r.missing.length > 0) out.push('', `Missing in new (${r.missing.length}): ${r.missing.join(', ')}`);
  if (r.added.length > 0) out.push('', `New in new (${r.added.length}): ${r.added.join(', ')}`);
  out.push('', hasRegressions(r) ? 'FAIL: regressions beyond the threshold' : 'OK: no regressions beyond the threshold');
  return `${out.join('\n')}\n`;
}
