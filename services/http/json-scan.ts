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
 * for its objects and not for 100 000 copies of the same two strings. The hash (FNV-1a) takes
 * every byte of a string: one of a sample would let a hostile body pass new strings off as
 * repeats.
 */

const OPEN_BRACKET = 0x5b
const CLOSE_BRACKET = 0x5d
const OPEN_BRACE = 0x7b
const CLOSE_BRACE = 0x7d
const QUOTE = 0x22
const BACKSLASH = 0x5c
const COLON = 0x3a
const COMMA = 0x2c
const MINUS = 0x2d
const SPACE = 0x20

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
/** "4294967294", the largest array index, has 10 digits. */
const INDEX_DIGITS = 10
const CACHE_SIZE = 4096
const FNV_OFFSET = 0x811c9dc5 | 0
const FNV_PRIME = 0x01000193
/** push takes a longer chunk in pieces of this size, so that its indexes are small integers. */
const MAX_PIECE = 2 ** 30

const isDigit = (c: number) => c >= 0x30 && c <= 0x39

// What a string is made of (#strBits): in the low byte, its bytes or-ed together (bit 7,
// NON_ASCII, says one was 0x80 or above; the other bits mean nothing), and flags above it.
const NON_ASCII = 0x80
const ESCAPE = 0x100
const NOT_DIGITS = 0x200
const LEADING_ZERO = 0x400

// What the last chunk ended in the middle of, besides a string (#token).
const NONE = 0
const NUMBER = 1
const LITERAL = 2 // true, false, null (any run of lowercase letters)

