// Where queued writes are kept: in memory only, or in append-only segment files under a
// directory (bufferMode "disk") so that they survive a restart of Node-RED (DESIGN.md 6).
//
// A segment "segment-<firstSeq>.log" holds one line per write, "<seq>\t<enqueuedAt>\t<record>\n".
// Its ".ack" file lists the seqs that are settled (written, failed or dropped), one batch per
// line "<seq>,<seq>,...#<crc32 of the list, 8 hex>\n": a line cut short (a crash, a full disk) or
// two lines run together fail the checksum and are ignored, so they can never settle a record
// they do not name (the worst case is a record sent twice). A segment whose writes are all
// settled is deleted.
//
// Disk errors never escape as exceptions that could take Node-RED down: `append` throws a
// DiskBufferError (the caller fails that one message at once), everything else reports through
// `onError` and leaves the files as they are, so whatever is on disk stays there for replay.
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface StoredWrite {
  seq: number;
  enqueuedAt: number;
  record: string;
  /** Where the record was read from (restore only), for reporting one that does not parse. */
  file?: string;
  offset?: number;
}

/** A line of a segment that could not be read back: counted and logged, never replayed. */
export interface UnreadableRecord {
  file: string;
  /** Byte offset of the line in the file. */
  offset: number;
  seq?: number;
  reason: string;
}

export interface RestoreResult {
  writes: StoredWrite[];
  unreadable: UnreadableRecord[];
  /** Highest seq in any file, settled or not: new writes take higher ones, so none repeats. */
  maxSeq: number;
}

export interface WriteStore {
  readonly kind: 'memory' | 'disk';
  /** Writes left unsettled by an earlier run, oldest first, and the lines that did not read back. */
  restore(): RestoreResult;
  /** Keeps a write; throws (DiskBufferError) when it could not be kept whole. */
  append(write: StoredWrite): void;
  /** These writes are done with (written, failed or dropped): never replay them. Never throws. */
  settle(seqs: number[]): void;
  close(): void;
}

export class MemoryStore implements WriteStore {
  readonly kind = 'memory' as const;
  restore(): RestoreResult {
    return { writes: [], unreadable: [], maxSeq: 0 };
  }
  append(): void {}
  settle(): void {}
  close(): void {}
}

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
    super(`disk buffer ${dir}: ${operation} failed (${code}${detail ? `: ${detail}` : ''}). ${adviceFor(code)}`);
    this.name = 'DiskBufferError';
  }
}

/** What an operator does about a disk error, by errno. */
export function adviceFor(code: string): string {
  switch (code) {
    case 'ENOSPC':
    case 'SHORT_WRITE':
      return 'The disk is full: free space on it (or set buffer mode to memory).';
    case 'EDQUOT':
      return 'The disk quota is used up: raise it or free space (or set buffer mode to memory).';
    case 'EROFS':
      return 'The file system is read-only: remount it read-write (or set buffer mode to memory).';
    case 'EACCES':
    case 'EPERM':
      return 'Node-RED may not write there: fix the permissions (or set buffer mode to memory).';
    default:
      return 'Check the disk under that directory (or set buffer mode to memory).';
  }
}

interface Segment {
  base: string; // file path without extension
  firstSeq: number;
  /** Seqs of this segment not settled yet (a Set: settling twice, or an unknown seq, is harmless). */
  pending: Set<number>;
  /** Bytes of the .log file as far as this process knows (exact for the active segment). */
  bytes: number;
}

const SEGMENT_RE = /^segment-(\d{16})\.log$/;
/** One report per operation and errno at most this often; the rest are counted into the next one. */
const ERROR_REPORT_INTERVAL_MS = 10000;

export interface DiskStoreOptions {
  /** Start a new segment file once the current one holds this many bytes. */
  segmentBytes?: number;
  /** Told about disk errors outside `append` (settling, deleting, closing, reading a segment). */
  onError?: (err: DiskBufferError, suppressed: number) => void;
}

