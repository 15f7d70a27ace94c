import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { OptixUserError } from '../src/errors.js';
import { checkMetrics, parseLog, parseNumber } from '../src/log-parser/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixture = (name: string): string => readFileSync(join(here, 'fixtures', 'logs', name), 'utf8');

describe('parseNumber', () => {
  it('reads the spellings benchmark tools print', () => {
    expect(parseNumber('1,799.53')).toBe(1799.53);
    expect(parseNumber('8.4130E+13')).toBe(8.413e13);
    expect(parseNumber(' 42 ')).toBe(42);
    expect(parseNumber('N/A')).toBeUndefined();
    expect(parseNumber('11.…')).toBeUndefined();
    expect(parseNumber('-')).toBeUndefined();
  });
});

describe('vLLM bench serve', () => {
  const parsed = parseLog(fixture('vllm-bench-serve.log'));
  it('finds both runs, labelled with their max concurrency', () => {
    expect(parsed.tools).toEqual(['vllm']);
    expect(parsed.points.map((p) => p.concurrency)).toEqual([16, 64]);
  });
  it('maps the default block (mean/median/p99 of TTFT, TPOT, ITL and throughputs)', () => {
    expect(parsed.points[0]?.metrics).toEqual({
      completedRequests: 200,
      durationS: 51.23,
      requestsPerS: 3.9,
      outputTokensPerS: 3997.66,
      totalTokensPerS: 7995.32,
      ttftMs: 112.47,
      medianTtftMs: 98.31,
      p99TtftMs: 301.55,
      tpotMs: 3.89,
      medianTpotMs: 3.88,
      p99TpotMs: 4.12,
      itlMs: 3.89,
      medianItlMs: 3.71,
      p99ItlMs: 9.84,
    });
  });
  it('maps E2EL and extra percentiles (--percentile-metrics ttft,tpot,itl,e2el --metric-percentiles 50,90,99)', () => {
    const m = parsed.points[1]?.metrics ?? {};
    expect(m.e2eMs).toBe(6161.11);
    expect(m.medianE2eMs).toBe(6098.43);
    expect(m.p90E2eMs).toBe(6540.85);
    expect(m.p99E2eMs).toBe(7008.19);
    expect(m.p90TtftMs).toBe(690.42);
    expect(m.p99ItlMs).toBe(31.76);
    expect(m.outputTokensPerS).toBe(10564.87);
  });
});

describe('SGLang bench_serving', () => {
  const parsed = parseLog(fixture('sglang-bench-serving.log'));
  it('reads the block with Backend / E2E Latency / P95 ITL and its max concurrency', () => {
    expect(parsed.tools).toEqual(['sglang']);
    expect(parsed.points).toHaveLength(1);
    const p = parsed.points[0];
    expect(p?.concurrency).toBe(256);
    expect(p?.metrics).toMatchObject({
      requestsPerS: 16.02,
      inputTokensPerS: 32815.25,
      outputTokensPerS: 16407.63,
      totalTokensPerS: 49222.88,
      e2eMs: 15688.42,
      medianE2eMs: 15702.1,
      ttftMs: 1842.36,
      medianTtftMs: 1533.04,
      p99TtftMs: 5120.77,
      itlMs: 13.54,
      medianItlMs: 12.2,
      p95ItlMs: 16.94,
      p99ItlMs: 58.31,
    });
    // SGLang's "Concurrency: 251.37" is the measured average, not the configured level.
    expect(p?.metrics.concurrency).toBeUndefined();
  });
});

