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
//
// This file is the DiskStore; the store interface and the memory store are in write-store.ts,
// whole-or-nothing writes and DiskBufferError in disk-io.ts, the file format's readers in
// disk-format.ts (all re-exported here).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SEGMENT_RE, crc32Hex, readSettled } from './disk-format';
import { DiskBufferError, appendWhole, diskError, removeFile, writeWhole } from './disk-io';
import type { RestoreResult, StoredWrite, UnreadableRecord, WriteStore } from './write-store';
import { words } from '../../words';

export { MemoryStore, type RestoreResult, type StoredWrite, type UnreadableRecord, type WriteStore } from './write-store';
export { DiskBufferError, adviceFor } from './disk-io';
export { crc32Hex, inspectBacklog, readSettled, type BacklogInfo } from './disk-format';

interface Segment {
  base: string; // file path without extension
  firstSeq: number;
  /** Seqs of this segment not settled yet (a Set: settling twice, or an unknown seq, is harmless). */
  pending: Set<number>;
  /** Bytes of the .log file as far as this process knows (exact for the active segment). */
  bytes: number;
}

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
      throw this.error(err, words('delivery.disk.creatingDirectory', 'creating the directory'));
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
      throw this.error(err, words('delivery.disk.listingDirectory', 'listing the directory'));
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
        this.report('reading', this.error(err, words('delivery.disk.reading', 'reading __file__ (left on disk for the next start)', { file: `${base}.log` })));
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
          unreadable.push({ ...where, reason: words('delivery.disk.incompleteLine', 'the last line is incomplete (cut short by a crash or a full disk)') });
          break;
        }
        const first = line.indexOf('\t');
        const second = line.indexOf('\t', first + 1);
        const seq = Number(line.slice(0, first));
        const enqueuedAt = Number(line.slice(first + 1, second));
        if (first <= 0 || second < 0 || !Number.isSafeInteger(seq) || seq <= 0 || !Number.isFinite(enqueuedAt)) {
          unreadable.push({ ...where, reason: words('delivery.disk.badLine', 'not a "<seq>\\t<time>\\t<record>" line') });
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
      const err = this.error(failure.err, words('delivery.disk.appending', 'appending a write'), failure.written);
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
      if (failure) {
        const operation = words('delivery.disk.recording', 'recording __n__ settled writes in __file__', { n: list.length, file: `${segment.base}.ack` });
        this.report('recording', this.error(failure.err, operation, failure.written));
      }
    }
  }

  close(): void {
    if (this.fd !== undefined) {
      try {
        fs.closeSync(this.fd);
      } catch (err) {
        this.report('closing', this.error(err, words('delivery.disk.closing', 'closing the segment file')));
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
      throw this.error(err, words('delivery.disk.opening', 'opening a new segment file'));
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
      removeFile(`${segment.base}.log`);
      removeFile(`${segment.base}.ack`);
      return true;
    } catch (err) {
      this.report('deleting', this.error(err, words('delivery.disk.deleting', 'deleting the settled segment __file__', { file: `${segment.base}.log` })));
      return false;
    }
  }

  private error(err: unknown, operation: string, written?: number): DiskBufferError {
    return diskError(this.dir, err, operation, written);
  }

  /** Reports a disk error, at most once per operation (`kind`, whatever the language) and errno per interval. */
  private report(kind: string, err: DiskBufferError): void {
    const key = `${kind}:${err.code}`;
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
