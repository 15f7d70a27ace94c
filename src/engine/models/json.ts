/**
 * Text -> JSON value for Hugging Face configs. Pure (the caller reads the file);
 * errors name the file and the line/column where JSON.parse stopped.
 */
import { OptixUserError } from '../../errors.js';

/**
 * JSON.parse that names the file and position on error, and accepts the bare
 * Infinity/NaN that Python's json.dump writes (some NVIDIA configs carry them).
 */
export function parseJsonText(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (first) {
    const patched = patchPythonFloats(text);
    if (patched !== text) {
      try {
        return JSON.parse(patched);
      } catch {
        // Report the error of the text the user wrote.
      }
    }
    const message = first instanceof Error ? first.message : String(first);
    const where = jsonErrorPosition(message, text);
    throw new OptixUserError(`invalid JSON: ${oneLine(message)}`, {
      file,
      ...where,
      hint: 'a Hugging Face config.json must be valid JSON',
      cause: first,
    });
  }
}

function patchPythonFloats(text: string): string {
  // Strings pass through untouched; only bare tokens are replaced.
  return text.replace(/("(?:[^"\\]|\\.)*")|-?\bInfinity\b|\bNaN\b/g, (m, str: string | undefined) => {
    if (str !== undefined) return str;
    if (m === 'NaN') return 'null';
    return m.startsWith('-') ? '-1e999' : '1e999';
  });
}

/** V8 quotes the surrounding text (newlines and all); the location goes in file:line:col instead. */
function oneLine(message: string): string {
  const token = /^Unexpected token '(.+?)', [\s\S]* is not valid JSON$/.exec(message);
  if (token) return `unexpected token '${token[1]}'`;
  return message
    .replace(/\s*\(line \d+ column \d+\)/, '')
    .replace(/ in JSON at position \d+/, '')
    .replace(/ at position \d+/, '')
    .replace(/\s+/g, ' ');
}

function jsonErrorPosition(message: string, text: string): { line?: number; column?: number } {
  const lc = /line (\d+) column (\d+)/.exec(message);
  if (lc) return { line: Number(lc[1]), column: Number(lc[2]) };
  const pos = /position (\d+)/.exec(message);
  // Node 20 often reports no position ("Unexpected token ... is not valid JSON"): find it ourselves.
  const offset = pos ? Number(pos[1]) : firstErrorOffset(text);
  if (offset === undefined) return {};
  const before = text.slice(0, offset);
  return { line: before.split('\n').length, column: offset - before.lastIndexOf('\n') };
}

/** Offset of the first syntax error in `text` (Python's Infinity/NaN allowed), or undefined. */
export function firstErrorOffset(text: string): number | undefined {
  let i = 0;
  class Stop extends Error {}
  const ws = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i] as string)) i++;
  };
  const fail = (): never => {
    throw new Stop();
  };
  const literal = (): void => {
    for (const word of ['true', 'false', 'null', 'Infinity', '-Infinity', 'NaN']) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return;
      }
    }
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (m === null || m[0] === '' || m[0] === '-') fail();
    else i += m[0].length;
  };
  const string = (): void => {
    i++; // opening quote
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') i++;
      else if ((text.charCodeAt(i) as number) < 0x20) fail();
      i++;
    }
    if (i >= text.length) fail();
    i++;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail();
        string();
        ws();
        if (text[i] !== ':') fail();
        i++;
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') {
          i++;
          return;
        } else fail();
      }
    } else if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') {
          i++;
          return;
        } else fail();
      }
    } else if (c === '"') string();
    else literal();
  };
  try {
    value();
    ws();
    return i < text.length ? i : undefined;
  } catch (e) {
    if (e instanceof Stop) return Math.min(i, text.length);
    throw e;
  }
}
