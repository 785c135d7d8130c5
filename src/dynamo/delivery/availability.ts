// Whether the writer may send (DESIGN.md 6): the connector's health check says when DynamoDB is
// down; writes then wait, and one probe call per interval tests that it still is.

/** Why the writer is not sending: DynamoDB down (from the connector's health check). */
export interface PauseState {
  reason: string;
  since: number;
}

/**
 * While the connector says DynamoDB is down, one call at most this often tests whether writes
 * get through anyway: a refusal that no wait can cure (credentials, missing table) then fails
 * the messages at once instead of holding them until requestTtl.
 */
export const PROBE_INTERVAL_MS = 1000;

export class Availability {
  /** Set while DynamoDB is down. */
  pause?: PauseState;
  /** No probe call before this time. */
  probeAt = 0;

  /** Takes the connector's word; true when the pause state changed. */
  set(available: boolean, reason: string): boolean {
    if (available) {
      if (!this.pause) return false;
      this.pause = undefined;
      return true;
    }
    if (this.pause?.reason === reason) return false;
    this.pause = { reason, since: this.pause?.since ?? Date.now() };
    return true;
  }

  /** A probe call went out at `now`: the next one waits an interval. */
  probed(now: number): void {
    this.probeAt = now + PROBE_INTERVAL_MS;
  }

  /** A definite answer: the next probe need not wait. */
  answered(): void {
    this.probeAt = 0;
  }
}
