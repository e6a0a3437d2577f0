/**
 * NTP timestamps (RFC 5905 §6): 64 bits, big-endian, unsigned seconds since
 * 1900-01-01 00:00 UTC and a 32-bit binary fraction of a second. Era 0 ends on
 * 2036-02-07 06:28:16 UTC, where the seconds wrap to 0. We read them the RFC 4330 §3
 * way: with the top bit set, seconds since 1900 (1968-01-20 03:14:08 to 2036); with it
 * clear, seconds since 2036-02-07 06:28:16 UTC (era 1, up to 2104-02-26 09:42:23). So
 * the times this lab writes, now and for decades, read back as themselves across the
 * wrap. Shared by the SNTP codec, the probe codec and the clients that compute offsets
 * from them.
 */

/** Seconds from the NTP epoch (1900) to the Unix epoch (1970). */
export const NTP_UNIX_OFFSET_S = 2_208_988_800

/** Seconds in one NTP era: the 32-bit seconds field wraps after this many. */
export const NTP_ERA_S = 2 ** 32

/** nowMs is the wall clock in milliseconds with sub-millisecond resolution. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now()
}

/** writeNtpTime writes `unixMs` as an NTP timestamp at `offset`, its seconds modulo the era. */
export function writeNtpTime(buf: Buffer, offset: number, unixMs: number): void {
  const totalS = unixMs / 1000 + NTP_UNIX_OFFSET_S
  let seconds = Math.floor(totalS)
  let fraction = Math.round((totalS - seconds) * 2 ** 32)
  if (fraction >= 2 ** 32) {
    seconds += 1
    fraction = 0
  }
  buf.writeUInt32BE(seconds >>> 0, offset)
  buf.writeUInt32BE(fraction >>> 0, offset + 4)
}

/** readNtpTime reads an NTP timestamp at `offset` as Unix milliseconds, era 0 or 1 by its top bit. */
export function readNtpTime(buf: Buffer, offset: number): number {
  const raw = buf.readUInt32BE(offset)
  const seconds = raw >= 0x8000_0000 ? raw : raw + NTP_ERA_S
  const fraction = buf.readUInt32BE(offset + 4)
  return (seconds - NTP_UNIX_OFFSET_S + fraction / 2 ** 32) * 1000
}

/**
 * offsetAndDelay is the NTP on-wire calculation (RFC 5905 §8) in milliseconds:
 * offset θ = ((T2 − T1) + (T3 − T4)) / 2, delay δ = (T4 − T1) − (T3 − T2).
 */
export function offsetAndDelay(
  t1: number,
  t2: number,
  t3: number,
  t4: number,
): { offsetMs: number; delayMs: number } {
  return { offsetMs: (t2 - t1 + (t3 - t4)) / 2, delayMs: t4 - t1 - (t3 - t2) }
}
