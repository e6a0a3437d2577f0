/**
 * The `datetime` module's values as pickle carries them, their checks, and the arithmetic
 * the RPC port's `add` and `sub` do on them (CPython `Lib/datetime.py`, whose C twin
 * `_datetime` gives the same results).
 *
 *   date(2024, 2, 29)             → datetime.date(b'\x07\xe8\x02\x1d')                 4-byte state
 *   time(13, 5, 9, 123)           → datetime.time(b'\x0d\x05\x09\x00\x00\x7b'[, tzinfo]) 6 bytes
 *   datetime(2024, 2, 29, 13, …)  → datetime.datetime(<10 bytes>[, tzinfo])             10 bytes
 *   timedelta(-1, 5, 7)           → datetime.timedelta(-1, 5, 7)           days, seconds, microseconds
 *   timezone(timedelta(hours=2))  → datetime.timezone(<timedelta>[, name])
 *
 * State bytes: year big-endian in 2 bytes, then month, day, hour, minute, second and the
 * microseconds in 3 bytes big-endian; `fold` (PEP 495) is the high bit of the hour (time)
 * or of the month (datetime). Python 2 pickles the same state as a str.
 */

/** PyTimedelta is a datetime.timedelta, normalised as Python keeps it: 0 ≤ seconds < 86400, 0 ≤ microseconds < 10^6. */
export class PyTimedelta {
  readonly days: number
  readonly seconds: number
  readonly microseconds: number

  constructor(days: number, seconds: number, microseconds: number) {
    this.days = days
    this.seconds = seconds
    this.microseconds = microseconds
  }

  /** total is the whole duration in microseconds. */
  get total(): bigint {
    return (BigInt(this.days) * 86_400n + BigInt(this.seconds)) * 1_000_000n + BigInt(this.microseconds)
  }
}

/** PyTimezone is a datetime.timezone: a fixed offset from UTC (-24 h < offset < 24 h) and an optional name. */
export class PyTimezone {
  readonly offset: PyTimedelta
  readonly name: string | undefined

  constructor(offset: PyTimedelta, name?: string) {
    this.offset = offset
    this.name = name
  }
}

/** PyDate is a datetime.date (year 1 to 9999). */
export class PyDate {
  readonly year: number
  readonly month: number
  readonly day: number

  constructor(year: number, month: number, day: number) {
    this.year = year
    this.month = month
    this.day = day
  }
}

/** PyTime is a datetime.time, with an optional fixed-offset tzinfo and PEP 495's fold. */
export class PyTime {
  readonly hour: number
  readonly minute: number
  readonly second: number
  readonly microsecond: number
  readonly tzinfo: PyTimezone | null
  readonly fold: 0 | 1

  constructor(
    hour: number,
    minute: number,
    second: number,
    microsecond: number,
    tzinfo: PyTimezone | null,
    fold: 0 | 1,
  ) {
    this.hour = hour
    this.minute = minute
    this.second = second
    this.microsecond = microsecond
    this.tzinfo = tzinfo
    this.fold = fold
  }
}

/** PyDateTime is a datetime.datetime: a date and a time of day. */
export class PyDateTime {
  readonly date: PyDate
  readonly time: PyTime

  constructor(date: PyDate, time: PyTime) {
    this.date = date
    this.time = time
  }
}

export const MAX_DELTA_DAYS = 999_999_999
const US_PER_DAY = 86_400_000_000n
const DAYS_BEFORE_MONTH = [0, 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334]

const isLeap = (y: number): boolean => y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0)

/** daysInMonth is the number of days in month `m` (1-12) of year `y`. */
export function daysInMonth(y: number, m: number): number {
  return m === 2 && isLeap(y) ? 29 : ([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1] ?? 0)
}

/** ordinal is Python's date.toordinal(): 1 for 0001-01-01. */
export function ordinal(d: PyDate): number {
  const y = d.year - 1
  const leap = d.month > 2 && isLeap(d.year) ? 1 : 0
  return (
    y * 365 +
    Math.floor(y / 4) -
    Math.floor(y / 100) +
    Math.floor(y / 400) +
    (DAYS_BEFORE_MONTH[d.month] ?? 0) +
    leap +
    d.day
  )
}

