/**
 * JsonScanner reads JSON text in pieces as it arrives (a preParsing hook in app.ts) and, in
 * one pass that skips strings, finds what the service must know before it parses:
 *
 * - the deepest nesting of arrays and objects (HTTP_MAX_JSON_DEPTH): hostile nesting costs
 *   O(n) here and never reaches JSON.parse;
 * - what JSON.parse will build in V8's heap, and how long the pretty-printed echo of it will
 *   be, so that the memory budget is charged before either exists (json-cost.ts).
 *
 * The heap figures come from measuring V8 (Node 24, x64, no pointer compression): an empty
 * object is 56 bytes, an array 32 plus a 16-byte backing store, every element or property
 * slot 8, a non-small number 16 more when boxed, a string 24 plus its characters, and a key
 * V8 has not seen in this shape a new map (about 80). Short strings (10 bytes or less, V8
 * internalizes them) and keys repeat in real documents and are shared: a small cache of
 * their hashes tells a repeat from a new one, so `[{"name": "tigerrose"}, ...]` is charged
 * for its objects and not for 100 000 copies of the same two strings.
 */

const OPEN_BRACKET = 0x5b
const CLOSE_BRACKET = 0x5d
const OPEN_BRACE = 0x7b
const CLOSE_BRACE = 0x7d
const QUOTE = 0x22
const BACKSLASH = 0x5c
const COLON = 0x3a
const COMMA = 0x2c

/** Measured V8 costs (bytes), see the header. */
export const V8_COST = {
  object: 64,
  array: 48,
  slot: 8,
  heapNumber: 16,
  stringHeader: 24,
  newKey: 80,
  seenKey: 16,
} as const

/** V8 internalizes (and so shares) string values up to this many characters. */
const SHORT_STRING = 10
const CACHE_SIZE = 4096

const isDigit = (c: number) => c >= 0x30 && c <= 0x39

export class JsonScanner {
  /** the deepest nesting seen so far */
  max = 0
  /** how many bytes were scanned */
  bytes = 0
  objects = 0
  arrays = 0
  /** values that sit in an array element or object property: containers, strings, scalars */
  values = 0
  /** object members (key: value pairs) */
  members = 0
  /** members of the top-level object */
  topMembers = 0
  /** numbers V8 boxes (fractions, exponents, more than 9 digits) */
  heapNumbers = 0
  /** numbers written with an exponent: JSON.stringify may spell them out (1e20 is 21 digits) */
  exponentNumbers = 0
  /** heap bytes the strings and keys JSON.parse builds will take (shared ones not counted) */
  stringHeapBytes = 0
  /** a byte of 0x80 or above was seen: decoded text may be a two-byte string */
  nonAscii = false

  #depth = 0
  #inString = false
  #escaped = false
  // the string being read: length, FNV-1a hash, and what it was made of
  #strLen = 0
  #strHash = 0
  #strEscape = false
  #strNonAscii = false
  #strDigits = true
  #strLeadingZero = false
  // a string that ended, not yet known to be a key or a value
  #pending = false
  // the number (or true/false/null) being read
  #token: 'none' | 'number' | 'literal' = 'none'
  #tokenDigits = 0
  #tokenBoxed = false
  #tokenExponent = false
  readonly #seen = new Int32Array(CACHE_SIZE)

