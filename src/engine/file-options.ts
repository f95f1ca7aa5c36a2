// What a receiver accepts and how much incoming files may take: the `accept-files` and
// `file-limits` options, checked where they are given (the element checks its attributes before
// a call's code has loaded, so these stay apart from the transfer code).
import { KibitzError } from '../errors.js';

const MiB = 1024 * 1024;

/**
 * What a receiver lets incoming files take. Budgets count the announced size of every
 * accepted, unfinished transfer (what it may still grow to), so the bytes held in memory
 * never exceed them whatever a sender does.
 */
export interface FileLimits {
  /** The largest file accepted, in bytes. */
  maxFileBytes: number;
  /** Bytes the unfinished transfers of one sender may hold at once. */
  maxSenderBytes: number;
  /** Bytes all unfinished incoming transfers may hold at once. */
  maxTotalBytes: number;
  /** An accepted transfer that brings no chunk for this long is cut off (ERR_TRANSFER_STALLED). */
  idleMs: number;
  /** An offer nobody accepts or rejects within this is declined; a sender waits twice this for an answer. */
  offerMs: number;
}

/**
 * 64 MiB per file and per sender, 256 MiB for all senders together: a few phone videos or a
 * large PDF each, and four senders at their limit still fit a low-end laptop's tab; 30 s
 * without a chunk is far beyond any live link's pause (the sender waits for backpressure in
 * milliseconds); a person gets a minute to decide.
 */
export const DEFAULT_FILE_LIMITS: Readonly<FileLimits> = {
  maxFileBytes: 64 * MiB,
  maxSenderBytes: 64 * MiB,
  maxTotalBytes: 256 * MiB,
  idleMs: 30_000,
  offerMs: 60_000,
};

/**
 * Who decides on incoming files: `ask` (the default) reports each offer and waits for
 * `accept()` or `reject()`; `all` accepts every offer within the limits; `none` declines all.
 */
export type AcceptFiles = 'ask' | 'all' | 'none';
export const ACCEPT_FILES: readonly AcceptFiles[] = ['ask', 'all', 'none'];

/** Limits with defaults filled in; throws ERR_BAD_ATTRIBUTE (naming `file-limits`) on a bad or unknown field. */
export function resolveFileLimits(given: Partial<FileLimits> | undefined): FileLimits {
  const limits = { ...DEFAULT_FILE_LIMITS };
  if (given === undefined) return limits;
  if (typeof given !== 'object' || given === null || Array.isArray(given)) {
    throw new KibitzError('ERR_BAD_ATTRIBUTE', 'file-limits: must be an object of limits');
  }
  for (const [key, value] of Object.entries(given)) {
    if (!(key in limits)) {
      throw new KibitzError('ERR_BAD_ATTRIBUTE', `file-limits: unknown limit "${key}"; use ${Object.keys(limits).join(', ')}`);
    }
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || (value as number) <= 0) {
      throw new KibitzError('ERR_BAD_ATTRIBUTE', `file-limits: ${key} must be a positive whole number`);
    }
    limits[key as keyof FileLimits] = value as number;
  }
  return limits;
}

/** Throws ERR_BAD_ATTRIBUTE (naming `accept-files`) unless `value` is a policy. */
export function resolveAcceptFiles(value: string | undefined): AcceptFiles {
  if (value === undefined) return 'ask';
  if (!(ACCEPT_FILES as readonly string[]).includes(value)) {
    throw new KibitzError('ERR_BAD_ATTRIBUTE', `accept-files: "${value}" is not one of ${ACCEPT_FILES.map((p) => `"${p}"`).join(', ')}`);
  }
  return value as AcceptFiles;
}
