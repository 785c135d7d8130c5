// Where queued writes are kept, as the writer sees it: the store's interface, and the memory
// store, which keeps nothing beyond the queue itself (bufferMode "memory"). The disk store
// (disk-buffer.ts) keeps them across a restart of Node-RED (DESIGN.md 6).

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
