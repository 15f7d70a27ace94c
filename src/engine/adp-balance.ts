/**
 * Attention-DP balancing: a scheduler option that holds new prefills back so
 * that the attention-DP ranks start theirs together (TensorRT-LLM's
 * `attention_dp_config.enable_balance`). Ranks of an attention-DP instance
 * step in lockstep (the MoE all-to-all joins them every iteration), so a
 * prefill on one rank stalls the decode of all the others; the balancer makes
 * them prefill in the same iterations instead.
 *
 * TensorRT-LLM's PyExecutor `_balance_adp_requests`, every iteration: when
 * every rank has a context request waiting, it schedules them, after
 * `batching_wait_iters` more iterations when every rank also has generation
 * requests; otherwise it holds them and counts the iteration, releasing what
 * waits once `timeout_iters` iterations have passed since the last release
 * (or at once when some rank has no generation request at all).
 *
 * In a closed loop each rank of a replica sees its requests arrive at
 * `lambda` = requests per rank / (TTFT + (output - 1) x TPOT). After a release
 * every rank starts empty, so the next release comes after
 *
 *   L = min(M, T) + W x [M < T],   M = max over the R ranks of their first arrival,
 *
 * T = timeout_iters iterations and W = batching_wait_iters iterations of the
 * running decode. M is the maximum of R exponential(lambda) times:
 * P(M <= t) = (1 - exp(-lambda t))^R. A request arriving at a random time waits
 * the residual of its period, E[L^2] / (2 E[L]) (renewal theory). At low load
 * that is half the timeout; when every rank gets a request well within it, the
 * wait for the last rank plus W.
 */

import type { AttentionDpBalance } from './types.js';

/** TensorRT-LLM's defaults when `enable_balance` is set without the other fields. */
export const TRTLLM_ATTENTION_DP_BALANCE: Readonly<AttentionDpBalance> = { timeoutIterations: 50, batchingWaitIterations: 10 };

/** Simpson intervals over the span where 1 - F is not negligible: F is smooth there, and 128 put the integrals within 1e-6 of their limit. */
const INTERVALS = 128;

/**
 * Mean time (ms) a new request's prefill is held by the balancer.
 * `ranks` attention-DP ranks, `arrivalsPerRankPerMs` new requests per rank per
 * ms, `iterationMs` one decode iteration of the replica.
 */
export function attentionDpBalanceWaitMs(balance: AttentionDpBalance, ranks: number, arrivalsPerRankPerMs: number, iterationMs: number): number {
  if (ranks <= 1 || !(iterationMs > 0)) return 0;
  const timeout = balance.timeoutIterations * iterationMs;
  const wait = balance.batchingWaitIterations * iterationMs;
  if (!(timeout > 0)) return wait;
  // No arrivals: nothing ever joins the held prefill, which leaves at the timeout.
  if (!(arrivalsPerRankPerMs > 0)) return timeout / 2;
  const allArrived = (t: number): number => (1 - Math.exp(-arrivalsPerRankPerMs * t)) ** ranks;
  // E[min(M, T)] = int_0^T (1 - F) and E[min(M, T)^2] = int_0^T 2t (1 - F); 1 - F < R e^(-lambda t)
  // is below e^-36 past (ln R + 36) / lambda, so the integrals stop there when that comes first.
  const upper = Math.min(timeout, (Math.log(ranks) + 36) / arrivalsPerRankPerMs);
  let survival = 0;
  let survival2 = 0;
  const h = upper / INTERVALS;
  for (let i = 0; i <= INTERVALS; i++) {
    const t = i * h;
    const w = i === 0 || i === INTERVALS ? 1 : i % 2 === 1 ? 4 : 2;
    const f = allArrived(t);
    survival += w * (1 - f);
    survival2 += w * 2 * t * (1 - f);
  }
  survival *= h / 3;
  survival2 *= h / 3;
  const beforeTimeout = allArrived(timeout);
  // E[M; M < T] = T F(T) - int_0^T F = T F(T) - (T - E[min(M, T)]).
  const meanBeforeTimeout = timeout * beforeTimeout - (timeout - survival);
  const meanPeriod = survival + wait * beforeTimeout;
  const meanSquare = survival2 + 2 * wait * meanBeforeTimeout + wait * wait * beforeTimeout;
  return meanSquare / (2 * meanPeriod);
}
