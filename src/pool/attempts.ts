/**
 * How many times a page is tried, one rule for the local Pool and the cluster submitter: a failed
 * attempt is retried (on the retry task, e.g. the fallback engine) until `maxAttempts`.
 */
import type { PageTask } from "./messages.js";

/** Attempts per page by default: one retry. */
export const MAX_ATTEMPTS = 2;

export interface RetryPolicy {
  /** @default MAX_ATTEMPTS */
  maxAttempts?: number;
  /** The task of a retry (the same page on a fallback engine). @default the same task */
  retryTask?: (task: PageTask) => PageTask;
}

export interface Attempt {
  task: PageTask;
  /** 1 for the first. */
  attempt: number;
}

/** The attempt that follows a failed one, or undefined when that was the last (the failure is final). */
export function nextAttempt(failed: Attempt, policy: RetryPolicy = {}): Attempt | undefined {
  if (failed.attempt >= (policy.maxAttempts ?? MAX_ATTEMPTS)) return undefined;
  return { task: policy.retryTask?.(failed.task) ?? failed.task, attempt: failed.attempt + 1 };
}
