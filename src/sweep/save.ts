/** `--save`: the sweep's CSV under `<outDir>/csv/` and its raw log under `<outDir>/raw_output/`. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { OptixUserError } from '../errors.js';

export interface SavedFiles {
  csvFile: string;
  rawFile: string;
}

export function saveSweep(outDir: string, baseName: string, columns: readonly string[], rows: Array<Record<string, unknown>>, raw: string): SavedFiles {
  const csvDir = path.join(outDir, 'csv');
  const rawDir = path.join(outDir, 'raw_output');
  try {
    mkdirSync(csvDir, { recursive: true });
    mkdirSync(rawDir, { recursive: true });
  } catch (e) {
    throw new OptixUserError(`cannot create result folders under '${outDir}': ${(e as Error).message}`, { hint: 'check --out-dir', cause: e });
  }
  const csvFile = path.join(csvDir, `${baseName}.csv`);
  const rawFile = path.join(rawDir, `${baseName}.log`);
  writeFileSync(csvFile, stringify(rows, { header: true, columns: [...columns] }));
  writeFileSync(rawFile, raw);
  return { csvFile, rawFile };
}
