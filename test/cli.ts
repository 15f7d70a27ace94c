/** The built `optix` command, for end-to-end tests (test/global-setup.ts keeps dist/ current). */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const cli = path.join(root, 'dist/src/cli/main.js');

export function runOptix(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}) {
  return execa('node', [cli, ...args], { cwd: opts.cwd ?? root, reject: false, ...(opts.env ? { env: opts.env } : {}) });
}