describe('trtllm-bench throughput', () => {
  const parsed = parseLog(fixture('trtllm-bench-throughput.log'));
  it('reads PERFORMANCE OVERVIEW and the streaming breakdowns; concurrency from the echoed command', () => {
    expect(parsed.tools).toEqual(['trtllm-bench']);
    expect(parsed.points).toHaveLength(1);
    const p = parsed.points[0];
    // "Number of concurrent requests: 121.4472" is an average; the command said --concurrency 128.
    expect(p?.concurrency).toBe(128);
    expect(p?.metrics).toMatchObject({
      requestsPerS: 86.5373,
      outputTokensPerS: 11076.77,
      totalTokensPerS: 22153.5399,
      e2eMs: 1403.381,
      ttftMs: 262.6706,
      tpotMs: 8.9835,
      outputTokensPerSPerGpu: 11076.77,
      outputTokensPerSPerUser: 111.3152,
      medianTtftMs: 229.7857,
      p99TtftMs: 612.4339,
      medianTpotMs: 9.0079,
      p99TpotMs: 10.1106,
      medianE2eMs: 1391.7905,
      p99E2eMs: 1637.6817,
    });
    // Total Latency 11555.7150 ms -> 11.555715 s.
    expect(p?.metrics.durationS).toBeCloseTo(11.555715, 9);
  });
});

describe('genai-perf and aiperf tables', () => {
  it('genai-perf: avg/p99/p90 columns, ITL doubles as TPOT, wrapped label rows joined', () => {
    const parsed = parseLog(fixture('genai-perf-profile.log'));
    expect(parsed.tools).toEqual(['genai-perf']);
    const p = parsed.points[0];
    expect(p?.concurrency).toBe(32);
    expect(p?.metrics).toMatchObject({
      ttftMs: 84.13,
      p99TtftMs: 230.48,
      p90TtftMs: 141.32,
      p75TtftMs: 99.29,
      e2eMs: 3799.53,
      p99E2eMs: 4062.39,
      itlMs: 14.57,
      tpotMs: 14.57,
      p99TpotMs: 15.88,
      outputTokensPerSPerUser: 68.64,
      outputTokensPerS: 2147.82,
      requestsPerS: 8.39,
      completedRequests: 320,
    });
    // genai-perf has no p50 column, so no median.
    expect(p?.metrics.medianTtftMs).toBeUndefined();
  });
  it('aiperf: labels wrapped over two and three rows, p50 -> median', () => {
    const parsed = parseLog(fixture('aiperf-profile.log'));
    expect(parsed.tools).toEqual(['aiperf']);
    const p = parsed.points[0];
    expect(p?.concurrency).toBe(8);
    expect(p?.metrics).toMatchObject({
      ttftMs: 19.99,
      medianTtftMs: 13.93,
      p99TtftMs: 48.89,
      stdTtftMs: 12.92,
      e2eMs: 1731.88,
      medianE2eMs: 1718.44,
      tpotMs: 6.72,
      itlMs: 6.72,
      p99ItlMs: 7.85,
      outputTokensPerS: 1178.43,
      requestsPerS: 4.62,
      totalTokensPerS: 1659.03,
      completedRequests: 100,
    });
  });
});

describe('optix estimate --json', () => {
  it('takes the ServingPoint inside the envelope, engine names kept', () => {
    const parsed = parseLog(`some banner\n${fixture('optix-estimate.json')}\n`);
    expect(parsed.tools).toEqual(['optix']);
    expect(parsed.points).toEqual([
      {
        concurrency: 32,
        metrics: {
          numDevices: 4,
          batchSize: 32,
          ttftMs: 412.5,
          tpotMs: 21.4,
          tokensPerS: 1469.1074,
          tokensPerSPerDevice: 367.2769,
          tokensPerSPerUser: 45.9096,
          prefillStepMs: 412.5,
          decodeStepMs: 21.4,
          qps: 1.4347,
        },
      },
    ]);
  });
  it('reads a bare array of points (a sweep) as several points', () => {
    const text = JSON.stringify([
      { concurrency: 1, ttftMs: 10, tpotMs: 2 },
      { concurrency: 8, ttftMs: 30, tpotMs: 3 },
    ]);
    expect(parseLog(text).points.map((p) => [p.concurrency, p.metrics.ttftMs])).toEqual([
      [1, 10],
      [8, 30],
    ]);
  });
});