// What a byte of a number that is not a digit says (#tokenKinds): that V8 boxes the number
// (a fraction, an exponent, or a sign after the first byte) and that it has an exponent; 0,
// that the number has ended.
const BOXED = 1
const EXPONENT = 2
const NUMBER_BYTE = new Uint8Array(256)
for (const c of '.+-') NUMBER_BYTE[c.charCodeAt(0)] = BOXED
for (const c of 'eE') NUMBER_BYTE[c.charCodeAt(0)] = BOXED | EXPONENT

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
  // the last chunk ended inside a string (#escaped: right after a backslash)
  #inString = false
  #escaped = false
  // the string being read, or the last one read: its length in bytes, the FNV-1a hash of
  // every one of them (backslashes too), and what it is made of
  #strLen = 0
  #strHash = FNV_OFFSET
  #strBits = 0
  // a string that ended, not yet known to be a key or a value
  #pending = false
  // the number or literal the last chunk ended in: its digits, and BOXED | EXPONENT
  #token = NONE
  #tokenDigits = 0
  #tokenKinds = 0
  readonly #seen = new Int32Array(CACHE_SIZE)

  /**
   * push scans the next piece of the text. It runs over every byte of every JSON body, so it
   * is written for speed: what it counts stays in local variables while it runs, and the
   * inside of a string, a number or a run of whitespace is read by a tight loop of its own.
   * A string, number or literal the chunk ends in is finished at the start of the next push
   * (#resumeString, #resumeNumber, #scanLiteral).
   */
  push(chunk: Uint8Array): void {
    if (chunk.length > MAX_PIECE) {
      for (let from = 0; from < chunk.length; from += MAX_PIECE)
        this.push(chunk.subarray(from, from + MAX_PIECE))
      return
    }
    const n = chunk.length | 0 // V8 holds a typed array's length as a double; compare with an int
    let i = 0
    if (this.#inString) i = this.#resumeString(chunk)
    else if (this.#token === NUMBER) i = this.#resumeNumber(chunk)
    else if (this.#token === LITERAL) i = this.#scanLiteral(chunk, 0)
    let pending = this.#pending
    let strLen = this.#strLen
    let strHash = this.#strHash
    let strBits = this.#strBits
    let depth = this.#depth
    let max = this.max
    let values = this.values
    let objects = this.objects
    let arrays = this.arrays
    let members = this.members
    let topMembers = this.topMembers
    while (i < n) {
      const c = chunk[i++] as number
      if (c <= SPACE) {
        while (i < n && (chunk[i] as number) <= SPACE) i++
        continue
      }
      if (pending) {
        pending = false
        if (c === COLON) this.stringHeapBytes += this.#stringCost(true, strLen, strHash, strBits)
        else {
          values++
          this.stringHeapBytes += this.#stringCost(false, strLen, strHash, strBits)
        }
      }
      if (c === QUOTE) {
        // a string: hash every byte up to the closing quote (as #resumeString does)
        const start = i
        let hash = FNV_OFFSET
        let bits = 0
        // a run of digits first: only a string of digits can be an array index
        for (; i < n; i++) {
          const b = chunk[i] as number
          if (!isDigit(b)) break
          hash = Math.imul(hash ^ b, FNV_PRIME)
        }
        if (i < n && chunk[i] !== QUOTE) bits |= NOT_DIGITS
        for (; i < n; i++) {
          let b = chunk[i] as number
          if (b === QUOTE) break
          if (b === BACKSLASH) {
            bits |= ESCAPE
            hash = Math.imul(hash ^ b, FNV_PRIME)
            if (++i === n) {
              this.#escaped = true
              break
            }
            b = chunk[i] as number
          }
          hash = Math.imul(hash ^ b, FNV_PRIME)
          bits |= b
        }
        if (i > start && chunk[start] === 0x30) bits |= LEADING_ZERO
        strLen = i - start
        strHash = hash
        strBits = bits
        if (i === n) this.#inString = true
        else {
          i++
          pending = true
          if ((bits & NON_ASCII) !== 0) this.nonAscii = true
        }
      } else if (c === OPEN_BRACE) {
        values++
        objects++
        if (++depth > max) max = depth
      } else if (c === OPEN_BRACKET) {
        values++
        arrays++
        if (++depth > max) max = depth
      } else if (c === CLOSE_BRACKET || c === CLOSE_BRACE) depth--
      else if (c === COLON) {
        members++
        if (depth === 1) topMembers++
        if (i < n && chunk[i] === SPACE) i++ // as json.dumps writes ": "
      } else if (c === COMMA) {
        if (i < n && chunk[i] === SPACE) i++ // and ", "
      } else if (isDigit(c) || c === MINUS) {
        // a number: count its digits, and see what else it has (as #resumeNumber does)
        values++
        let digits = isDigit(c) ? 1 : 0
        let kinds = 0
        for (;;) {
          const run = i
          while (i < n && isDigit(chunk[i] as number)) i++
          digits += i - run
          if (i === n) break
          const kind = NUMBER_BYTE[chunk[i] as number] as number
          if (kind === 0) break
          kinds |= kind
          i++
        }
        if (i < n) this.#countNumber(digits, kinds)
        else {
          this.#token = NUMBER
          this.#tokenDigits = digits
          this.#tokenKinds = kinds
        }
      } else {
        values++
        i = this.#scanLiteral(chunk, i)
      }
    }
    this.#pending = pending
    this.#strLen = strLen
    this.#strHash = strHash
    this.#strBits = strBits
    this.#depth = depth
    this.max = max
    this.values = values
    this.objects = objects
    this.arrays = arrays
    this.members = members
    this.topMembers = topMembers
    this.bytes += n
  }

  /** end settles what the last bytes left open (a trailing number or string). */
  end(): void {
    if (this.#token === NUMBER) this.#countNumber(this.#tokenDigits, this.#tokenKinds)
    this.#token = NONE
    if (this.#pending) {
      this.#pending = false
      this.values++
      this.stringHeapBytes += this.#stringCost(false, this.#strLen, this.#strHash, this.#strBits)
    }
  }

  /**
   * resumeString reads on the string the last chunk ended in, from the start of `chunk` to
   * its closing quote, with the same loops as push reads a string (push keeps its own copy,
   * with its state in local variables; this one runs at most once a chunk); returns the index
   * after the quote, or the chunk's length when the string goes on still.
   */
  #resumeString(chunk: Uint8Array): number {
    const n = chunk.length | 0
    const len = this.#strLen
    let hash = this.#strHash
    let bits = this.#strBits
    let i = 0
    if (this.#escaped && n > 0) {
      // the byte after a backslash that ended the last chunk
      const c = chunk[i++] as number
      hash = Math.imul(hash ^ c, FNV_PRIME)
      bits |= c
      this.#escaped = false
    }
    if ((bits & NOT_DIGITS) === 0) {
      for (; i < n; i++) {
        const c = chunk[i] as number
        if (!isDigit(c)) break
        hash = Math.imul(hash ^ c, FNV_PRIME)
      }
      if (i < n && chunk[i] !== QUOTE) bits |= NOT_DIGITS
    }
    for (; i < n; i++) {
      let c = chunk[i] as number
      if (c === QUOTE) break
      if (c === BACKSLASH) {
        bits |= ESCAPE
        hash = Math.imul(hash ^ c, FNV_PRIME)
        if (++i === n) {
          this.#escaped = true
          break
        }
        c = chunk[i] as number
      }
      hash = Math.imul(hash ^ c, FNV_PRIME)
      bits |= c
    }
    if (len === 0 && i > 0 && chunk[0] === 0x30) bits |= LEADING_ZERO
    this.#strLen = len + i
    this.#strHash = hash
    this.#strBits = bits
    if (i === n) return n
    this.#inString = false
    this.#pending = true
    if ((bits & NON_ASCII) !== 0) this.nonAscii = true
    return i + 1
  }

  /**
   * resumeNumber reads on the number the last chunk ended in, with the same loop as push
   * reads a number; returns the index of the first byte after it, or the chunk's length.
   */
  #resumeNumber(chunk: Uint8Array): number {
    const n = chunk.length | 0
    let digits = this.#tokenDigits
    let kinds = this.#tokenKinds
    let i = 0
    for (;;) {
      const run = i
      while (i < n && isDigit(chunk[i] as number)) i++
      digits += i - run
      if (i === n) break
      const kind = NUMBER_BYTE[chunk[i] as number] as number
      if (kind === 0) break
      kinds |= kind
      i++
    }
    this.#tokenDigits = digits
    this.#tokenKinds = kinds
    if (i < n) {
      this.#token = NONE
      this.#countNumber(digits, kinds)
    }
    return i
  }

  /** countNumber counts a number that ended, with its digits and kinds (BOXED | EXPONENT) */
  #countNumber(digits: number, kinds: number): void {
    if ((kinds & BOXED) !== 0 || digits > 9) this.heapNumbers++
    if ((kinds & EXPONENT) !== 0) this.exponentNumbers++
  }

  /** scanLiteral reads true, false or null on from chunk[i]; returns the index after it */
  #scanLiteral(chunk: Uint8Array, i: number): number {
    const n = chunk.length | 0
    for (; i < n; i++) {
      const c = chunk[i] as number
      if (c < 0x61 || c > 0x7a) break
    }
    this.#token = i === n ? LITERAL : NONE
    return i
  }

  /** stringCost is what the string that ended last adds to stringHeapBytes, as a key or a value */
  #stringCost(isKey: boolean, len: number, hash: number, bits: number): number {
    const text = V8_COST.stringHeader + ((bits & NON_ASCII) !== 0 ? 2 * len : len)
    if (isKey) {
      // "0".."4294967294" as a key is an array index: an element slot, not a named property
      const index =
        (bits & NOT_DIGITS) === 0 &&
        len > 0 &&
        len <= INDEX_DIGITS &&
        (len === 1 || (bits & LEADING_ZERO) === 0)
      if (index) return 0
      return this.#remember((hash ^ len) | 1) ? V8_COST.seenKey : text + V8_COST.newKey
    }
    const shareable = (bits & ESCAPE) === 0 && len <= SHORT_STRING
    return shareable && this.#remember((hash ^ len) | 1) ? 0 : text
  }

  /** remember says whether `hash` was seen before (as far as the cache knows), and records it */
  #remember(hash: number): boolean {
    const slot = hash >>> 20
    if (this.#seen[slot] === hash) return true
    this.#seen[slot] = hash
    return false
  }
}