/** fromOrdinal is Python's date.fromordinal(n), or undefined outside years 1 to 9999. */
export function fromOrdinal(n: number): PyDate | undefined {
  if (n < 1 || n > 3_652_059) return undefined
  // Days since 0001-01-01 → a proleptic Gregorian date, via the civil-from-days algorithm.
  const z = n - 1 + 306 // 0000-03-01 based
  const era = Math.floor(z / 146_097)
  const doe = z - era * 146_097
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  )
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100))
  const mp = Math.floor((5 * doy + 2) / 153)
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1
  const month = mp < 10 ? mp + 3 : mp - 9
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0)
  return new PyDate(year, month, day)
}

/** isValidDate says whether y-m-d is a date Python can hold. */
export function isValidDate(y: number, m: number, d: number): boolean {
  return y >= 1 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 && d <= daysInMonth(y, m)
}

/** isValidTime says whether the fields are a time of day. */
export function isValidTime(h: number, mi: number, s: number, us: number): boolean {
  return h >= 0 && h < 24 && mi >= 0 && mi < 60 && s >= 0 && s < 60 && us >= 0 && us < 1_000_000
}

/** timedeltaOf normalises a duration in microseconds, or returns undefined beyond ±999999999 days (OverflowError). */
export function timedeltaOf(totalUs: bigint): PyTimedelta | undefined {
  const q = totalUs / US_PER_DAY
  let days = totalUs < 0n && totalUs % US_PER_DAY !== 0n ? q - 1n : q
  let rest = totalUs - days * US_PER_DAY
  if (rest < 0n) {
    days -= 1n
    rest += US_PER_DAY
  }
  if (days > BigInt(MAX_DELTA_DAYS) || days < -BigInt(MAX_DELTA_DAYS)) return undefined
  return new PyTimedelta(Number(days), Number(rest / 1_000_000n), Number(rest % 1_000_000n))
}

/** datetimeUs is a datetime's local reading as microseconds since 0001-01-01T00:00 (its tzinfo ignored). */
export function datetimeUs(dt: PyDateTime): bigint {
  const t = dt.time
  const secs = BigInt(ordinal(dt.date) - 1) * 86_400n + BigInt(t.hour * 3600 + t.minute * 60 + t.second)
  return secs * 1_000_000n + BigInt(t.microsecond)
}

/** datetimeFromUs is the inverse of datetimeUs, keeping tzinfo; undefined outside years 1 to 9999. */
export function datetimeFromUs(us: bigint, tzinfo: PyTimezone | null): PyDateTime | undefined {
  if (us < 0n) return undefined
  const date = fromOrdinal(Number(us / US_PER_DAY) + 1)
  if (date === undefined) return undefined
  const ofDay = us % US_PER_DAY
  const secs = Number(ofDay / 1_000_000n)
  const time = new PyTime(
    Math.floor(secs / 3600),
    Math.floor(secs / 60) % 60,
    secs % 60,
    Number(ofDay % 1_000_000n),
    tzinfo,
    0,
  )
  return new PyDateTime(date, time)
}

// --- state bytes (the pickled form) ------------------------------------------------------

/** dateState is date's 4-byte pickle state. */
export function dateState(d: PyDate): Buffer {
  return Buffer.from([d.year >> 8, d.year & 0xff, d.month, d.day])
}

/** timeState is time's 6-byte pickle state (fold in the hour's high bit, if `withFold`: protocol 4+). */
export function timeState(t: PyTime, withFold = true): Buffer {
  const us = t.microsecond
  return Buffer.from([
    t.hour | ((withFold ? t.fold : 0) << 7),
    t.minute,
    t.second,
    us >> 16,
    (us >> 8) & 0xff,
    us & 0xff,
  ])
}

/** datetimeState is datetime's 10-byte pickle state (fold in the month's high bit, if `withFold`). */
export function datetimeState(dt: PyDateTime, withFold = true): Buffer {
  const d = dt.date
  const t = dt.time
  const us = t.microsecond
  return Buffer.from([
    d.year >> 8,
    d.year & 0xff,
    d.month | ((withFold ? t.fold : 0) << 7),
    d.day,
    t.hour,
    t.minute,
    t.second,
    us >> 16,
    (us >> 8) & 0xff,
    us & 0xff,
  ])
}

