/**
 * Tags (pure): the rules a tag follows (the server's, trainui/protocol: shown before a request
 * is refused) and each tag's colour, derived from its text alone so that a tag has the same
 * colour in every table, page and browser.
 */

export const TAG_PATTERN = /^[A-Za-z0-9_.:/+@-]{1,64}$/;
export const MAX_TAGS = 32;

/** Why `tag` is not a tag, or null when it is one. */
export function tagProblem(tag) {
  if (TAG_PATTERN.test(tag)) return null;
  if (!tag) return 'a tag needs at least one character';
  if (tag.length > 64) return 'a tag holds at most 64 characters';
  return 'a tag holds letters, digits and _ . : / + @ - only (no spaces)';
}

/** FNV-1a over the UTF-16 code units: small, stable, and spreads similar tags apart. */
export function tagHash(tag) {
  let hash = 0x811c9dc5;
  for (let i = 0; i < tag.length; i++) {
    hash ^= tag.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** The chip's hue (0-359) for `tag`; the stylesheet picks lightness for the theme. */
export function tagHue(tag) {
  return tagHash(String(tag)) % 360;
}
