/**
 * Test lists (seed 001's --disagg-test-list): one test id or glob per line,
 * `#` starts a comment. Entries that match no collected case are reported.
 */
import { readFileSync } from 'node:fs';
import { OptixUserError } from '../errors.js';

export interface TestListEntry {
  pattern: string;
  line: number;
}

export interface TestList {
  file: string;
  entries: TestListEntry[];
}

export function parseTestList(text: string, file: string): TestList {
  const entries: TestListEntry[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const hash = raw.indexOf('#');
    const pattern = (hash >= 0 ? raw.slice(0, hash) : raw).trim();
    if (pattern !== '') entries.push({ pattern, line: i + 1 });
  });
  return { file, entries };
}

export function readTestList(file: string): TestList {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new OptixUserError(`cannot read test list: ${e instanceof Error ? e.message : String(e)}`, { file, hint: 'check OPTIX_TEST_LIST / --test-list' });
  }
  return parseTestList(text, file);
}

/** `*` any run of characters, `?` one; everything else literal; whole-id match. */
export function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

export interface Selection {
  selected: Set<string>;
  unknown: TestListEntry[];
}

export function selectByTestList(ids: string[], list: TestList): Selection {
  const selected = new Set<string>();
  const unknown: TestListEntry[] = [];
  for (const entry of list.entries) {
    const re = globToRegExp(entry.pattern);
    const hits = ids.filter((id) => re.test(id));
    if (hits.length === 0) unknown.push(entry);
    for (const h of hits) selected.add(h);
  }
  return { selected, unknown };
}