/** dateFromState reads a 4-byte state; undefined if it is not a valid date. */
export function dateFromState(b: Uint8Array): PyDate | undefined {
  if (b.length !== 4) return undefined
  const y = ((b[0] as number) << 8) | (b[1] as number)
  return isValidDate(y, b[2] as number, b[3] as number)
    ? new PyDate(y, b[2] as number, b[3] as number)
    : undefined
}

/** timeFromState reads a 6-byte state; undefined if it is not a valid time. */
export function timeFromState(b: Uint8Array, tzinfo: PyTimezone | null): PyTime | undefined {
  if (b.length !== 6) return undefined
  const h = (b[0] as number) & 0x7f
  const us = ((b[3] as number) << 16) | ((b[4] as number) << 8) | (b[5] as number)
  if (!isValidTime(h, b[1] as number, b[2] as number, us)) return undefined
  return new PyTime(h, b[1] as number, b[2] as number, us, tzinfo, (b[0] as number) >> 7 === 1 ? 1 : 0)
}

/** datetimeFromState reads a 10-byte state; undefined if it is not a valid datetime. */
export function datetimeFromState(b: Uint8Array, tzinfo: PyTimezone | null): PyDateTime | undefined {
  if (b.length !== 10) return undefined
  const date = dateFromState(
    Buffer.from([b[0] as number, b[1] as number, (b[2] as number) & 0x7f, b[3] as number]),
  )
  const fold = (b[2] as number) >> 7
  const time = timeFromState(Buffer.from([(b[4] as number) | (fold << 7), ...b.subarray(5)]), tzinfo)
  return date && time ? new PyDateTime(date, time) : undefined
}

/** isValidOffset: a timezone's offset must be strictly between -24 h and 24 h. */
export function isValidOffset(td: PyTimedelta): boolean {
  return td.total > -US_PER_DAY && td.total < US_PER_DAY
}

// --- repr ---------------------------------------------------------------------------------

/** timedeltaRepr is repr() of a timedelta as Python 3.7+ spells it. */
export function timedeltaRepr(td: PyTimedelta): string {
  const parts: string[] = []
  if (td.days !== 0) parts.push(`days=${td.days}`)
  if (td.seconds !== 0) parts.push(`seconds=${td.seconds}`)
  if (td.microseconds !== 0) parts.push(`microseconds=${td.microseconds}`)
  return `datetime.timedelta(${parts.length === 0 ? '0' : parts.join(', ')})`
}

/** timezoneRepr is repr() of a timezone: `datetime.timezone.utc`, `datetime.timezone(datetime.timedelta(seconds=7200), 'X')`. */
export function timezoneRepr(tz: PyTimezone, strRepr: (s: string) => string): string {
  if (tz.offset.total === 0n && tz.name === undefined) return 'datetime.timezone.utc'
  const name = tz.name === undefined ? '' : `, ${strRepr(tz.name)}`
  return `datetime.timezone(${timedeltaRepr(tz.offset)}${name})`
}

function timeFields(t: PyTime): number[] {
  const fields = [t.hour, t.minute, t.second, t.microsecond]
  while (fields.length > 2 && fields[fields.length - 1] === 0) fields.pop()
  return fields
}

function timeSuffix(t: PyTime, strRepr: (s: string) => string): string {
  const tz = t.tzinfo === null ? '' : `, tzinfo=${timezoneRepr(t.tzinfo, strRepr)}`
  return `${tz}${t.fold === 1 ? ', fold=1' : ''}`
}

/** dateRepr, timeRepr and datetimeRepr are repr() as Python spells them. */
export function dateRepr(d: PyDate): string {
  return `datetime.date(${d.year}, ${d.month}, ${d.day})`
}

export function timeRepr(t: PyTime, strRepr: (s: string) => string): string {
  return `datetime.time(${timeFields(t).join(', ')}${timeSuffix(t, strRepr)})`
}

export function datetimeRepr(dt: PyDateTime, strRepr: (s: string) => string): string {
  const d = dt.date
  return `datetime.datetime(${[d.year, d.month, d.day, ...timeFields(dt.time)].join(', ')}${timeSuffix(dt.time, strRepr)})`
}
