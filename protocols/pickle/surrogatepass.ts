/**
 * UTF-8 with Python's 'surrogatepass' error handler, which pickle uses for str in both
 * directions: a lone surrogate (U+D800..U+DFFF, legal in a Python str and in a JS string)
 * is written as its 3-byte form (ED A0 80 for U+D800) and read back, where plain UTF-8
 * would refuse or replace it. The decoder also serves as the fast path for short strings;
 * long well-formed text goes through Node's native UTF-8 code.
 */

/**
 * decodeSurrogatePass decodes UTF-8 that may also encode lone surrogates (ED A0..BF xx),
 * as Python's 'surrogatepass' error handler does; undefined for anything else that is
 * not UTF-8 (overlong forms, stray continuation bytes, truncated sequences).
 */
export function decodeSurrogatePass(b: Uint8Array, start: number, end: number): string | undefined {
  let s = ''
  let i = start
  while (i < end) {
    const c = b[i] as number
    if (c < 0x80) {
      s += String.fromCharCode(c)
      i++
      continue
    }
    const n = c >= 0xc2 && c < 0xe0 ? 2 : c >= 0xe0 && c < 0xf0 ? 3 : c >= 0xf0 && c < 0xf5 ? 4 : 0
    if (n === 0 || i + n > end) return undefined
    let cp = c & (0xff >> (n + 1))
    for (let k = 1; k < n; k++) {
      const cc = b[i + k] as number
      if ((cc & 0xc0) !== 0x80) return undefined
      cp = (cp << 6) | (cc & 0x3f)
    }
    if (cp < (n === 2 ? 0x80 : n === 3 ? 0x800 : 0x10000) || cp > 0x10ffff) return undefined
    s +=
      cp < 0x10000 ? String.fromCharCode(cp) : String.fromCharCode(0xd7c0 + (cp >> 10), 0xdc00 + (cp & 0x3ff))
    i += n
  }
  return s
}

/** utf8Into writes s at buf[at] as utf8SurrogatePass does (room is reserved) and returns the byte count. */
export function utf8Into(buf: Buffer, at: number, s: string): number {
  if (s.isWellFormed()) return buf.write(s, at, 'utf8')
  const bytes = utf8SurrogatePass(s)
  buf.set(bytes, at)
  return bytes.length
}

/** utf8SurrogatePass encodes like Python's str.encode('utf-8', 'surrogatepass'): lone surrogates as 3 bytes. */
export function utf8SurrogatePass(s: string): Buffer {
  if (s.isWellFormed()) return Buffer.from(s, 'utf8')
  const parts: Buffer[] = []
  let start = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0xd800 || c > 0xdfff) continue
    const pair = c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00
    if (pair) {
      i++
      continue
    }
    parts.push(
      Buffer.from(s.slice(start, i), 'utf8'),
      Buffer.from([0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f)]),
    )
    start = i + 1
  }
  parts.push(Buffer.from(s.slice(start), 'utf8'))
  return Buffer.concat(parts)
}
