// When to try a failed write again: exponential backoff with full jitter (AWS Architecture
// Blog, "Exponential Backoff and Jitter"), never past the write's requestTtl deadline.

export interface BackoffPolicy {
  /** Ceiling of the first delay, ms. */
  baseMs: number;
  /** Largest ceiling, ms. */
  capMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 50, capMs: 5000 };

/** A random delay in [0, min(cap, base * 2^(attempt-1))) for the retry after `attempt` tries. */
export function backoffDelay(attempt: number, policy: BackoffPolicy = DEFAULT_BACKOFF, random = Math.random): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** Math.min(30, Math.max(0, attempt - 1)));
  return Math.floor(random() * ceiling);
}

/**
 * The time of the next attempt, or null when it would start at or after `deadline`: the write
 * then expires instead of being retried.
 */
export function nextAttemptAt(
  now: number,
  attempt: number,
  deadline: number,
  policy: BackoffPolicy = DEFAULT_BACKOFF,
  random = Math.random,
): number | null {
  const at = now + backoffDelay(attempt, policy, random);
  return at < deadline ? at : null;
}
