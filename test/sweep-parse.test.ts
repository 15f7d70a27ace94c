import { describe, expect, it } from 'vitest';
import { userError } from './user-error.js';
import { parseHfConfig } from '../src/engine/models/index.js';
import { deployDevices, deployToParallel, parseDeploy, sglangFlags } from '../src/sweep/deploy.js';
import { parseGrid } from '../src/sweep/grid.js';

describe('grid file (seed 004 {bsz};{seq})', () => {
  it('parses the seed example into every combination, batch-major', () => {
    const g = parseGrid('1,2,4;128,256,512', 'g');
    expect(g.batchSizes).toEqual([1, 2, 4]);
    expect(g.seqLens).toEqual([128, 256, 512]);
    expect(g.points).toHaveLength(9);
    expect(g.points[0]).toEqual({ batchSize: 1, seqLen: 128 });
    expect(g.points[3]).toEqual({ batchSize: 2, seqLen: 128 });
    expect(g.points[8]).toEqual({ batchSize: 4, seqLen: 512 });
  });

  it('tolerates braces, whitespace, comments, blank lines and several grids', () => {
    const text = '# header comment\n\n { 1, 8 } ; {1024} # trailing\r\n16;1024,2048\n';
    const g = parseGrid(text, 'g');
    expect(g.points).toEqual([
      { batchSize: 1, seqLen: 1024 },
      { batchSize: 8, seqLen: 1024 },
      { batchSize: 16, seqLen: 1024 },
      { batchSize: 16, seqLen: 2048 },
    ]);
    expect(g.batchSizes).toEqual([1, 8, 16]);
  });

  it('drops points repeated across lines', () => {
    expect(parseGrid('1;128\n1,2;128', 'g').points).toHaveLength(2);
  });

  it.each([
    ['1,2,4', 1, 1, /no ';'/],
    ['1;2;3', 1, 4, /more than one ';'/],
    ['1,,4;128', 1, 3, /empty batch size value/],
    ['1,2;', 1, 5, /empty sequence length value/],
    ['1,x;128', 1, 3, /'x' is not a batch size value/],
    ['1,2.5;128', 1, 3, /positive integers, got '2.5'/],
    ['1,0;128', 1, 3, /positive integers, got '0'/],
    ['\n# c\n1,2;128,-4', 3, 9, /positive integers, got '-4'/],
    ['1,1;128', 1, 3, /duplicate batch size 1/],
    ['{1,2;128', 1, 1, /'\{' without '\}'/],
    ['1,2};128', 1, 4, /'\}' without '\{'/],
    ['a{1};128', 1, 1, /unexpected 'a' before/],
  ])('rejects %j at line %i column %i', (text, line, column, message) => {
    const e = userError(() => parseGrid(text, 'grid.csv'));
    expect(e.message).toMatch(message);
    expect(e.file).toBe('grid.csv');
    expect(e.line).toBe(line);
    expect(e.column).toBe(column);
    expect(e.format()).toContain(`grid.csv:${line}:${column}: `);
  });

  it('rejects a file with no grid', () => {
    expect(userError(() => parseGrid('# nothing\n\n', 'g')).message).toMatch(/no grid/);
  });
});

// Qwen3-30B-A3B's shape: 32 heads, 4 KV heads, 128 experts of intermediate 768, 48 layers.
const qwen = parseHfConfig(
  {
    architectures: ['Qwen3MoeForCausalLM'],
    model_type: 'qwen3_moe',
    hidden_size: 2048,
    num_hidden_layers: 48,
    num_attention_heads: 32,
    num_key_value_heads: 4,
    head_dim: 128,
    vocab_size: 151936,
    max_position_embeddings: 40960,
    intermediate_size: 6144,
    moe_intermediate_size: 768,
    num_experts: 128,
    num_experts_per_tok: 8,
    decoder_sparse_step: 1,
    mlp_only_layers: [],
  },
  'qwen.json',
);