describe('seed 001 custom extractor_pattern + metric_names', () => {
  const log = fixture('custom-disagg.log');
  it('one group per name: each match is a point, concurrency from the preceding log line', () => {
    const spec = { extractorPattern: 'Custom Pattern:\\s+([0-9.]+)', metricNames: ['CUSTOM_METRIC'] };
    const parsed = parseLog(log, spec);
    expect(parsed.points).toEqual([
      { concurrency: 1, metrics: { CUSTOM_METRIC: 48.31 } },
      { concurrency: 8, metrics: { CUSTOM_METRIC: 63.05 } },
      { concurrency: 36, metrics: { CUSTOM_METRIC: 121.8 } },
    ]);
    expect(checkMetrics(parsed, { ...spec, concurrencyList: [1, 8, 36] })).toBeUndefined();
  });
  it('several groups in one pattern fill several names', () => {
    const spec = {
      extractorPattern: 'Custom Pattern:\\s+([0-9.]+)\\s*\\nRequest throughput:\\s+([0-9.]+)',
      metricNames: ['LATENCY', 'RPS'],
    };
    expect(parseLog(log, spec).points.map((p) => p.metrics)).toEqual([
      { LATENCY: 48.31, RPS: 0.97 },
      { LATENCY: 63.05, RPS: 7.12 },
      { LATENCY: 121.8, RPS: 25.44 },
    ]);
  });
  it('a list of patterns, one per name; Python (?P<name>) groups accepted', () => {
    const spec = {
      extractorPattern: ['Custom Pattern:\\s+(?P<v>[0-9.]+)', 'Request throughput:\\s+([0-9.]+)'],
      metricNames: ['LATENCY', 'RPS'],
    };
    expect(parseLog(log, spec).points[2]?.metrics).toEqual({ LATENCY: 121.8, RPS: 25.44 });
  });
  it('without concurrency in the log, the case concurrency_list labels the points', () => {
    const text = 'X: 1\nX: 2\n';
    const parsed = parseLog(text, { extractorPattern: 'X: (\\d+)', metricNames: ['X'], concurrencyList: [4, 16] });
    expect(parsed.points.map((p) => p.concurrency)).toEqual([4, 16]);
  });
  it('group count must match metric_names; bad regex is a user error', () => {
    expect(() => parseLog(log, { extractorPattern: '(a)(b)', metricNames: ['A'] })).toThrow(/2 capture group/);
    expect(() => parseLog(log, { extractorPattern: '([0-9', metricNames: ['A'] })).toThrow(OptixUserError);
  });
});

describe('checkMetrics (a missing metric fails the case)', () => {
  it('no results at all', () => {
    const parsed = parseLog(fixture('crashed-run.log'));
    expect(parsed.points).toEqual([]);
    expect(checkMetrics(parsed)).toMatch(/^metric not found: no benchmark results/);
  });
  it('custom pattern that matches nothing', () => {
    const spec = { extractorPattern: 'Nope:\\s+([0-9.]+)', metricNames: ['NOPE'] };
    expect(checkMetrics(parseLog(fixture('custom-disagg.log'), spec), spec)).toMatch(/matched nothing/);
  });
  it('a required normalized metric the tool did not print', () => {
    const parsed = parseLog(fixture('sglang-bench-serving.log'));
    // SGLang's block here has no TPOT section.
    expect(checkMetrics(parsed, { required: ['ttftMs', 'tpotMs'] })).toBe(
      'metric not found: point 1 (concurrency 256) lacks tpotMs',
    );
    expect(checkMetrics(parsed, { required: ['ttftMs', 'itlMs'] })).toBeUndefined();
  });
  it('fewer result blocks than concurrency_list entries (a run died half way)', () => {
    const parsed = parseLog(fixture('vllm-bench-serve.log'));
    expect(checkMetrics(parsed, { concurrencyList: [16, 64, 128] })).toMatch(/found 2 result block\(s\), expected 3/);
  });
});
