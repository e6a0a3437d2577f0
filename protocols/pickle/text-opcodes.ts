/**
 * The arguments of protocol 0's text opcodes, a `\n`-terminated line each, read as CPython's
 * `Lib/pickle.py` reads them. Python 2.7's `pickle.dumps(x)` writes protocol 0 by default,
 * so the seed's RPCProxy under 2.7 sends these inside its frames:
 *
 *   I5 / I01 / I00   int, True, False        L123L   long          F1.5   float (repr)
 *   S'a\x00'         str (Python escapes)    Vh\u2713 unicode (raw-unicode-escape)
 *   p0 / g0          memo PUT / GET by decimal index
 */

const FLOAT = /^[-+]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|inf(?:inity)?|nan)$/i

/** parseIntLine reads INT's or LONG's digits (LONG's trailing L dropped); undefined if not an int. */
export function parseIntLine(line: string): bigint | undefined {
  const digits = line.endsWith('L') ? line.slice(0, -1) : line
  return /^[-+]?\d+$/.test(digits) ? BigInt(digits) : undefined
}

/** parseFloatLine reads FLOAT's repr (`1.5`, `1e+300`, `inf`, `nan`); undefined if Python's float() would fail. */
export function parseFloatLine(line: string): number | undefined {
  if (!FLOAT.test(line)) return undefined
  const lower = line.toLowerCase()
  if (lower.endsWith('nan')) return Number.NaN
  if (lower.endsWith('inf') || lower.endsWith('infinity'))
    return lower.startsWith('-') ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY
  return Number(line)
}

const SIMPLE_ESCAPES: Readonly<Record<string, number>> = {
  '\\': 0x5c,
  "'": 0x27,
  '"': 0x22,
  a: 0x07,
  b: 0x08,
  f: 0x0c,
  n: 0x0a,
  r: 0x0d,
  t: 0x09,
  v: 0x0b,
}

/**
 * parseStringLine reads STRING's argument: a quoted Python 2 string literal, decoded as
 * `codecs.escape_decode` does (`\\x00`, octal, `\\n`, …; an unknown escape stays as it is).
 * Returns the bytes, or a reason it is not one.
 */
export function parseStringLine(line: Buffer): Buffer | string {
  const q = line[0]
  if (line.length < 2 || (q !== 0x27 && q !== 0x22) || line[line.length - 1] !== q)
    return 'the STRING opcode argument must be quoted'
  const out: number[] = []
  const end = line.length - 1
  for (let i = 1; i < end; i++) {
    const c = line[i] as number
    if (c !== 0x5c || i + 1 >= end) {
      out.push(c)
      continue
    }
    const e = String.fromCharCode(line[++i] as number)
    const simple = SIMPLE_ESCAPES[e]
    if (simple !== undefined) out.push(simple)
    else if (e === '\n') continue
    else if (e === 'x') {
      const hex = line.toString('latin1', i + 1, i + 3)
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) return 'invalid \\x escape in a STRING argument'
      out.push(Number.parseInt(hex, 16))
      i += 2
    } else if (e >= '0' && e <= '7') {
      let n = Number(e)
      for (
        let k = 0;
        k < 2 &&
        i + 1 < end &&
        line[i + 1] !== undefined &&
        /[0-7]/.test(String.fromCharCode(line[i + 1] as number));
        k++
      )
        n = n * 8 + Number(String.fromCharCode(line[++i] as number))
      out.push(n & 0xff)
    } else out.push(0x5c, e.charCodeAt(0))
  }
  return Buffer.from(out)
}

/**
 * parseUnicodeLine reads UNICODE's argument as the raw-unicode-escape codec does: bytes as
 * Latin-1 code points, except `\uXXXX` and `\UXXXXXXXX` after an odd run of backslashes.
 * Returns the text, or a reason it is not valid.
 */
export function parseUnicodeLine(line: Buffer): string | { error: string } {
  let out = ''
  let i = 0
  while (i < line.length) {
    const c = line[i] as number
    if (c !== 0x5c) {
      out += String.fromCharCode(c)
      i++
      continue
    }
    let run = 0
    while (line[i + run] === 0x5c) run++
    const next = line[i + run]
    if (run % 2 === 0 || (next !== 0x75 && next !== 0x55)) {
      out += '\\'.repeat(run)
      i += run
      continue
    }
    out += '\\'.repeat(run - 1)
    const width = next === 0x75 ? 4 : 8
    const hex = line.toString('latin1', i + run + 1, i + run + 1 + width)
    if (hex.length !== width || !/^[0-9a-fA-F]+$/.test(hex))
      return { error: 'truncated \\uXXXX escape in a UNICODE argument' }
    const cp = Number.parseInt(hex, 16)
    if (cp > 0x10ffff) return { error: '\\Uxxxxxxxx out of range in a UNICODE argument' }
    out += String.fromCodePoint(cp)
    i += run + 1 + width
  }
  return out
}