describe('deployment strings', () => {
  it.each([
    ['tp8', { tp: 8, ep: 1, dp: 1, pp: 1 }],
    ['tp8ep8', { tp: 8, ep: 8, dp: 1, pp: 1 }],
    ['tp8ep8dp8', { tp: 8, ep: 8, dp: 8, pp: 1 }],
    ['ep4tp8', { tp: 8, ep: 4, dp: 1, pp: 1 }],
    ['tp16ep16pp2', { tp: 16, ep: 16, dp: 1, pp: 2 }],
  ])('parses %s', (text, sizes) => {
    expect(parseDeploy(text)).toEqual({ name: text, ...sizes });
  });

  it('counts tp x pp devices (dp lives inside the TP group)', () => {
    expect(deployDevices(parseDeploy('tp8ep8dp8'))).toBe(8);
    expect(deployDevices(parseDeploy('tp8ep8pp2'))).toBe(16);
    expect(sglangFlags(parseDeploy('tp8ep8dp8'))).toBe('--tp 8 --dp 8 --enable-dp-attention --ep-size 8');
  });

  it.each([
    ['', /empty --deploy/],
    ['tp8xp2', /unknown token 'xp' at column 4/],
    ['TP8', /unknown token 'TP'.*/],
    ['tp8tp4', /'tp' appears twice/],
    ['tp0', /positive integer/],
    ['tp08', /leading zeros/],
    ['tp', /needs a size/],
    ['tp8-ep8', /unexpected '-' at column 4/],
    ['8tp', /unexpected '8' at column 1/],
  ])('rejects %j', (text, message) => {
    expect(userError(() => parseDeploy(text)).message).toMatch(message);
  });

  it('lower-case hint for upper-case tokens', () => {
    expect(userError(() => parseDeploy('TP8')).hint).toContain("'tp8'");
  });

  it('maps SGLang tp8ep8dp8 to attention TP 1 x DP 8 with EP 8 over the same 8 devices', () => {
    expect(deployToParallel(parseDeploy('tp8ep8dp8'), qwen)).toEqual({ tp: 1, dp: 8, pp: 1, ep: 8, moeTp: 1, moeDp: 1 });
  });

  it('maps tp8ep8 to attention TP 8 and tp8ep2 to EP 2 x MoE-TP 4 (moe_tp = tp / ep)', () => {
    expect(deployToParallel(parseDeploy('tp8ep8'), qwen)).toEqual({ tp: 8, dp: 1, pp: 1, ep: 8, moeTp: 1, moeDp: 1 });
    expect(deployToParallel(parseDeploy('tp8ep2dp2'), qwen)).toEqual({ tp: 4, dp: 2, pp: 1, ep: 2, moeTp: 4, moeDp: 1 });
    expect(deployToParallel(parseDeploy('tp8ep8pp2'), qwen)).toEqual({ tp: 8, dp: 1, pp: 2, ep: 8, moeTp: 1, moeDp: 1 });
  });

  it.each([
    ['tp8dp3', /dp 3 must divide tp 8/],
    ['tp8ep16', /ep 16 must divide the 8 devices/],
    ['tp6ep6dp6', /ep 6 does not divide the 128 experts/],
    ['tp64ep64', /attention TP 64 \(tp \/ dp\) does not divide the 32 attention heads/],
    ['tp3ep1', /attention TP 3 .* does not divide the 32 attention heads/],
    ['tp8pp64', /pp 64 exceeds the 48 layers/],
  ])('rejects %s for Qwen3-30B-A3B', (text, message) => {
    expect(userError(() => deployToParallel(parseDeploy(text), qwen)).message).toMatch(message);
  });

  it('rejects ep on a dense model', () => {
    const dense = { ...qwen, moe: undefined, family: 'dense' as const };
    delete dense.moe;
    expect(userError(() => deployToParallel(parseDeploy('tp8ep8'), dense)).message).toMatch(/dense model; ep needs experts/);
  });
});
