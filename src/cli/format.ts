/** Output helpers shared by the commands: seed-style ASCII tables and number formats. */
import Table from 'cli-table3';
import type { ParallelConfig } from '../engine/types.js';

/** A prettytable-style ASCII table (`+---+` borders), as in the seed documents' output. */
export function asciiTable(head: string[], rows: Array<Array<string | number>>): string {
  const table = new Table({
    head,
    style: { head: [], border: [], compact: false, 'padding-left': 1, 'padding-right': 1 },
    chars: {
      top: '-', 'top-mid': '+', 'top-left': '+', 'top-right': '+',
      bottom: '-', 'bottom-mid': '+', 'bottom-left': '+', 'bottom-right': '+',
      left: '|', 'left-mid': '+', mid: '-', 'mid-mid': '+',
      right: '|', 'right-mid': '+', middle: '|',
    },
  });
  for (const r of rows) table.push(r.map((c) => (typeof c === 'number' ? String(c) : c)));
  // cli-table3 draws a rule between every row; the seed's tables have rules only around the header.
  const lines = table.toString().split('\n');
  const rule = lines[0] ?? '';
  const kept = lines.filter((l, i) => !(l.startsWith('+') && i > 2 && i < lines.length - 1));
  return kept.map((l) => (l.startsWith('+') ? rule : l)).join('\n');
}

export function fixed(v: number, digits = 2): string {
  return Number.isFinite(v) ? v.toFixed(digits) : '-';
}

/** `TP=8 | PP=1 | DP=1` as seed 002 prints it; EP/MoE-DP appended only for MoE layouts that use them. */
export function formatParallel(p: ParallelConfig, moe = false): string {
  let s = `TP=${p.tp} | PP=${p.pp} | DP=${p.dp}`;
  if (moe && (p.ep > 1 || p.moeDp > 1)) s += ` | EP=${p.ep}${p.moeDp > 1 ? ` | MOE-DP=${p.moeDp}` : ''}`;
  return s;
}

export function gb(bytes: number): string {
  return (bytes / 1e9).toFixed(2);
}

export function pct(share: number): string {
  return (share * 100).toFixed(1);
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
