/** `--curves` parsing: group names, comma lists, and the error for a bad one. */
import { describe, expect, it } from 'vitest';
import { CURVE_GROUPS, parseCurveGroups } from '../src/accuracy/calibrate.js';
import { userError } from './user-error.js';

describe('parseCurveGroups', () => {
  it('takes space- and comma-separated groups in the order given, each once', () => {
    expect(parseCurveGroups(['attention-prefill,attention-decode', 'memory', 'gemm.bf16', 'memory'])).toEqual([
      'attention-prefill',
      'attention-decode',
      'memory',
      'gemm.bf16',
    ]);
    expect(parseCurveGroups([...CURVE_GROUPS])).toEqual([...CURVE_GROUPS]);
  });

  it('names --curves, the bad value and the valid groups', () => {
    const e = userError(() => parseCurveGroups(['gemm', 'nccl']));
    expect(e.format()).toBe(`--curves: unknown curve group 'nccl' (valid groups: ${CURVE_GROUPS.join(', ')})`);
    expect(userError(() => parseCurveGroups([' , '])).format()).toMatch(/^--curves needs at least one group/);
  });
});
