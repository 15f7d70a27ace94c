/**
 * Seed 004's deployment strings (`tp8ep8`, `tp8ep8dp8`, `tp16ep16pp2`) and their
 * meaning under SGLang's flags, mapped onto the engine's ParallelConfig.
 *
 * SGLang: `--tp N` is the number of devices of one pipeline stage; `--dp D` with
 * `--enable-dp-attention` splits those N devices into D attention replicas of
 * N / D devices each (so D must divide N and adds no devices); `--ep E` shards the
 * routed experts E ways over the same N devices, each expert sliced N / E ways
 * (moe_tp_size = tp_size / ep_size); `--pp P` multiplies the devices by P.
 * Engine: attention tp = N / D, dp = D, pp = P, ep = E, moeTp = N / E, moeDp = 1,
 * which keeps its invariant ep x moeTp x moeDp = tp x dp = N.
 */
import { OptixUserError } from '../errors.js';
import { layerSplit } from '../engine/ops/step.js';
import type { ModelSpec, ParallelConfig } from '../engine/types.js';

export const DEPLOY_TOKENS = ['tp', 'ep', 'dp', 'pp'] as const;
export type DeployToken = (typeof DEPLOY_TOKENS)[number];

/** The sizes written in a deployment string; absent tokens are 1. */
export interface Deploy {
  /** The string as given, used in result file names. */
  name: string;
  tp: number;
  ep: number;
  dp: number;
  pp: number;
}

const HINT = "write tokens tp<N>, ep<N>, dp<N>, pp<N> (each at most once), e.g. 'tp8ep8' or 'tp8ep8dp8'";

/** Parses `tp8ep8dp8`-style strings strictly: known tokens, each once, positive integers. */
export function parseDeploy(text: string): Deploy {
  const name = text.trim();
  if (name === '') throw new OptixUserError('empty --deploy string', { hint: HINT });
  const seen = new Map<DeployToken, number>();
  let i = 0;
  while (i < name.length) {
    const col = i + 1;
    const m = /^([a-zA-Z]+)(\d*)/.exec(name.slice(i));
    if (m === null || m[0] === '') {
      throw new OptixUserError(`--deploy '${name}': unexpected '${name[i]}' at column ${col}`, { hint: HINT });
    }
    const word = m[1] as string;
    const digits = m[2] as string;
    if (!(DEPLOY_TOKENS as readonly string[]).includes(word)) {
      const lower = word.toLowerCase();
      throw new OptixUserError(`--deploy '${name}': unknown token '${word}' at column ${col}`, {
        hint: (DEPLOY_TOKENS as readonly string[]).includes(lower) ? `tokens are lower case: '${lower}${digits}'` : HINT,
      });
    }
    const token = word as DeployToken;
    if (digits === '') throw new OptixUserError(`--deploy '${name}': '${token}' at column ${col} needs a size, e.g. '${token}8'`, { hint: HINT });
    const size = Number(digits);
    if (!Number.isSafeInteger(size) || size <= 0 || /^0/.test(digits)) {
      throw new OptixUserError(`--deploy '${name}': ${token} size must be a positive integer without leading zeros, got '${digits}' at column ${col + token.length}`, { hint: HINT });
    }
    if (seen.has(token)) throw new OptixUserError(`--deploy '${name}': '${token}' appears twice (column ${col})`, { hint: HINT });
    seen.set(token, size);
    i += m[0].length;
  }
  return { name, tp: seen.get('tp') ?? 1, ep: seen.get('ep') ?? 1, dp: seen.get('dp') ?? 1, pp: seen.get('pp') ?? 1 };
}

/** Devices a deployment occupies: tp x pp (dp attention lives inside the TP group). */
export function deployDevices(d: Deploy): number {
  return d.tp * d.pp;
}

/** SGLang flags that the deployment stands for (for docs and logs). */
export function sglangFlags(d: Deploy): string {
  const parts = [`--tp ${d.tp}`];
  if (d.dp > 1) parts.push(`--dp ${d.dp} --enable-dp-attention`);
  if (d.ep > 1) parts.push(`--ep-size ${d.ep}`);
  if (d.pp > 1) parts.push(`--pp ${d.pp}`);
  return parts.join(' ');
}

/**
 * The engine layout of a deployment for one model, with every split the model
 * cannot take rejected by name (before the engine sees it).
 */
export function deployToParallel(d: Deploy, spec: ModelSpec): ParallelConfig {
  const fail = (message: string, hint?: string): never => {
    throw new OptixUserError(`--deploy '${d.name}': ${message}`, hint === undefined ? {} : { hint });
  };
  if (d.tp % d.dp !== 0) fail(`dp ${d.dp} must divide tp ${d.tp} (dp is attention DP inside the TP group, as SGLang's --dp with --enable-dp-attention)`);
  if (d.tp % d.ep !== 0) fail(`ep ${d.ep} must divide the ${d.tp} devices of a stage (tp)`);
  const attnTp = d.tp / d.dp;
  const moeTp = d.tp / d.ep;
  const a = spec.attention;
  if (a.numHeads % attnTp !== 0) fail(`attention TP ${attnTp} (tp / dp) does not divide the ${a.numHeads} attention heads of ${spec.id}`, 'use a dp that leaves a divisor of the head count');
  if (a.kind === 'gqa' && a.numKvHeads % attnTp !== 0 && attnTp % a.numKvHeads !== 0) {
    fail(`attention TP ${attnTp} and the ${a.numKvHeads} KV heads of ${spec.id} do not divide each other`);
  }
  const split = layerSplit(spec);
  if (split.dense > 0 && spec.intermediateSize % attnTp !== 0) {
    fail(`attention TP ${attnTp} does not divide the dense MLP intermediate size ${spec.intermediateSize}`);
  }
  if (spec.moe === undefined) {
    if (d.ep > 1) fail(`${spec.id} is a dense model; ep needs experts`, 'drop the ep token');
  } else {
    const m = spec.moe;
    if (m.numExperts % d.ep !== 0) fail(`ep ${d.ep} does not divide the ${m.numExperts} experts of ${spec.id}`);
    if (m.expertIntermediateSize % moeTp !== 0) {
      fail(`MoE TP ${moeTp} (tp / ep) does not divide the expert intermediate size ${m.expertIntermediateSize}`, 'raise ep');
    }
  }
  if (d.pp > spec.numLayers) fail(`pp ${d.pp} exceeds the ${spec.numLayers} layers of ${spec.id}`);
  return { tp: attnTp, dp: d.dp, pp: d.pp, ep: d.ep, moeTp, moeDp: 1 };
}
