// maxGroups: a bound on open (window, group) pairs. Over it, the least recently used group's
// oldest window comes out now (emitted early, counted as evicted), or its event buffer is
// dropped; a stream's memory stays bounded whatever the number of keys.

import type { Group, GroupTable, Win } from './groups';
import type { StreamCounters, StreamRow } from './types';

/** What eviction asks of the window operator: to close a window, or to let a group's buffer go. */
export interface Evictor {
  close(w: Win, out: StreamRow[]): void;
  releaseEntries(g: Group, out: StreamRow[]): void;
}

/** Makes room for one more open window (not taken from `except`, the group about to use it). */
export function makeRoom(groups: GroupTable, except: Group, owner: Evictor, counters: StreamCounters, out: StreamRow[]): void {
  while (groups.openWindows >= groups.maxGroups) {
    // The least recently used of the oldest few groups that hold something (see GroupTable.touch).
    let victim: Group | undefined;
    let seen = 0;
    for (const g of groups.map.values()) {
      if (g === except || (g.wins.length === 0 && g.entries === null)) continue;
      if (victim === undefined || g.used < victim.used) victim = g;
      if (++seen >= 16) break;
    }
    if (victim === undefined) return;
    counters.evicted++;
    if (victim.wins.length > 0) {
      let oldest = victim.wins[0];
      for (const w of victim.wins) if (w.end < oldest.end) oldest = w;
      owner.close(oldest, out);
    } else {
      owner.releaseEntries(victim, out);
    }
  }
}
