// The disk buffer's files as they lie on disk: segment names, .ack lines and their checksum, and
// a directory's backlog counted without taking it (format: disk-buffer.ts).
import * as fs from 'node:fs';
import * as path from 'node:path';

/** A segment's .log file: "segment-<firstSeq, 16 digits>.log". */
export const SEGMENT_RE = /^segment-(\d{16})\.log$/;

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
