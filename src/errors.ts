/**
 * The one error kind that front doors render as a single line (no stack): bad
 * input a user can fix. Anything else is a bug and keeps its stack.
 */
export interface ErrorLocation {
  file?: string;
  line?: number;
  column?: number;
}

export class OptixUserError extends Error {
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
  /** What to do about it, e.g. "valid names: A, B, C". */
  readonly hint?: string;

  constructor(message: string, options: ErrorLocation & { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'OptixUserError';
    if (options.file !== undefined) this.file = options.file;
    if (options.line !== undefined) this.line = options.line;
    if (options.column !== undefined) this.column = options.column;
    if (options.hint !== undefined) this.hint = options.hint;
  }

  /** `file:line:col: message (hint)` — the one format every front door prints. */
  format(): string {
    let where = '';
    if (this.file !== undefined) {
      where = this.file;
      if (this.line !== undefined) where += `:${this.line}`;
      if (this.line !== undefined && this.column !== undefined) where += `:${this.column}`;
      where += ': ';
    }
    return `${where}${this.message}${this.hint ? ` (${this.hint})` : ''}`;
  }
}

export function isUserError(e: unknown): e is OptixUserError {
  return e instanceof OptixUserError;
}
