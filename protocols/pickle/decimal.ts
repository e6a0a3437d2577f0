/**
 * decimal.Decimal as pickle carries it (`Decimal('1.50')` is `decimal.Decimal` called with
 * the text `str(d)`), and the addition and subtraction the RPC port's `add` and `sub` do on
 * it. A port of CPython's `Lib/_pydecimal.py` (`Decimal.__new__` for text, `__str__`,
 * `__add__`, `_fix`, `_rescale`, `_normalize`) in the default context: precision 28,
 * ROUND_HALF_EVEN, Emax 999999, Emin -999999, and InvalidOperation and Overflow trapped
 * (raised); the C module CPython actually uses gives the same results.
 *
 *   sign  coefficient  exponent          text
 *   0     '150'        -2n               1.50
 *   1     '0'          0n                -0
 *   0     ''           'NaN'  payload '' NaN          ('sNaN', 'Infinity' alike)
 */

/** The Python exception a decimal operation raises (module `decimal`), e.g. Overflow('above Emax'). */
export class DecimalSignal extends Error {
  /** `InvalidOperation` or `Overflow` (both subclasses of ArithmeticError in Python) */
  readonly pyName: string

  constructor(pyName: string, message: string) {
    super(message)
    this.pyName = pyName
  }
}

/** PyDecimal is a decimal.Decimal: sign, coefficient digits and exponent, or a special value. */
export class PyDecimal {
  /** 1 for negative (zeros and NaNs keep a sign too) */
  readonly sign: 0 | 1
  /** the coefficient's digits without leading zeros ('0' for zero), or a NaN's payload ('' if none) */
  readonly digits: string
  /** the exponent, or the kind of special value */
  readonly exp: bigint | 'NaN' | 'sNaN' | 'Infinity'

  constructor(sign: 0 | 1, digits: string, exp: bigint | 'NaN' | 'sNaN' | 'Infinity') {
    this.sign = sign
    this.digits = digits
    this.exp = exp
  }

  get isSpecial(): boolean {
    return typeof this.exp !== 'bigint'
  }

  get isNaN(): boolean {
    return this.exp === 'NaN' || this.exp === 'sNaN'
  }

  /** toString is Python's str(Decimal), which is also the text it pickles (to-scientific-string). */
  toString(): string {
    const sign = this.sign === 1 ? '-' : ''
    if (typeof this.exp !== 'bigint')
      return this.exp === 'Infinity' ? `${sign}Infinity` : `${sign}${this.exp}${this.digits}`
    const n = this.digits.length
    const left = this.exp + BigInt(n)
    // _pydecimal __str__: plain notation when exp <= 0 and adjusted >= -6, else one digit before the dot.
    const dot = this.exp <= 0n && left > -6n ? Number(left) : 1
    let intPart: string
    let fracPart: string
    if (dot <= 0) {
      intPart = '0'
      fracPart = `.${'0'.repeat(-dot)}${this.digits}`
    } else if (dot >= n) {
      intPart = this.digits + '0'.repeat(dot - n)
      fracPart = ''
    } else {
      intPart = this.digits.slice(0, dot)
      fracPart = `.${this.digits.slice(dot)}`
    }
    const e = left - BigInt(dot)
    const expPart = e === 0n ? '' : `E${e > 0n ? '+' : ''}${e}`
    return sign + intPart + fracPart + expPart
  }
}

// Lib/_pydecimal.py _parser, ASCII digits only (Python also takes other Unicode digits).
const PARSER =
  /^(?<sign>[-+])?(?:(?=\d|\.\d)(?<int>\d*)(?:\.(?<frac>\d*))?(?:E(?<exp>[-+]?\d+))?|(?<inf>Inf(?:inity)?)|(?<signal>s)?NaN(?<diag>\d*))$/i

/** parseDecimal reads Decimal's text form as `Decimal(text)` does; undefined when Python would raise InvalidOperation. */
export function parseDecimal(text: string): PyDecimal | undefined {
  const m = PARSER.exec(text.trim().replaceAll('_', ''))
  const g = m?.groups
  if (g === undefined) return undefined
  const sign = g.sign === '-' ? 1 : 0
  if (g.inf !== undefined) return new PyDecimal(sign, '0', 'Infinity')
  if (g.diag !== undefined) return new PyDecimal(sign, g.diag.replace(/^0+/, ''), g.signal ? 'sNaN' : 'NaN')
  const frac = g.frac ?? ''
  const digits = `${g.int ?? ''}${frac}`.replace(/^0+/, '') || '0'
  return new PyDecimal(sign, digits, BigInt(g.exp ?? '0') - BigInt(frac.length))
}

/** decimalFromInt is `Decimal(n)`: exact. */
export function decimalFromInt(n: bigint): PyDecimal {
  return new PyDecimal(n < 0n ? 1 : 0, (n < 0n ? -n : n).toString(), 0n)
}

const PREC = 28
const EMAX = 999_999n
const EMIN = -999_999n
const ETINY = EMIN - BigInt(PREC) + 1n
const ETOP = EMAX - BigInt(PREC) + 1n

/** decimalSub is `a - b` (NaN operands propagate as they are, as the C module does). */
export function decimalSub(a: PyDecimal, b: PyDecimal): PyDecimal {
  if (b.isNaN) return decimalAdd(a, b)
  return decimalAdd(a, new PyDecimal(b.sign === 1 ? 0 : 1, b.digits, b.exp))
}