export class DiskStore implements WriteStore {
  readonly kind = 'disk' as const;
  private readonly segments: Segment[] = [];
  private active?: Segment;
  private fd?: number;
  /** The active segment's tail could not be cut back after a failed append: start a new one. */
  private broken = false;
  private readonly segmentBytes: number;
  private readonly reported = new Map<string, { at: number; suppressed: number }>();
  private maxSeqOnDisk = 0;

  /** Throws DiskBufferError when the directory cannot be created. */
  constructor(
    readonly dir: string,
    private readonly options: DiskStoreOptions = {},
  ) {
    this.segmentBytes = options.segmentBytes ?? 8 * 1024 * 1024;
    try {
      fs.mkdirSync(dir, { recursive: true });
    } catch (err) {
      throw this.error(err, 'creating the directory');
    }
  }

  /**
   * Reads back what an earlier run left. Throws DiskBufferError only when the directory cannot
   * be listed; a segment that cannot be read is reported and left on disk for a later start.
   */
  restore(): RestoreResult {
    const writes: StoredWrite[] = [];
    const unreadable: UnreadableRecord[] = [];
    let files: string[];
    try {
      files = fs.readdirSync(this.dir).filter((f) => SEGMENT_RE.test(f)).sort();
    } catch (err) {
      throw this.error(err, 'listing the directory');
    }
    for (const file of files) {
      const firstSeq = Number(SEGMENT_RE.exec(file)![1]);
      this.maxSeqOnDisk = Math.max(this.maxSeqOnDisk, firstSeq);
      const base = path.join(this.dir, file.slice(0, -'.log'.length));
      let data: Buffer;
      let settled: Set<number>;
      try {
        data = fs.readFileSync(`${base}.log`);
        settled = readSettled(`${base}.ack`);
      } catch (err) {
        this.report(this.error(err, `reading ${base}.log (left on disk for the next start)`));
        continue;
      }
      const pending = new Set<number>();
      let offset = 0;
      while (offset < data.length) {
        const nl = data.indexOf(0x0a, offset);
        const end = nl < 0 ? data.length : nl;
        const line = data.toString('utf8', offset, end);
        const where = { file: `${base}.log`, offset };
        offset = end + 1;
        if (nl < 0) {
          unreadable.push({ ...where, reason: 'the last line is incomplete (cut short by a crash or a full disk)' });
          break;
        }
        const first = line.indexOf('\t');
        const second = line.indexOf('\t', first + 1);
        const seq = Number(line.slice(0, first));
        const enqueuedAt = Number(line.slice(first + 1, second));
        if (first <= 0 || second < 0 || !Number.isSafeInteger(seq) || seq <= 0 || !Number.isFinite(enqueuedAt)) {
          unreadable.push({ ...where, reason: 'not a "<seq>\\t<time>\\t<record>" line' });
          continue;
        }
        this.maxSeqOnDisk = Math.max(this.maxSeqOnDisk, seq);
        if (settled.has(seq) || pending.has(seq)) continue;
        writes.push({ seq, enqueuedAt, record: line.slice(second + 1), ...where });
        pending.add(seq);
      }
      const segment: Segment = { base, firstSeq, pending, bytes: data.length };
      // Unreadable lines have no seq to settle: such a segment goes once its readable ones have.
      if (pending.size === 0) this.removeSegment(segment);
      else this.segments.push(segment);
    }
    writes.sort((a, b) => a.seq - b.seq);
    return { writes, unreadable, maxSeq: this.maxSeqOnDisk };
  }

  /**
   * Appends one record, whole or not at all: a short write is cut back off the file (or, when
   * that fails too, the next record starts a new segment). Throws DiskBufferError.
   */
  append(write: StoredWrite): void {
    if (this.broken || !this.active || this.fd === undefined || this.active.bytes >= this.segmentBytes) {
      this.rollOver(write.seq);
    }
    const segment = this.active!;
    const line = Buffer.from(`${write.seq}\t${write.enqueuedAt}\t${write.record}\n`, 'utf8');
    const failure = writeWhole(this.fd!, line);
    if (failure) {
      const err = this.error(failure.err, 'appending a write', failure.written);
      if (failure.written > 0) {
        try {
          fs.ftruncateSync(this.fd!, segment.bytes);
        } catch {
          this.broken = true; // a torn tail stays: nothing more goes after it
        }
      }
      throw err;
    }
    segment.pending.add(write.seq);
    segment.bytes += line.length;
    this.maxSeqOnDisk = Math.max(this.maxSeqOnDisk, write.seq);
  }

