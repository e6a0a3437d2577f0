/**
 * Python's own spellings, for error texts every RPC transport shares: `repr()` of the
 * values an RpcValue can hold (str quoting and escapes, float repr, bytes, datetime) and
 * the TypeError a call with the wrong number of arguments raises. XML-RPC faults, JSON-RPC
 * error data, the mp-connection handshake and the store's KeyError all word things this way.
 */
import type { RpcValue } from './value.ts'

/** PySignature describes a registered function, for the arity messages. */
export interface PySignature {
  /** as Python prints it: `put` for a function, `KeyValueServer.set` for a bound method */
  readonly name: string
  /** the positional parameter names, `self` left out */
  readonly params: readonly string[]
  /** how many trailing params have defaults (0 if none) */
  readonly defaults?: number
  /** a bound method: Python counts `self` in "takes N positional arguments" */
  readonly bound?: boolean
}

/**
 * arityMessage is Python's TypeError text for a call with `given` positional arguments,
 * or undefined when the count fits:
 *   put() missing 1 required positional argument: 'v'
 *   f() missing 3 required positional arguments: 'a', 'b', and 'c'
 *   get() takes 1 positional argument but 2 were given
 *   fd() takes from 1 to 2 positional arguments but 3 were given
 */
export function arityMessage(sig: PySignature, given: number): string | undefined {
  const max = sig.params.length
  const min = max - (sig.defaults ?? 0)
  if (given < min) {
    const missing = sig.params.slice(given, min).map((p) => `'${p}'`)
    const noun = missing.length === 1 ? 'argument' : 'arguments'
    return `${sig.name}() missing ${missing.length} required positional ${noun}: ${pyJoinNames(missing)}`
  }
  if (given > max) {
    const self = sig.bound === true ? 1 : 0
    const lo = min + self
    const hi = max + self
    const takes = lo === hi ? `${hi}` : `from ${lo} to ${hi}`
    const noun = hi === 1 && lo === hi ? 'argument' : 'arguments'
    const were = given + self === 1 ? 'was' : 'were'
    return `${sig.name}() takes ${takes} positional ${noun} but ${given + self} ${were} given`
  }
  return undefined
}

/** pyJoinNames joins like CPython's missing-arguments list: `'a'`, `'a' and 'b'`, `'a', 'b', and 'c'`. */
function pyJoinNames(names: readonly string[]): string {
  if (names.length <= 2) return names.join(' and ')
  return `${names.slice(0, -1).join(', ')}, and ${names[names.length - 1]}`
}

/**
 * pyRepr is Python's repr() of the value the RpcValue stands for: str, int, float, bool,
 * None, bytes, list, dict; a Date as `datetime.datetime(…)`. Containers nested deeper
 * than 32 levels print as `[...]` / `{...}`, which also keeps cycles finite.
 */
export function pyRepr(v: RpcValue, depth = 0): string {
  if (v === null) return 'None'
  switch (typeof v) {
    case 'boolean':
      return v ? 'True' : 'False'
    case 'bigint':
      return v.toString()
    case 'number':
      return pyFloatRepr(v)
    case 'string':
      return pyStrRepr(v)
  }
  if (v instanceof Uint8Array) return pyBytesRepr(v)
  if (v instanceof Date) return pyDatetimeRepr(v)
  if (Array.isArray(v)) {
    if (depth >= MAX_REPR_DEPTH) return '[...]'
    return `[${v.map((item: RpcValue) => pyRepr(item, depth + 1)).join(', ')}]`
  }
  if (depth >= MAX_REPR_DEPTH) return '{...}'
  const parts = Object.entries(v).map(([k, item]) => `${pyStrRepr(k)}: ${pyRepr(item, depth + 1)}`)
  return `{${parts.join(', ')}}`
}

const MAX_REPR_DEPTH = 32

/**
 * pyFloatRepr is Python's repr(float): the shortest digits that round-trip (as JS finds
 * them), fixed notation for exponents -4..15 with at least one decimal (`1.0`), else
 * scientific with a signed, two-digit-minimum exponent (`1e+16`, `1e-07`); `inf`, `nan`.
 */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan'
  if (x === Number.POSITIVE_INFINITY) return 'inf'
  if (x === Number.NEGATIVE_INFINITY) return '-inf'
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0'
  const sign = x < 0 ? '-' : ''
  const exp = Math.abs(x).toExponential() // shortest round-trip digits: d.ddde±n
  const e = exp.indexOf('e')
  const digits = exp.slice(0, e).replace('.', '')
  const power = Number(exp.slice(e + 1))
  if (power >= -4 && power < 16) {
    if (power < 0) return `${sign}0.${'0'.repeat(-power - 1)}${digits}`
    if (digits.length <= power + 1) return `${sign}${digits}${'0'.repeat(power + 1 - digits.length)}.0`
    return `${sign}${digits.slice(0, power + 1)}.${digits.slice(power + 1)}`
  }
  const mantissa = digits.length === 1 ? digits : `${digits[0]}.${digits.slice(1)}`
  const absPower = Math.abs(power)
  return `${sign}${mantissa}e${power < 0 ? '-' : '+'}${absPower < 10 ? '0' : ''}${absPower}`
}

// Characters str.isprintable() rejects: controls, format, surrogates, private use,
// unassigned, and separators other than the ASCII space.
const NON_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u

/** pyStrRepr is Python's repr(str): quote choice, `\n \r \t \\` and `\xNN \uNNNN \UNNNNNNNN` escapes. */
export function pyStrRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'"
  let out = quote
  for (const ch of s) {
    const cp = ch.codePointAt(0) as number
    if (ch === quote || ch === '\\') out += `\\${ch}`
    else if (ch === '\n') out += '\\n'
    else if (ch === '\r') out += '\\r'
    else if (ch === '\t') out += '\\t'
    else if (cp === 0x20 || !NON_PRINTABLE.test(ch)) out += ch
    else if (cp < 0x100) out += `\\x${hex(cp, 2)}`
    else if (cp < 0x10000) out += `\\u${hex(cp, 4)}`
    else out += `\\U${hex(cp, 8)}`
  }
  return out + quote
}

/** pyBytesRepr is Python's repr(bytes): `b'...'`, printable ASCII as is, the rest `\xNN`. */
export function pyBytesRepr(b: Uint8Array): string {
  let hasSingle = false
  let hasDouble = false
  for (const byte of b) {
    if (byte === 0x27) hasSingle = true
    else if (byte === 0x22) hasDouble = true
  }
  const quote = hasSingle && !hasDouble ? 0x22 : 0x27
  let out = ''
  for (const byte of b) {
    if (byte === quote || byte === 0x5c) out += `\\${String.fromCharCode(byte)}`
    else if (byte === 0x0a) out += '\\n'
    else if (byte === 0x0d) out += '\\r'
    else if (byte === 0x09) out += '\\t'
    else if (byte >= 0x20 && byte < 0x7f) out += String.fromCharCode(byte)
    else out += `\\x${hex(byte, 2)}`
  }
  const q = String.fromCharCode(quote)
  return `b${q}${out}${q}`
}

/** pyDatetimeRepr: `datetime.datetime(2024, 2, 29, 13, 5, 9)`; seconds left out when 0, as Python does. */
function pyDatetimeRepr(d: Date): string {
  const parts = [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes()]
  const ms = d.getUTCMilliseconds()
  if (d.getUTCSeconds() !== 0 || ms !== 0) parts.push(d.getUTCSeconds())
  if (ms !== 0) parts.push(ms * 1000)
  return `datetime.datetime(${parts.join(', ')})`
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0')
}
