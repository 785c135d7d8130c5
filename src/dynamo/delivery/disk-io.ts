// Whole-or-nothing file writes for the disk buffer, and the error that names the directory and
// says what an operator does about it. A write cut short (a full disk) is cut back off the file
// where it can be, so no torn record or ack line is left behind to be misread.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as util from 'node:util';
import { words } from '../../words';

/**
 * A disk buffer operation failed. `code` is the errno name (ENOSPC, EROFS, EACCES, EIO,
 * SHORT_WRITE, ...); the message names the directory and says what to do.
 */
export class DiskBufferError extends Error {
  constructor(
    readonly dir: string,
    readonly code: string,
    readonly operation: string,
    detail: string,
  ) {
    super(
      detail
        ? words('delivery.disk.errorDetail', 'disk buffer __dir__: __operation__ failed (__code__: __detail__). __advice__', { dir, operation, code, detail, advice: adviceFor(code) })
        : words('delivery.disk.error', 'disk buffer __dir__: __operation__ failed (__code__). __advice__', { dir, operation, code, advice: adviceFor(code) }),
    );
    this.name = 'DiskBufferError';
  }
}

/** What an operator does about a disk error, by errno. */
export function adviceFor(code: string): string {
  switch (code) {
    case 'ENOSPC':
    case 'SHORT_WRITE':
      return words('delivery.disk.full', 'The disk is full: free space on it (or set buffer mode to memory).');
    case 'EDQUOT':
      return words('delivery.disk.quota', 'The disk quota is used up: raise it or free space (or set buffer mode to memory).');
    case 'EROFS':
      return words('delivery.disk.readOnly', 'The file system is read-only: remount it read-write (or set buffer mode to memory).');
    case 'EACCES':
    case 'EPERM':
      return words('delivery.disk.permissions', 'Node-RED may not write there: fix the permissions (or set buffer mode to memory).');
    default:
      return words('delivery.disk.other', 'Check the disk under that directory (or set buffer mode to memory).');
  }
}

/**
 * The errno name of what the file system threw. Node 24's C++ `fs.rmSync` throws `code: ''` with
 * `errno` UV_UNKNOWN (-4094) for errnos it does not map, EROFS among them (nodejs/node#65884), so
 * an empty code is not trusted: the name comes from a known `errno`, else it is EIO.
 */
function errnoName(e: NodeJS.ErrnoException | undefined): string {
  if (typeof e?.code === 'string' && e.code !== '') return e.code;
  if (typeof e?.errno === 'number' && e.errno < 0) {
    try {
      const name = util.getSystemErrorName(e.errno);
      if (/^E[A-Z0-9]+$/.test(name)) return name; // not 'UNKNOWN' nor 'Unknown system error -n'
    } catch {
      // Not an errno this platform knows.
    }
  }
  return 'EIO';
}

/**
 * Deletes a file; one already gone is fine. `fs.unlinkSync`, not `fs.rmSync(file, { force: true })`:
 * on Node 24 rmSync loses the errno (see errnoName), so a read-only disk would not say EROFS.
 */
export function removeFile(file: string): void {
  try {
    fs.unlinkSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/**
 * Deletes a directory and everything in it; one already gone is fine. Not `fs.rmSync(dir,
 * { recursive: true, force: true })`: on Node 24 rmSync loses the errno (see errnoName), so a
 * read-only disk would answer ': , Unknown error' instead of EROFS.
 */
export function removeDir(dir: string): void {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) removeDir(full);
    else removeFile(full);
  }
  try {
    fs.rmdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** A DiskBufferError for `dir` from what the file system threw (`written`: bytes a short write took). */
export function diskError(dir: string, err: unknown, operation: string, written?: number): DiskBufferError {
  const e = err as NodeJS.ErrnoException;
  const code = errnoName(e);
  const detail = written !== undefined && written > 0 ? words('delivery.disk.shortWrite', 'only __n__ bytes were written', { n: written }) : (e?.message ?? String(err));
  return new DiskBufferError(dir, code, operation, detail);
}

/** Writes all of `data` at the end of an open file, or says how far it got and why not. */
export function writeWhole(fd: number, data: Buffer): { err: unknown; written: number } | undefined {
  let written = 0;
  try {
    while (written < data.length) {
      // The file is open for appending: every write goes to its end.
      const n = fs.writeSync(fd, data, written, data.length - written, null);
      // write(2) may take fewer bytes than asked (a full disk): go on, the next call says why.
      if (n <= 0) return { err: Object.assign(new Error(words('delivery.disk.noBytes', 'the write took no bytes')), { code: 'SHORT_WRITE' }), written };
      written += n;
    }
  } catch (err) {
    return { err, written };
  }
  return undefined;
}

/** Appends `data` to a file whole, or cuts the file back to where it was. */
export function appendWhole(file: string, data: Buffer): { err: unknown; written: number } | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, 'a');
  } catch (err) {
    return { err, written: 0 };
  }
  try {
    const size = fs.fstatSync(fd).size;
    const failure = writeWhole(fd, data);
    if (failure && failure.written > 0) {
      try {
        fs.ftruncateSync(fd, size);
      } catch {
        // A torn line stays: its checksum fails, so it settles nothing.
      }
    }
    return failure;
  } catch (err) {
    return { err, written: 0 };
  } finally {
    try {
      fs.closeSync(fd);
    } catch {
      // Nothing was lost by a failed close of an append-only file.
    }
  }
}
