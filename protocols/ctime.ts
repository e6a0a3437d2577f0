/**
 * The seeds' UDP time format: Python's `time.ctime()`, e.g. `Wed Aug 15 20:35:08 2012`
 * (asctime: the day of the month space-padded to two characters), in the container's
 * time zone, which is UTC.
 */
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const

import { NTP_UNIX_OFFSET_S } from './ntp-time.ts'

const two = (n: number) => String(n).padStart(2, '0')

/** ctime formats `date` (UTC) exactly as CPython's time.ctime() does with TZ=UTC. */
export function ctime(date: Date): string {
  return (
    `${DAYS[date.getUTCDay()]} ${MONTHS[date.getUTCMonth()]} ${String(date.getUTCDate()).padStart(2, ' ')} ` +
    `${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} ${date.getUTCFullYear()}`
  )
}

/** RFC 868: the time as 32-bit unsigned seconds since 1900-01-01 UTC, big-endian. */
export function rfc868(unixMs: number): Buffer {
  const out = Buffer.alloc(4)
  out.writeUInt32BE((Math.floor(unixMs / 1000) + NTP_UNIX_OFFSET_S) >>> 0, 0)
  return out
}
