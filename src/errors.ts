/**
 * Every failure the SDK reports carries a stable `code`; pages branch on the code,
 * never on the message text.
 */
export type KibitzErrorCode =
  | 'ERR_BAD_ATTRIBUTE'
  | 'ERR_BAD_LINK'
  | 'ERR_SIGNALING'
  | 'ERR_ID_TAKEN'
  | 'ERR_JOIN_TIMEOUT'
  | 'ERR_NOT_JOINED'
  | 'ERR_NO_RELAY'
  | 'ERR_ICE_SERVERS'
  /** The call's code (`kibitz-engine.js` beside the script-tag bundle) could not be fetched; join() again to retry. */
  | 'ERR_LOAD'
  | 'ERR_MEDIA'
  | 'ERR_BAD_DEVICE'
  | 'ERR_DEVICE_LOST'
  | 'ERR_SEND'
  | 'ERR_TOO_LARGE'
  | 'ERR_TRANSFER_REFUSED'
  | 'ERR_TRANSFER_LIMIT'
  | 'ERR_TRANSFER_STALLED'
  | 'ERR_UNKNOWN_PEER'
  | 'ERR_NO_SAFETY_CODE'
  | 'ERR_NO_HOST'
  | 'ERR_NOT_HOST'
  | 'ERR_BAD_PASSPHRASE'
  | 'ERR_WEAK_PASSPHRASE'
  | 'ERR_BAD_SEAL'
  | 'ERR_BAD_KEY'
  | 'ERR_BAD_COMMAND'
  | 'ERR_BANS_FULL'
  | 'ERR_BAD_GRANT'
  | 'ERR_GRANTS_FULL'
  | 'ERR_BAD_GATE'
  | 'ERR_WEAK_CODE'
  | 'ERR_BAD_INVITE'
  | 'ERR_GATE'
  | 'ERR_REFUSED'
  | 'ERR_KICKED'
  | 'ERR_LEFT';

export class KibitzError extends Error {
  override readonly name = 'KibitzError';
  readonly code: KibitzErrorCode;

  constructor(code: KibitzErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Narrow an unknown thrown value to a KibitzError, wrapping anything else under `fallback`. */
export function toKibitzError(err: unknown, fallback: KibitzErrorCode): KibitzError {
  if (err instanceof KibitzError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new KibitzError(fallback, message, { cause: err });
}
