// Display names, as every receiver cleans them. A module of its own: the element checks the
// `name` attribute before joining, without loading the protocol.

export const MAX_NAME_LENGTH = 64;

/**
 * A display name as others may see it: NFC, without control, bidi-override or zero-width
 * characters (the emoji joiner U+200D stays) (which could fake "(you)", a host badge or reversed text), inner whitespace
 * collapsed, at most MAX_NAME_LENGTH characters. Applied wherever a name is received.
 * @example cleanName('Eve\u202e tsoh \u00b7') === 'Eve tsoh ·'
 */
export function cleanName(name: string, max = MAX_NAME_LENGTH): string {
  const cleaned = name
    .normalize('NFC')
    // Format characters go, except the joiner that holds emoji sequences together.
    .replace(/[\p{Cc}\p{Zl}\p{Zp}]|(?!\u200d)\p{Cf}/gu, '')
    .replace(/\s+/g, ' ')
    .trim();
  // Capped in UTF-16 units, as the wire validator counts, without splitting a character.
  let capped = '';
  for (const char of cleaned) {
    if (capped.length + char.length > max) break;
    capped += char;
  }
  return capped;
}