/** decimalAdd is `a + b` in the default context (_pydecimal `Decimal.__add__`). */
export function decimalAdd(a: PyDecimal, b: PyDecimal): PyDecimal {
  if (a.isSpecial || b.isSpecial) {
    if (a.exp === 'sNaN' || b.exp === 'sNaN') throw new DecimalSignal('InvalidOperation', 'sNaN')
    if (a.isNaN) return fixNaN(a)
    if (b.isNaN) return fixNaN(b)
    if (a.exp === 'Infinity') {
      if (b.exp === 'Infinity' && a.sign !== b.sign) throw new DecimalSignal('InvalidOperation', '-INF + INF')
      return a
    }
    return b
  }
  const ae = a.exp as bigint
  const be = b.exp as bigint
  let exp = ae < be ? ae : be
  const aZero = a.digits === '0'
  const bZero = b.digits === '0'
  if (aZero && bZero) return fix(new PyDecimal(a.sign < b.sign ? a.sign : b.sign, '0', exp))
  if (aZero) return fix(rescale(b, max(exp, be - BigInt(PREC) - 1n)))
  if (bZero) return fix(rescale(a, max(exp, ae - BigInt(PREC) - 1n)))
  // _normalize: an operand far below the other's precision only affects rounding, so it
  // is replaced by one just below it (this also bounds the padding below).
  const aBig = ae >= be
  const [big, small] = aBig ? [a, b] : [b, a]
  const bigExp = big.exp as bigint
  let smallInt = BigInt(small.digits)
  let smallExp = small.exp as bigint
  const cut = bigExp + BigInt(Math.min(-1, big.digits.length - PREC - 2))
  if (BigInt(small.digits.length) + smallExp - 1n < cut) {
    smallInt = 1n
    smallExp = cut
  }
  const bigInt = BigInt(big.digits) * 10n ** (bigExp - smallExp)
  exp = smallExp
  const [x, y] = aBig ? [bigInt, smallInt] : [smallInt, bigInt]
  const sum = (a.sign === 1 ? -x : x) + (b.sign === 1 ? -y : y)
  if (sum === 0n) return fix(new PyDecimal(0, '0', exp)) // ROUND_HALF_EVEN: an exact zero is +0
  return fix(new PyDecimal(sum < 0n ? 1 : 0, (sum < 0n ? -sum : sum).toString(), exp))
}

function max(a: bigint, b: bigint): bigint {
  return a > b ? a : b
}

function fixNaN(d: PyDecimal): PyDecimal {
  if (d.digits.length <= PREC) return d
  return new PyDecimal(d.sign, d.digits.slice(d.digits.length - PREC).replace(/^0+/, ''), d.exp)
}

/** roundsUp is _round_half_even's verdict on keeping `keep` digits: 1 round up, 0 exact, -1 truncate. */
function roundsUp(digits: string, keep: number): 1 | 0 | -1 {
  const rest = digits.slice(keep)
  if (/^0*$/.test(rest)) return 0
  const first = rest[0] as string
  if (first === '5' && /^50*$/.test(rest) && (keep === 0 || '02468'.includes(digits[keep - 1] as string)))
    return -1
  return '56789'.includes(first) ? 1 : -1
}

/** rescale is _pydecimal `_rescale(exp, ROUND_HALF_EVEN)` for a finite value. */
function rescale(d: PyDecimal, exp: bigint): PyDecimal {
  const de = d.exp as bigint
  if (d.digits === '0') return new PyDecimal(d.sign, '0', exp)
  if (de >= exp) return new PyDecimal(d.sign, d.digits + '0'.repeat(Number(de - exp)), exp)
  return round(d, exp)
}

/** round keeps the digits of `d` down to exponent `exp` (> d.exp), rounding half-even. */
function round(d: PyDecimal, exp: bigint): PyDecimal {
  let digitsLeft = BigInt(d.digits.length) + (d.exp as bigint) - exp
  let digits = d.digits
  if (digitsLeft < 0n) {
    // _pydecimal: below the last kept digit, the value only matters as "a bit more than 0".
    digits = '1'
    digitsLeft = 0n
  }
  const keep = Number(digitsLeft)
  let coeff = digits.slice(0, keep) || '0'
  if (roundsUp(digits, keep) === 1) coeff = (BigInt(coeff) + 1n).toString()
  return new PyDecimal(d.sign, coeff, exp)
}

/** fix is _pydecimal `_fix`: round to the context's precision and check the exponent range. */
function fix(d: PyDecimal): PyDecimal {
  const de = d.exp as bigint
  if (d.digits === '0') {
    const e = de < ETINY ? ETINY : de > EMAX ? EMAX : de
    return e === de ? d : new PyDecimal(d.sign, '0', e)
  }
  let expMin = BigInt(d.digits.length) + de - BigInt(PREC)
  if (expMin > ETOP) throw new DecimalSignal('Overflow', 'above Emax')
  if (expMin < ETINY) expMin = ETINY
  if (de >= expMin) return d
  let rounded = round(d, expMin)
  if (rounded.digits.length > PREC) {
    expMin += 1n
    rounded = new PyDecimal(rounded.sign, rounded.digits.slice(0, -1), expMin)
  }
  if (expMin > ETOP) throw new DecimalSignal('Overflow', 'above Emax')
  return rounded
}
