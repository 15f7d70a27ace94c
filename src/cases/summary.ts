/** `--validate-csv`'s per-case summary: what each row will ask the optimizer. */
import { searchDimensions } from '../engine/search.js';
import { LIST_DELIMITER } from './columns.js';
import type { ResolvedCase } from './request.js';

export interface CaseSummary {
  line: number;
  caseName: string;
  device: string;
  numDevices: number;
  model: string;
  inputLength: number;
  outputLength: number;
  ttftLimitMs: number | null;
  tpotLimitMs: number;
  mode: string;
  quant: string;
  searchSpace: string;
  mtp: string;
  maxPrefillTokens: number;
  batchRange: string;
}

export function summarize(line: number, { spec, request }: ResolvedCase): CaseSummary {
  const dims = searchDimensions(request.search, spec.numDevices);
  const list = (v: number[]): string => v.join(LIST_DELIMITER);
  const searched = (given: number[] | undefined, values: number[]): string => `${list(values)}${given === undefined ? (values.length > 1 ? ' (default)' : ' (fixed)') : ''}`;
  let space = `TP ${searched(spec.tpSizes, dims.tp)}`;
  if (request.model.moe) space += ` | EP ${searched(spec.epSizes, dims.ep)}`;
  return {
    line,
    caseName: spec.caseName,
    device: request.devices[0]!.name,
    numDevices: spec.numDevices,
    model: request.model.id,
    inputLength: spec.inputLength,
    outputLength: spec.outputLength,
    ttftLimitMs: spec.ttftLimitMs ?? null,
    tpotLimitMs: spec.tpotLimitMs,
    mode: spec.mode,
    quant: `${spec.quantizeLinearAction}/${spec.quantizeAttentionAction}`,
    searchSpace: space,
    mtp: spec.numMtpTokens > 0 ? `${spec.numMtpTokens} (${list(spec.mtpAcceptanceRates)})` : '0',
    maxPrefillTokens: spec.maxPrefillTokens,
    batchRange: spec.batchRange ? list(spec.batchRange) : 'any',
  };
}
