/**
 * Builds dist/ once before the tests when any source is newer than its output,
 * so `npx vitest run` works without `npm run build` (npm test builds first anyway).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { root } from './cli.js';

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sources(rel));
    else if (e.name.endsWith('.ts')) out.push(rel);
  }
  return out;
}

export function staleOutputs(): string[] {
  return ['src', 'scripts'].flatMap(sources).filter((src) => {
    const out = path.join(root, 'dist', src.replace(/\.ts$/, '.js'));
    return !existsSync(out) || statSync(out).mtimeMs < statSync(path.join(root, src)).mtimeMs;
  });
}

/** The device bundle (npm run build) is stale when a profile YAML is newer than it. */
function bundleStale(): boolean {
  const bundle = path.join(root, 'dist/devices.bundle.json');
  if (!existsSync(bundle)) return true;
  const built = statSync(bundle).mtimeMs;
  return readdirSync(path.join(root, 'data/devices')).some((f) => statSync(path.join(root, 'data/devices', f)).mtimeMs > built);
}

export default async function setup(): Promise<void> {
  if (staleOutputs().length > 0) {
    const r = await execa('npx', ['tsc', '-p', '.'], { cwd: root, reject: false });
    const left = staleOutputs();
    if (left.length > 0) throw new Error(`dist/ is stale after \`npx tsc -p .\` (${left.slice(0, 3).join(', ')}):\n${r.stdout}`);
  }
  if (bundleStale()) await execa('node', ['dist/scripts/bundle-devices.js'], { cwd: root });
}
