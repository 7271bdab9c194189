/*
 * Where a JSON text goes wrong, for messages that must locate an error without quoting the text.
 * V8's JSON.parse gives a position for most errors, but not for an unexpected token (a bare word,
 * a merge-conflict marker `<<<<<<<`, a stray `}`): its message then quotes the text around the
 * token instead, which a message about a stack (it may hold sensitive values) must not repeat.
 */

const ARRAY = 0;
const OBJECT = 1;

/** What the scanner expects next. */
const enum Want {
  /** A value (the document, after `:`, after `,` in a list). */
  Value,
  /** A value or `]` (just after `[`). */
  ValueOrClose,
  /** A key or `}` (just after `{`). */
  KeyOrClose,
  /** A key (after `,` in an object). */
  Key,
  /** The `:` after a key. */
  Colon,
  /** `,`, the closing bracket of the open container, or (at the top) the end of the text. */
  After,
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isHex = (c: number): boolean => isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);

/** The end of the string starting at `text[i]` (a `"`), or the negated offset (minus one) of its first error. */
function stringEnd(text: string, i: number): number {
  const n = text.length;
  let j = i + 1;
  while (j < n) {
    const c = text.charCodeAt(j);
    if (c === 34) return j + 1;
    if (c < 0x20) return -j - 1;
    if (c === 92) {
      const e = text.charCodeAt(j + 1);
      if (j + 1 >= n) return -n - 1;
      if (e === 117) {
        for (let k = j + 2; k < j + 6; k++) if (k >= n || !isHex(text.charCodeAt(k))) return -Math.min(k, n) - 1;
        j += 6;
      } else if (e === 34 || e === 92 || e === 47 || e === 98 || e === 102 || e === 110 || e === 114 || e === 116) j += 2;
      else return -(j + 1) - 1;
    } else j++;
  }
  return -n - 1;
}

/** The end of the number starting at `text[i]` (`-` or a digit), or the negated offset (minus one) of its first error. */
function numberEnd(text: string, i: number): number {
  const n = text.length;
  let j = i;
  if (text.charCodeAt(j) === 45) j++;
  if (j >= n) return -n - 1;
  if (text.charCodeAt(j) === 48) j++;
  else if (isDigit(text.charCodeAt(j))) while (j < n && isDigit(text.charCodeAt(j))) j++;
  else return -j - 1;
  if (text.charCodeAt(j) === 46) {
    j++;
    if (j >= n || !isDigit(text.charCodeAt(j))) return -Math.min(j, n) - 1;
    while (j < n && isDigit(text.charCodeAt(j))) j++;
  }
  const e = text.charCodeAt(j);
  if (e === 101 || e === 69) {
    j++;
    const sign = text.charCodeAt(j);
    if (sign === 43 || sign === 45) j++;
    if (j >= n || !isDigit(text.charCodeAt(j))) return -Math.min(j, n) - 1;
    while (j < n && isDigit(text.charCodeAt(j))) j++;
  }
  return j;
}

/**
 * The offset in `text` of the first character that no valid JSON text could have there (the text's
 * length when it ends too early), or undefined when `text` is valid JSON (RFC 8259, as JSON.parse
 * reads it). Iterative: nesting depth costs no stack.
 */
export function jsonErrorOffset(text: string): number | undefined {
  const n = text.length;
  const open: number[] = [];
  let want = Want.Value;
  let i = 0;
  for (;;) {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 32 || c === 10 || c === 13 || c === 9) i++;
      else break;
    }
    if (i >= n) return want === Want.After && open.length === 0 ? undefined : n;
    const c = text.charCodeAt(i);
    switch (want) {
      case Want.Value:
      case Want.ValueOrClose: {
        if (c === 93 && want === Want.ValueOrClose) {
          open.pop();
          i++;
          want = Want.After;
        } else if (c === 123) {
          open.push(OBJECT);
          i++;
          want = Want.KeyOrClose;
        } else if (c === 91) {
          open.push(ARRAY);
          i++;
          want = Want.ValueOrClose;
        } else {
          let end: number;
          if (c === 34) end = stringEnd(text, i);
          else if (c === 45 || isDigit(c)) end = numberEnd(text, i);
          else {
            const word = c === 116 ? "true" : c === 102 ? "false" : c === 110 ? "null" : undefined;
            if (word === undefined) return i;
            let k = 1;
            while (k < word.length && i + k < n && text.charCodeAt(i + k) === word.charCodeAt(k)) k++;
            end = k === word.length ? i + k : -(i + k) - 1;
          }
          if (end < 0) return -end - 1;
          i = end;
          want = Want.After;
        }
        break;
      }
      case Want.KeyOrClose:
      case Want.Key: {
        if (c === 125 && want === Want.KeyOrClose) {
          open.pop();
          i++;
          want = Want.After;
          break;
        }
        if (c !== 34) return i;
        const end = stringEnd(text, i);
        if (end < 0) return -end - 1;
        i = end;
        want = Want.Colon;
        break;
      }
      case Want.Colon:
        if (c !== 58) return i;
        i++;
        want = Want.Value;
        break;
      case Want.After: {
        const top = open.length === 0 ? -1 : open[open.length - 1];
        if (c === 44 && top !== -1) {
          i++;
          want = top === OBJECT ? Want.Key : Want.Value;
        } else if ((c === 93 && top === ARRAY) || (c === 125 && top === OBJECT)) {
          open.pop();
          i++;
        } else return i;
        break;
      }
    }
  }
}