  settle(seqs: number[]): void {
    const bySegment = new Map<Segment, number[]>();
    for (const seq of seqs) {
      const segment = this.segmentOf(seq);
      if (!segment || !segment.pending.delete(seq)) continue;
      let list = bySegment.get(segment);
      if (!list) bySegment.set(segment, (list = []));
      list.push(seq);
    }
    for (const [segment, list] of bySegment) {
      if (segment.pending.size === 0 && segment !== this.active) {
        this.segments.splice(this.segments.indexOf(segment), 1);
        if (this.removeSegment(segment)) continue;
      }
      // Not deleted (still in use, or the delete failed): say on disk which are done. When even
      // that fails they are sent again after a restart (a duplicate, never a loss).
      const text = list.join(',');
      const failure = appendWhole(`${segment.base}.ack`, Buffer.from(`${text}#${crc32Hex(text)}\n`, 'utf8'));
      if (failure) this.report(this.error(failure.err, `recording ${list.length} settled writes in ${segment.base}.ack`, failure.written));
    }
  }

  close(): void {
    if (this.fd !== undefined) {
      try {
        fs.closeSync(this.fd);
      } catch (err) {
        this.report(this.error(err, 'closing the segment file'));
      }
    }
    this.fd = undefined;
    const active = this.active;
    this.active = undefined;
    if (active && active.pending.size === 0) {
      this.segments.splice(this.segments.indexOf(active), 1);
      this.removeSegment(active);
    }
  }

  /** Files and bytes on disk now (for tests and the status). */
  usage(): { segments: number; bytes: number; records: number } {
    let bytes = 0;
    let records = 0;
    for (const s of this.segments) {
      bytes += s.bytes;
      records += s.pending.size;
    }
    return { segments: this.segments.length, bytes, records };
  }

  private rollOver(firstSeq: number): void {
    if (this.fd !== undefined) {
      try {
        fs.closeSync(this.fd);
      } catch {
        // The data went out with each write; a failed close loses nothing.
      }
      this.fd = undefined;
    }
    const previous = this.active;
    this.active = undefined;
    if (previous && previous.pending.size === 0) {
      this.segments.splice(this.segments.indexOf(previous), 1);
      this.removeSegment(previous);
    }
    const base = path.join(this.dir, `segment-${String(firstSeq).padStart(16, '0')}`);
    let fd: number;
    try {
      fd = fs.openSync(`${base}.log`, 'a');
    } catch (err) {
      throw this.error(err, 'opening a new segment file');
    }
    let bytes = 0;
    try {
      bytes = fs.fstatSync(fd).size;
    } catch {
      // A new file: 0.
    }
    this.fd = fd;
    this.broken = false;
    this.active = { base, firstSeq, pending: new Set(), bytes };
    this.segments.push(this.active);
  }

