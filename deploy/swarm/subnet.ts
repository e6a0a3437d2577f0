/**
 * Choosing the overlay's subnet. Swarm would pick one from 10.0.0.0/8, which may be a LAN; the
 * stack sets it inside 172.16.0.0/12 like the compose bridge, in 172.16.0.0/16: Docker's default
 * pools for bridges start at 172.17.0.0/16, so a compose lab started later never lands on it.
 * A /24 that overlaps any Docker network or host route is skipped.
 */

/** Cidr is an IPv4 network: its first address as an unsigned 32-bit number, and its prefix length. */
export interface Cidr {
  readonly base: number
  readonly bits: number
}

/** parseCidr reads `a.b.c.d/n` (a bare address is /32); undefined for anything else (IPv6 too). */
export function parseCidr(text: string): Cidr | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/.exec(text.trim())
  if (!m) return undefined
  const octets = m.slice(1, 5).map(Number)
  const bits = m[5] === undefined ? 32 : Number(m[5])
  if (octets.some((o) => o > 255) || bits > 32) return undefined
  const address = octets.reduce((n, o) => n * 256 + o, 0)
  return { base: address - (address % 2 ** (32 - bits)), bits }
}

/** overlaps is whether two networks share any address. */
export function overlaps(a: Cidr, b: Cidr): boolean {
  const aEnd = a.base + 2 ** (32 - a.bits)
  const bEnd = b.base + 2 ** (32 - b.bits)
  return a.base < bEnd && b.base < aEnd
}

/** formatCidr writes a Cidr as `a.b.c.d/n`. */
export function formatCidr({ base, bits }: Cidr): string {
  return `${[24, 16, 8, 0].map((s) => Math.floor(base / 2 ** s) % 256).join('.')}/${bits}`
}

/**
 * The candidates, in order: 172.16.240.0/24 to 172.16.255.0/24, then 172.16.1.0/24 upwards
 * (172.16.0.0/24 is left to the ingress network of a swarm that `make swarm-up` creates).
 */
export function candidateSubnets(): string[] {
  const thirds = [
    ...Array.from({ length: 16 }, (_, i) => 240 + i),
    ...Array.from({ length: 239 }, (_, i) => 1 + i),
  ]
  return thirds.map((n) => `172.16.${n}.0/24`)
}

/** pickSubnet returns the first candidate overlapping none of `taken` (CIDRs; others ignored). */
export function pickSubnet(taken: readonly string[], candidates = candidateSubnets()): string | undefined {
  const used = taken.map(parseCidr).filter((c): c is Cidr => c !== undefined)
  return candidates.find((text) => {
    const c = parseCidr(text)
    return c !== undefined && !used.some((u) => overlaps(c, u))
  })
}
