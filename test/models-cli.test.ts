import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { cli, root } from './cli.js';
import { afterAll, describe, expect, it } from 'vitest';

const generator = path.join(root, 'dist/scripts/gen-model-catalog.js');
const sharedConfigs = path.resolve(root, '../shared/model_configs');
const tmp = mkdtempSync(path.join(tmpdir(), 'optix-models-cli-'));

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function optix(...args: string[]) {
  return execa('node', [cli, ...args], { cwd: root, reject: false });
}

describe('optix models', () => {
  it('list --json gives ids, families and parameter counts in billions', async () => {
    const r = await optix('models', 'list', '--json');
    expect(r.exitCode).toBe(0);
    const rows = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    const v3 = rows.find((x) => x.id === 'deepseek-ai/DeepSeek-V3');
    // 671.03B total, 36.63B active (see test/models.test.ts for the published figures)
    expect(v3).toMatchObject({ family: 'mla-moe', layers: 61, hidden: 7168, totalParamsB: 671.03, activeParamsB: 36.63 });
    expect(rows.find((x) => x.id === 'meta-llama/Llama-3.3-70B-Instruct')?.note).toContain('Llama 3.1 70B');
  });

  it('list prints a table', async () => {
    const r = await optix('models', 'list');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/id\s+│ family\s+│ layers/);
    expect(r.stdout).toMatch(/Qwen\/Qwen3-32B\s+│ dense\s+│\s+64 │\s+5120 │\s+32\.76 │/);
  });

  it('show ID --json gives the spec and parameter counts', async () => {
    const r = await optix('models', 'show', 'qwen/qwen3-30b-a3b', '--json');
    expect(r.exitCode).toBe(0);
    const out = JSON.parse(r.stdout) as { spec: Record<string, unknown>; parameters: Record<string, number> };
    expect(out.spec).toMatchObject({ id: 'Qwen/Qwen3-30B-A3B', family: 'moe', numLayers: 48, moe: { numExperts: 128, topK: 8 } });
    expect(out.parameters.total).toBe(30532122624);
  });

  it('show PATH reads a config.json and prints a table', async () => {
    const file = path.join(tmp, 'config.json');
    const cfg = {
      architectures: ['LlamaForCausalLM'],
      hidden_size: 64,
      num_hidden_layers: 2,
      vocab_size: 100,
      max_position_embeddings: 128,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      intermediate_size: 128,
    };
    writeFileSync(file, JSON.stringify(cfg));
    const r = await optix('models', 'show', tmp);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/attention\.numKvHeads\s+│ 2/);
    expect(r.stdout).toMatch(/parameters\.total \(B\)\s+│ 0\.00/);
  });

  it('bad input: one line on stderr, exit 2', async () => {
    const unknown = await optix('models', 'show', 'Qwen/Qwen3-9B');
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toMatch(/^optix: error: unknown model 'Qwen\/Qwen3-9B' \(did you mean: .*Qwen\/Qwen3-8B/);
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);

    const bad = path.join(tmp, 'bad.json');
    writeFileSync(bad, '{\n  "hidden_size": 8,,\n}\n');
    const r = await optix('models', 'show', bad);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`${bad}:2:20: invalid JSON`);

    const hybrid = path.join(tmp, 'hybrid.json');
    writeFileSync(hybrid, JSON.stringify({ architectures: ['NemotronHForCausalLM'], hybrid_override_pattern: 'M-M*' }));
    const h = await optix('models', 'show', hybrid);
    expect(h.exitCode).toBe(2);
    expect(h.stderr).toContain(`${hybrid}: unsupported architecture 'NemotronHForCausalLM'`);
  });

  it('--help describes the subcommands', async () => {
    const r = await optix('models', '--help');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('list');
    expect(r.stdout).toContain('show');
  });
});

describe('scripts/gen-model-catalog', () => {
  it.skipIf(!existsSync(sharedConfigs))('regenerates the committed catalog byte for byte', async () => {
    const out = path.join(tmp, 'catalog.ts');
    const r = await execa('node', [generator, sharedConfigs, out], { cwd: root, reject: false });
    expect(r.exitCode, r.stderr).toBe(0);
    const committed = readFileSync(path.join(root, 'src/engine/models/catalog.ts'), 'utf8');
    expect(readFileSync(out, 'utf8') === committed, 'catalog.ts is stale: rerun the generator').toBe(true);
  });
});
