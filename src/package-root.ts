import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/**
 * The optix package root: the nearest directory above this module holding
 * package.json. Walking up works from src/ (vitest) and dist/src/ (the built
 * CLI) alike; shipped data (data/, model_conf/, schemas/) is found from here.
 */
export function packageRoot(): string {
  if (root !== undefined) return root;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(path.join(dir, 'package.json'))) return (root = dir);
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`optix: no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}
