/**
 * Appending whole CSV rows to one file from several processes (Vitest runs
 * test files in separate workers, and CI may run two suites into one
 * OUTPUT_PATH).
 *
 * Why a lock file and not just O_APPEND: O_APPEND keeps concurrent writes from
 * overwriting each other, but the header decision ("is the file empty?") is a
 * read-then-write race, and a header check and torn-tail repair need the file
 * to hold still. So: an exclusive lock file (`open(..., 'wx')` = O_CREAT|O_EXCL,
 * atomic on local filesystems), then, under it, header-once, tail repair and
 * one O_APPEND write of all the batch's rows, fsynced. A crash mid-write can
 * leave a partial last line; the next writer truncates it before appending, so
 * readers never see a half-written row mixed into good ones. That relies on
 * one row = one line, so callers keep newlines out of fields.
 */
import { closeSync, fstatSync, fsyncSync, openSync, readSync, statSync, ftruncateSync, unlinkSync, writeSync, mkdirSync } from 'node:fs';
import path from 'node:path';

/** A lock older than this belongs to a writer that died (a flush takes milliseconds). */
const STALE_LOCK_MS = 15_000;
const LOCK_TIMEOUT_MS = 60_000;

export class HeaderMismatchError extends Error {}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export function withFileLock<T>(lockFile: string, fn: () => T): T {
  const deadline = Date.now() + LOCK_TIMEOUT_MS;
  for (;;) {
    try {
      const fd = openSync(lockFile, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    try {
      if (Date.now() - statSync(lockFile).mtimeMs > STALE_LOCK_MS) unlinkSync(lockFile);
    } catch {
      // Gone between open and stat: the holder released it; try again at once.
      continue;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for lock ${lockFile}`);
    sleepSync(2 + Math.random() * 10);
  }
  try {
    return fn();
  } finally {
    unlinkSync(lockFile);
  }
}

function writeAll(fd: number, text: string): void {
  const buf = Buffer.from(text, 'utf8');
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
}

/**
 * Appends `body` (complete lines) to `file`, writing `header` first when the
 * file is new or empty; refuses a file whose first line is another header.
 */
export function appendCsvRows(file: string, header: string, body: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  withFileLock(`${file}.lock`, () => {
    const fd = openSync(file, 'a+');
    try {
      const before = fstatSync(fd).size;
      if (before > 0) repairTornTail(fd, before);
      if (fstatSync(fd).size === 0) {
        writeAll(fd, header + body);
      } else {
        const first = readFirstLine(fd, header.length + 1);
        if (`${first}\n` !== header) {
          throw new HeaderMismatchError(`${file}: existing header differs from this version's columns; move the file away or use another OUTPUT_PATH`);
        }
        writeAll(fd, body);
      }
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  });
}

function readFirstLine(fd: number, max: number): string {
  const buf = Buffer.alloc(max);
  const n = readSync(fd, buf, 0, max, 0);
  const text = buf.subarray(0, n).toString('utf8');
  const nl = text.indexOf('\n');
  return nl < 0 ? text : text.slice(0, nl);
}

/** Cuts a partial last line (left by a writer that crashed mid-write) back to the last newline. */
function repairTornTail(fd: number, size: number): void {
  const last = Buffer.alloc(1);
  readSync(fd, last, 0, 1, size - 1);
  if (last[0] === 0x0a) return;
  const chunk = 64 * 1024;
  let end = size;
  while (end > 0) {
    const start = Math.max(0, end - chunk);
    const buf = Buffer.alloc(end - start);
    readSync(fd, buf, 0, buf.length, start);
    const nl = buf.lastIndexOf(0x0a);
    if (nl >= 0) {
      ftruncateSync(fd, start + nl + 1);
      return;
    }
    end = start;
  }
  ftruncateSync(fd, 0);
}