  push(chunk: Uint8Array): void {
    const n = chunk.length
    let i = 0
    if (this.#escaped && n > 0) {
      this.#stringByte(chunk[0] as number) // the byte after a backslash that ended the last chunk
      this.#escaped = false
      i = 1
    }
    for (; i < n; i++) {
      const c = chunk[i] as number
      if (this.#inString) {
        if (c === QUOTE) this.#endString()
        else if (c === BACKSLASH) {
          this.#strEscape = true
          this.#stringByte(c)
          if (i + 1 < n) this.#stringByte(chunk[++i] as number)
          else this.#escaped = true
        } else this.#stringByte(c)
        continue
      }
      if (this.#token !== 'none' && this.#inToken(c)) continue
      if (c <= 0x20) continue
      if (this.#pending) this.#resolvePending(c === COLON)
      if (c === QUOTE) this.#startString()
      else if (c === OPEN_BRACKET || c === OPEN_BRACE) {
        this.values++
        if (c === OPEN_BRACE) this.objects++
        else this.arrays++
        this.#depth++
        if (this.#depth > this.max) this.max = this.#depth
      } else if (c === CLOSE_BRACKET || c === CLOSE_BRACE) this.#depth--
      else if (c === COLON) {
        this.members++
        if (this.#depth === 1) this.topMembers++
      } else if (c !== COMMA) this.#startToken(c)
    }
    this.bytes += n
  }

  /** end settles what the last bytes left open (a trailing number or string). */
  end(): void {
    this.#endToken()
    if (this.#pending) this.#resolvePending(false)
  }

  #stringByte(c: number): void {
    if (this.#strLen === 0) this.#strLeadingZero = c === 0x30
    this.#strLen++
    this.#strHash = Math.imul(this.#strHash ^ c, 0x01000193)
    if (c >= 0x80) this.#strNonAscii = true
    if (!isDigit(c)) this.#strDigits = false
  }

  #startString(): void {
    this.#inString = true
    this.#strLen = 0
    this.#strHash = 0x811c9dc5
    this.#strEscape = false
    this.#strNonAscii = false
    this.#strDigits = true
  }

  #endString(): void {
    this.#inString = false
    this.#pending = true
    if (this.#strNonAscii) this.nonAscii = true
  }

  /** the string that ended last was a key (followed by ':') or a value */
  #resolvePending(isKey: boolean): void {
    this.#pending = false
    const len = this.#strLen
    const hash = (this.#strHash ^ len) | 1
    const text = V8_COST.stringHeader + (this.#strNonAscii ? 2 * len : len)
    if (isKey) {
      // "0".."4294967294" as a key is an array index: an element slot, not a named property
      const index = this.#strDigits && len > 0 && len <= 10 && (len === 1 || !this.#strLeadingZero)
      if (!index) this.stringHeapBytes += this.#remember(hash) ? V8_COST.seenKey : text + V8_COST.newKey
      return
    }
    this.values++
    const shareable = !this.#strEscape && len <= SHORT_STRING
    if (!(shareable && this.#remember(hash))) this.stringHeapBytes += text
  }

  /** remember says whether `hash` was seen before (as far as the cache knows), and records it */
  #remember(hash: number): boolean {
    const slot = hash >>> 20
    if (this.#seen[slot] === hash) return true
    this.#seen[slot] = hash
    return false
  }

  #startToken(c: number): void {
    this.values++
    this.#token = isDigit(c) || c === 0x2d ? 'number' : 'literal'
    this.#tokenDigits = isDigit(c) ? 1 : 0
    this.#tokenBoxed = false
    this.#tokenExponent = false
  }

  /** inToken takes byte `c` if it continues the current number or literal; else ends it */
  #inToken(c: number): boolean {
    if (this.#token === 'literal') {
      if (c >= 0x61 && c <= 0x7a) return true
    } else if (isDigit(c)) {
      this.#tokenDigits++
      return true
    } else if (c === 0x2e || c === 0x2b || c === 0x2d) {
      this.#tokenBoxed = true
      return true
    } else if (c === 0x65 || c === 0x45) {
      this.#tokenBoxed = true
      this.#tokenExponent = true
      return true
    }
    this.#endToken()
    return false
  }

  #endToken(): void {
    if (this.#token === 'number') {
      if (this.#tokenBoxed || this.#tokenDigits > 9) this.heapNumbers++
      if (this.#tokenExponent) this.exponentNumbers++
    }
    this.#token = 'none'
  }
}
