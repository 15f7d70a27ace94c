import { describe, expect, it } from 'vitest';
import { prefillsPerLockstepIteration, queuedTtftMs, SCHEDULERS, steadyStateDecodeMs } from '../src/engine/scheduler.js';
import { runOptix } from './cli.js';

const example = ['estimate', 'Qwen/Qwen3-32B', '--device', 'H100_SXM_80G', '--num-devices', '1', '--tp-size', '1', '--concurrency', '8', '--input-length', '1024', '--output-length', '128', '--quantize-linear-action', 'FP8'];

describe('optix estimate', () => {
  it('runs the issue-2 example and prints TTFT, TPOT, throughput, memory and shares', async () => {
    const r = await runOptix(example);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Parallel: TP=1 \| PP=1 \| DP=1/);
    expect(r.stdout).toMatch(/\| TTFT \(ms\) \| TPOT \(ms\) \| Throughput \(token\/s\) \|/);
    expect(r.stdout).toMatch(/Memory per device \(GB\): weights [\d.]+ \+ KV [\d.]+ .* of 85\.90/);
    expect(r.stdout).toMatch(/Mem [\d.]+% \| Comm [\d.]+% \| Cube [\d.]+% \| Vec [\d.]+%/);
  });

  it('--json gives the point, both steps and the warnings; --detail adds the per-op tables', async () => {
    const r = await runOptix([...example, '--json', '--detail']);
    expect(r.exitCode, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as {
      point: { ttftMs: number; tpotMs: number; tokensPerS: number; concurrency: number; memory: { oom: boolean } };
      prefillStep: { timeMs: number; ops: Array<{ name: string; bucket: string }> };
      decodeStep: { timeMs: number; ops: Array<{ name: string }> };
      warnings: string[];
    };
    expect(j.point.concurrency).toBe(8);
    expect(j.point.memory.oom).toBe(false);
    // Seed 002: throughput = 1000 x osl x concurrency / (ttft + tpot x osl).
    expect(j.point.tokensPerS).toBeCloseTo((1000 * 128 * 8) / (j.point.ttftMs + j.point.tpotMs * 128), 6);
    expect(j.prefillStep.ops.map((o) => o.name)).toContain('qkv_proj');
    expect(j.decodeStep.ops.map((o) => o.name)).toContain('attention_decode');
    const text = await runOptix([...example, '--detail']);
    expect(text.stdout).toMatch(/Prefill step: [\d.]+ ms/);
    expect(text.stdout).toMatch(/\| op +\| count \| bucket \| time \(ms\) \|/);
  });

  it('--scheduling steady-state models closed-loop serving (TTFT from single-request prefills)', async () => {
    const seed = JSON.parse((await runOptix([...example, '--json'])).stdout) as { point: { ttftMs: number } };
    const steady = JSON.parse((await runOptix([...example, '--json', '--scheduling', 'steady-state'])).stdout) as { point: { ttftMs: number; prefillStepMs: number } };
    // Steady state, generic scheduler (src/engine/scheduler.ts): overhead + (base + 8 / clients) single-request prefills.
    expect(steady.point.ttftMs).toBeCloseTo(queuedTtftMs(SCHEDULERS.generic, steady.point.prefillStepMs, 8), 6);
    expect(steady.point.ttftMs).not.toBeCloseTo(seed.point.ttftMs, 0);
    // --serving-engine picks the engine's queue law.
    const sglang = JSON.parse((await runOptix([...example, '--json', '--scheduling', 'steady-state', '--serving-engine', 'sglang'])).stdout) as { point: { ttftMs: number; prefillStepMs: number } };
    expect(sglang.point.prefillStepMs).toBeCloseTo(steady.point.prefillStepMs, 9);
    expect(sglang.point.ttftMs).toBeCloseTo(queuedTtftMs(SCHEDULERS.sglang, sglang.point.prefillStepMs, 8), 6);
    expect(sglang.point.ttftMs).not.toBeCloseTo(steady.point.ttftMs, 0);
    // The text output names the law behind its numbers.
    const text = await runOptix([...example, '--scheduling', 'steady-state', '--serving-engine', 'sglang']);
    const law = SCHEDULERS.sglang;
    expect(text.stdout).toContain(`Steady-state scheduling, sglang scheduler: TTFT = ${law.requestOverheadMs} ms + prefill step x (${law.basePrefills} + 8 / ${law.clientsPerPrefill})`);
    // Fixed request lengths: lockstep waves on SGLang (8 prompts of 1024 in one prefill step), nothing changes on vLLM.
    const waves = await runOptix([...example, '--scheduling', 'steady-state', '--serving-engine', 'sglang', '--request-lengths', 'fixed']);
    expect(waves.stdout).toContain('Steady-state scheduling, sglang scheduler, fixed request lengths: lockstep waves of 8 requests');
    const wave = JSON.parse((await runOptix([...example, '--json', '--scheduling', 'steady-state', '--serving-engine', 'sglang', '--request-lengths', 'fixed'])).stdout) as { point: { ttftMs: number } };
    expect(wave.point.ttftMs).toBeGreaterThan(law.requestOverheadMs);
    expect(wave.point.ttftMs).not.toBeCloseTo(sglang.point.ttftMs, 0);
    // On vLLM, fixed lengths come back as a train: its fixed-length queue law, the same decode.
    const vllm = async (lengths: string) => (JSON.parse((await runOptix([...example, '--json', '--scheduling', 'steady-state', '--serving-engine', 'vllm', '--request-lengths', lengths])).stdout) as { point: { ttftMs: number; tpotMs: number; prefillStepMs: number } }).point;
    const [train, queue] = [await vllm('fixed'), await vllm('varied')];
    expect(train.ttftMs).toBeCloseTo(queuedTtftMs(SCHEDULERS.vllm.fixedLengths!, train.prefillStepMs, 8), 6);
    expect(queue.ttftMs).toBeCloseTo(queuedTtftMs(SCHEDULERS.vllm, queue.prefillStepMs, 8), 6);
    expect(train.tpotMs).toBe(queue.tpotMs);
    const trainText = await runOptix([...example, '--scheduling', 'steady-state', '--serving-engine', 'vllm', '--request-lengths', 'fixed']);
    const tl = SCHEDULERS.vllm.fixedLengths!;
    expect(trainText.stdout).toContain(`Steady-state scheduling, vllm scheduler, fixed request lengths (a train of prefills): TTFT = ${tl.requestOverheadMs} ms + prefill step x (${tl.basePrefills} + 8 / ${tl.clientsPerPrefill})`);
    // Without the steady-state model the per-engine laws would be ignored: say so instead.
    const ignored = await runOptix([...example, '--request-lengths', 'fixed']);
    expect(ignored.exitCode).toBe(2);
    expect(ignored.stderr).toContain('--request-lengths fixed has no effect under --scheduling seed');
    expect(ignored.stderr).toContain('add --scheduling steady-state');
    const ignoredEngine = await runOptix([...example, '--serving-engine', 'sglang']);
    expect(ignoredEngine.stderr).toContain('--serving-engine sglang has no effect under --scheduling seed');
    const badLengths = await runOptix([...example, '--request-lengths', 'uniform']);
    expect(badLengths.exitCode).toBe(2);
    expect(badLengths.stderr).toMatch(/--request-lengths.*uniform.*varied, fixed/s);
    const bad = await runOptix([...example, '--serving-engine', 'tgi']);
    expect(bad.exitCode).not.toBe(0);
    expect(bad.stderr).toMatch(/--serving-engine.*tgi.*generic, vllm, sglang, trtllm/s);
  });

  it('steady state with attention DP over shared experts: the law names the lockstep ranks, and TPOT carries their busiest prefills', async () => {
    const dep = ['estimate', 'deepseek-ai/DeepSeek-V3', '--device', 'H100_SXM_80G', '--tp-size', '1', '--num-devices', '16', '--ep-size', '16', '--input-length', '1024', '--output-length', '1024', '--concurrency', '256', '--scheduling', 'steady-state'];
    const text = await runOptix(dep);
    expect(text.exitCode, text.stderr).toBe(0);
    expect(text.stdout).toContain('max over 16 lockstep ranks of Poisson(16 / output) prefills');
    const j = JSON.parse((await runOptix([...dep, '--json'])).stdout) as { point: { tpotMs: number; decodeStepMs: number } };
    expect(j.point.tpotMs - steadyStateDecodeMs(SCHEDULERS.generic, j.point.decodeStepMs)).toBeGreaterThan(0);
    // 16 per rank, 1024 output tokens: 1/64 prefills per iteration on one rank. The busiest of 16
    // waits for at least one with probability 1 - e^(-16/64) = 0.2212, two with ~0.0019: 0.223, not 16/64.
    expect(prefillsPerLockstepIteration(16 / 1024, 16)).toBeCloseTo(0.2231, 4);
  });

  it("--attention-dp-balance holds prefills for the other attention-DP ranks (TensorRT-LLM's enable_balance)", async () => {
    const dep = ['estimate', 'deepseek-ai/DeepSeek-V3', '--device', 'H100_SXM_80G', '--tp-size', '1', '--num-devices', '16', '--ep-size', '16', '--input-length', '1024', '--output-length', '1024', '--concurrency', '128', '--quantize-linear-action', 'FP8', '--scheduling', 'steady-state', '--serving-engine', 'trtllm'];
    type Point = { point: { ttftMs: number; tpotMs: number; attentionDpBalanceWaitMs: number } };
    const [off, on, defaults] = await Promise.all([runOptix([...dep, '--json']), runOptix([...dep, '--attention-dp-balance', '60,0', '--json']), runOptix([...dep, '--attention-dp-balance', 'trtllm', '--json'])]);
    expect(on.exitCode, on.stderr).toBe(0);
    const [a, b, c] = [off, on, defaults].map((r) => (JSON.parse(r.stdout) as Point).point);
    expect(a!.attentionDpBalanceWaitMs).toBe(0);
    expect(b!.attentionDpBalanceWaitMs).toBeGreaterThan(0);
    expect(b!.ttftMs).toBeCloseTo(a!.ttftMs + b!.attentionDpBalanceWaitMs, 6);
    // TensorRT-LLM's defaults (50 iterations, then 10 more once every rank has one) differ from 60 / 0.
    expect(c!.attentionDpBalanceWaitMs).not.toBeCloseTo(b!.attentionDpBalanceWaitMs, 3);
    const text = await runOptix([...dep, '--attention-dp-balance', '60,0']);
    const t = SCHEDULERS.trtllm;
    expect(text.stdout).toContain(`TTFT = ${t.requestOverheadMs} ms + prefill step x (${t.basePrefills} + 8 / ${t.clientsPerPrefill}) + attention-DP balance hold `);
    const bad = await runOptix([...dep, '--attention-dp-balance', '60']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain("--attention-dp-balance expects <timeout,wait> in decode iterations (two integers >= 0, e.g. 60,0) or 'trtllm', got '60'");
    const seed = await runOptix([...dep.filter((x) => !['--scheduling', 'steady-state', '--serving-engine', 'trtllm'].includes(x)), '--attention-dp-balance', '60,0']);
    expect(seed.exitCode).toBe(2);
    expect(seed.stderr).toContain('--attention-dp-balance has no effect under --scheduling seed');
  });

  it('a disaggregated decode instance with MTP on DeepSeek-V3', async () => {
    const r = await runOptix(['estimate', 'deepseek-ai/DeepSeek-V3', '--device', 'H200_SXM_141G', '--tp-size', '8', '--concurrency', '32', '--input-length', '1024', '--output-length', '1024', '--mode', 'decode', '--num-mtp-tokens', '2', '--quantize-linear-action', 'FP8', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as { point: { mode: string; ttftMs: number; tpotMs: number } };
    expect(j.point.mode).toBe('decode');
    expect(j.point.tpotMs).toBeGreaterThan(0);
  });

  it('images add vision tokens and the vision encoder\'s work to VL models; other models refuse them', async () => {
    const args = ['--device', 'H100_SXM_80G', '--tp-size', '1', '--concurrency', '4', '--input-length', '256', '--output-length', '128', '--image-height', '448', '--image-width', '448'];
    const vl = await runOptix(['estimate', 'Qwen/Qwen3-VL-8B-Instruct', ...args, '--detail']);
    expect(vl.exitCode, vl.stderr).toBe(0);
    // The prefill step of 4 whole prompts runs the ViT over their images; nothing is left unmodeled.
    expect(vl.stdout).toMatch(/\| vit_attention +\| 27 +\| cube/);
    expect(vl.stdout).not.toMatch(/warning: .*image tokens/);
    const [withImage, without] = await Promise.all([
      runOptix(['estimate', 'Qwen/Qwen3-VL-8B-Instruct', ...args, '--json']),
      runOptix(['estimate', 'Qwen/Qwen3-VL-8B-Instruct', ...args.slice(0, -4), '--json']),
    ]);
    const ttft = (r: typeof vl) => (JSON.parse(r.stdout) as { point: { ttftMs: number } }).point.ttftMs;
    expect(ttft(withImage)).toBeGreaterThan(ttft(without));
    const text = await runOptix(['estimate', 'Qwen/Qwen3-8B', ...args]);
    expect(text.exitCode).toBe(2);
    expect(text.stderr).toMatch(/image inputs are not supported for Qwen\/Qwen3-8B/);
  });

  it('bad input: one line, exit 2, naming the fix', async () => {
    const unknown = await runOptix(['estimate', 'Qwen/Qwen3-32B', '--device', 'NOPE', '--tp-size', '1', '--concurrency', '8', '--input-length', '1024', '--output-length', '128']);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toMatch(/unknown device 'NOPE' \(valid names: A100_SXM_80G, .*H100_SXM_80G/);
    const split = await runOptix(['estimate', 'Qwen/Qwen3-32B', '--device', 'H100_SXM_80G', '--num-devices', '6', '--tp-size', '4', '--concurrency', '8', '--input-length', '1024', '--output-length', '128']);
    expect(split.exitCode).toBe(2);
    expect(split.stderr.trim()).toBe('optix: error: --num-devices 6 is not a multiple of tp x pp (4 x 1)');
    const mtp = await runOptix([...example, '--num-mtp-tokens', '1']);
    expect(mtp.exitCode).toBe(2);
    expect(mtp.stderr).toMatch(/has no MTP layers/);
    const model = await runOptix(['estimate', 'nobody/none', '--device', 'H100_SXM_80G', '--tp-size', '1', '--concurrency', '1', '--input-length', '8', '--output-length', '8']);
    expect(model.exitCode).toBe(2);
    expect(model.stderr.split('\n').filter(Boolean)).toHaveLength(1);
  });
});
