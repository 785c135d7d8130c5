// Where queued writes are kept: in memory only, or in append-only segment files under a
// directory (bufferMode "disk") so that they survive a restart of Node-RED. A segment holds
// lines "<seq>\t<enqueuedAt>\t<record>"; its ".ack" file lists the seqs that are settled
// (written, failed or dropped). A segment whose writes are all settled is deleted.
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface StoredWrite {
  seq: number;
  enqueuedAt: number;
  record: string;
}

export interface WriteStore {
  readonly kind: 'memory' | 'disk';
  /** Writes left unsettled by an earlier run, oldest first. */
  restore(): StoredWrite[];
  append(write: StoredWrite): void;
  /** These writes are done with (written, failed or dropped): never replay them. */
  settle(seqs: number[]): void;
  close(): void;
}

export class MemoryStore implements WriteStore {
  readonly kind = 'memory' as const;
  restore(): StoredWrite[] {
    return [];
  }
  append(): void {}
  settle(): void {}
  close(): void {}
}

interface Segment {
  base: string; // file path without extension
  firstSeq: number;
  unsettled: number;
  bytes: number;
}

const SEGMENT_RE = /^segment-(\d{16})\.log$/;

export interface DiskStoreOptions {
  /** Start a new segment file once the current one holds this many bytes. */
  segmentBytes?: number;
  /** Told about lines that could not be read back (e.g. cut short by a crash). */
  onCorrupt?: (file: string, lines: number) => void;
}

export class DiskStore implements WriteStore {
  readonly kind = 'disk' as const;
  private readonly segments: Segment[] = [];
  private active?: Segment;
  private fd?: number;
  private readonly segmentBytes: number;

  constructor(
    readonly dir: string,
    private readonly options: DiskStoreOptions = {},
  ) {
    this.segmentBytes = options.segmentBytes ?? 8 * 1024 * 1024;
    fs.mkdirSync(dir, { recursive: true });
  }

  restore(): StoredWrite[] {
    const restored: StoredWrite[] = [];
    const files = fs
      .readdirSync(this.dir)
      .filter((f) => SEGMENT_RE.test(f))
      .sort();
    for (const file of files) {
      const base = path.join(this.dir, file.slice(0, -'.log'.length));
      const settled = readSettled(`${base}.ack`);
      const text = fs.readFileSync(`${base}.log`, 'utf8');
      let corrupt = 0;
      let unsettled = 0;
      const lines = text.split('\n');
      // The last element is "" after a complete file, or a line cut short by a crash.
      if (lines[lines.length - 1] !== '') corrupt += 1;
      for (const line of lines.slice(0, -1)) {
        const first = line.indexOf('\t');
        const second = line.indexOf('\t', first + 1);
        const seq = Number(line.slice(0, first));
        const enqueuedAt = Number(line.slice(first + 1, second));
        if (first < 0 || second < 0 || !Number.isSafeInteger(seq) || !Number.isFinite(enqueuedAt)) {
          corrupt += 1;
          continue;
        }
        if (settled.has(seq)) continue;
        restored.push({ seq, enqueuedAt, record: line.slice(second + 1) });
        unsettled += 1;
      }
      if (corrupt > 0) this.options.onCorrupt?.(`${base}.log`, corrupt);
      const segment: Segment = { base, firstSeq: Number(SEGMENT_RE.exec(file)![1]), unsettled, bytes: text.length };
      if (unsettled === 0) removeSegment(segment);
      else this.segments.push(segment);
    }
    restored.sort((a, b) => a.seq - b.seq);
    return restored;
  }

  append(write: StoredWrite): void {
    if (!this.active || this.fd === undefined || this.active.bytes >= this.segmentBytes) this.rollOver(write.seq);
    const line = `${write.seq}\t${write.enqueuedAt}\t${write.record}\n`;
    fs.writeSync(this.fd!, line);
    this.active!.unsettled += 1;
    this.active!.bytes += Buffer.byteLength(line);
  }

  settle(seqs: number[]): void {
    const bySegment = new Map<Segment, number[]>();
    for (const seq of seqs) {
      const segment = this.segmentOf(seq);
      if (!segment) continue;
      let list = bySegment.get(segment);
      if (!list) bySegment.set(segment, (list = []));
      list.push(seq);
    }
    for (const [segment, list] of bySegment) {
      segment.unsettled -= list.length;
      if (segment.unsettled <= 0 && segment !== this.active) {
        removeSegment(segment);
        this.segments.splice(this.segments.indexOf(segment), 1);
      } else {
        fs.appendFileSync(`${segment.base}.ack`, `${list.join(',')}\n`);
      }
    }
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
    const active = this.active;
    this.active = undefined;
    if (active && active.unsettled <= 0) {
      removeSegment(active);
      this.segments.splice(this.segments.indexOf(active), 1);
    }
  }

  /** Files and bytes on disk now (for tests and the status). */
  usage(): { segments: number; bytes: number } {
    let bytes = 0;
    for (const s of this.segments) bytes += s.bytes;
    return { segments: this.segments.length, bytes };
  }

  private rollOver(firstSeq: number): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    const previous = this.active;
    if (previous && previous.unsettled <= 0) {
      removeSegment(previous);
      this.segments.splice(this.segments.indexOf(previous), 1);
    }
    const base = path.join(this.dir, `segment-${String(firstSeq).padStart(16, '0')}`);
    this.active = { base, firstSeq, unsettled: 0, bytes: 0 };
    this.segments.push(this.active);
    this.fd = fs.openSync(`${base}.log`, 'a');
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
}

function readSettled(file: string): Set<number> {
  const settled = new Set<number>();
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return settled;
  }
  for (const line of text.split('\n')) {
    for (const part of line.split(',')) {
      const seq = Number(part);
      if (part !== '' && Number.isSafeInteger(seq)) settled.add(seq);
    }
  }
  return settled;
}

function removeSegment(segment: Segment): void {
  fs.rmSync(`${segment.base}.log`, { force: true });
  fs.rmSync(`${segment.base}.ack`, { force: true });
}