  private segmentOf(seq: number): Segment | undefined {
    // Segments are in firstSeq order; the owner is the last one starting at or before seq.
    let lo = 0;
    let hi = this.segments.length - 1;
    let found: Segment | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.segments[mid].firstSeq <= seq) {
        found = this.segments[mid];
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /** Deletes a settled segment; false (reported) when the files could not be removed. */
  private removeSegment(segment: Segment): boolean {
    try {
      fs.rmSync(`${segment.base}.log`, { force: true });
      fs.rmSync(`${segment.base}.ack`, { force: true });
      return true;
    } catch (err) {
      this.report(this.error(err, `deleting the settled segment ${segment.base}.log`));
      return false;
    }
  }

  private error(err: unknown, operation: string, written?: number): DiskBufferError {
    const e = err as NodeJS.ErrnoException;
    const code = e?.code ?? 'EIO';
    const detail = written !== undefined && written > 0 ? `only ${written} bytes were written` : (e?.message ?? String(err));
    return new DiskBufferError(this.dir, code, operation, detail);
  }

  /** Reports a disk error, at most once per operation and errno per interval. */
  private report(err: DiskBufferError): void {
    const key = `${err.operation.split(' ')[0]}:${err.code}`;
    const now = Date.now();
    const last = this.reported.get(key);
    if (last && now - last.at < ERROR_REPORT_INTERVAL_MS) {
      last.suppressed += 1;
      return;
    }
    this.reported.set(key, { at: now, suppressed: 0 });
    this.options.onError?.(err, last?.suppressed ?? 0);
  }
}

/** Writes all of `data` at the end of an open file, or says how far it got and why not. */
function writeWhole(fd: number, data: Buffer): { err: unknown; written: number } | undefined {
  let written = 0;
  try {
    while (written < data.length) {
      // The file is open for appending: every write goes to its end.
      const n = fs.writeSync(fd, data, written, data.length - written, null);
      // write(2) may take fewer bytes than asked (a full disk): go on, the next call says why.
      if (n <= 0) return { err: Object.assign(new Error('the write took no bytes'), { code: 'SHORT_WRITE' }), written };
      written += n;
    }
  } catch (err) {
    return { err, written };
  }
  return undefined;
}

/** Appends `data` to a file whole, or cuts the file back to where it was. */
function appendWhole(file: string, data: Buffer): { err: unknown; written: number } | undefined {
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

/**
 * The seqs an .ack file says are settled: complete lines whose checksum matches. Lines of the
 * format before checksums ("1,2,3") count only when complete and made of digits and commas.
 * A missing file settles nothing; other read errors throw.
 */
export function readSettled(file: string): Set<number> {
  const settled = new Set<number>();
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return settled;
    throw err;
  }
  const lines = text.split('\n');
  lines.pop(); // "" after a complete file, or a torn tail: never trusted
  for (const line of lines) {
    const hash = line.indexOf('#');
    let list: string;
    if (hash >= 0) {
      list = line.slice(0, hash);
      if (line.slice(hash + 1) !== crc32Hex(list)) continue;
    } else {
      list = line;
    }
    if (!/^\d+(,\d+)*$/.test(list)) continue;
    for (const part of list.split(',')) settled.add(Number(part));
  }
  return settled;
}

const CRC_TABLE = (() => {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
})();

/** CRC-32 (IEEE, as zlib) of an ASCII string, as 8 lowercase hex digits. */
export function crc32Hex(text: string): string {
  let crc = -1;
  for (let i = 0; i < text.length; i++) crc = CRC_TABLE[(crc ^ text.charCodeAt(i)) & 0xff] ^ (crc >>> 8);
  return ((crc ^ -1) >>> 0).toString(16).padStart(8, '0');
}

/** A buffer directory's backlog as found on disk, without taking it: for reports and the editor API. */
export interface BacklogInfo {
  dir: string;
  segments: number;
  /** Bytes of segment and ack files. */
  bytes: number;
  /** Records not settled (readable lines not listed in an ack file). */
  records: number;
}

/** Counts a buffer directory's unsettled records; undefined when it holds no segment. */
export function inspectBacklog(dir: string): BacklogInfo | undefined {
  let files: string[];
  try {
    files = fs.readdirSync(dir);
  } catch {
    return undefined;
  }
  const info: BacklogInfo = { dir, segments: 0, bytes: 0, records: 0 };
  for (const file of files.filter((f) => SEGMENT_RE.test(f))) {
    const base = path.join(dir, file.slice(0, -'.log'.length));
    try {
      const data = fs.readFileSync(`${base}.log`, 'utf8');
      const settled = readSettled(`${base}.ack`);
      info.segments += 1;
      info.bytes += Buffer.byteLength(data);
      try {
        info.bytes += fs.statSync(`${base}.ack`).size;
      } catch {
        // no ack file yet
      }
      const lines = data.split('\n');
      lines.pop();
      for (const line of lines) {
        const seq = Number(line.slice(0, line.indexOf('\t')));
        if (Number.isSafeInteger(seq) && seq > 0 && !settled.has(seq)) info.records += 1;
      }
    } catch {
      // unreadable now: not counted
    }
  }
  return info.segments > 0 ? info : undefined;
}
