/**
 * What the faults container knows of the lab network, learnt from its own interfaces and
 * routes: the subnets it is attached to (the lab's containers are there), and the gateways
 * (the host's side of a Docker bridge, which is not a container of the lab).
 *
 *   eth0  172.18.0.5/16  ─▶  lab network 172.18.0.0/16, gateway 172.18.0.1 (the host)
 *
 * Loopback and IPv6 link-local addresses are never part of the lab.
 */
import { readFileSync } from 'node:fs'
import { type NetworkInterfaceInfo, networkInterfaces } from 'node:os'

/** Family is how node:net's BlockList names an address family. */
export type Family = 'ipv4' | 'ipv6'

/** Subnet is a network in CIDR form: its network address and prefix length. */
export interface Subnet {
  readonly address: string
  readonly prefix: number
  readonly family: Family
}

/** LabTopology is the lab as seen from the faults container. */
export interface LabTopology {
  /** the subnets of the container's non-loopback interfaces */
  readonly networks: readonly Subnet[]
  /** the routers of those subnets: the host, not a container */
  readonly gateways: readonly string[]
}

/** formatSubnet writes `172.18.0.0/16`. */
export function formatSubnet(s: Subnet): string {
  return `${s.address}/${s.prefix}`
}

function ipv4ToNumber(address: string): number {
  return address.split('.').reduce((n, part) => n * 256 + Number(part), 0)
}

function numberToIpv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.')
}

function ipv6ToBigInt(address: string): bigint {
  const [head = '', tail] = address.split('::') as [string, string | undefined]
  const parts = (s: string | undefined) => (s ? s.split(':') : [])
  const h = parts(head)
  const t = parts(tail)
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t]
  return groups.reduce((n, g) => (n << 16n) | BigInt(Number.parseInt(g, 16)), 0n)
}

function bigIntToIpv6(n: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) => ((n >> BigInt(112 - 16 * i)) & 0xffffn).toString(16))
  // the longest run of zero groups becomes "::" (RFC 5952 §4.2)
  let best = { at: -1, len: 0 }
  for (let i = 0; i < 8; ) {
    let j = i
    while (j < 8 && groups[j] === '0') j++
    if (j - i > best.len && j - i > 1) best = { at: i, len: j - i }
    i = j + 1
  }
  if (best.at < 0) return groups.join(':')
  return `${groups.slice(0, best.at).join(':')}::${groups.slice(best.at + best.len).join(':')}`
}

/** subnetOf is the network `address/prefix` belongs to (host bits cleared). */
export function subnetOf(address: string, prefix: number, family: Family): Subnet {
  if (family === 'ipv4') {
    const size = 2 ** (32 - prefix)
    return { address: numberToIpv4(Math.floor(ipv4ToNumber(address) / size) * size), prefix, family }
  }
  const mask = prefix === 0 ? 0n : ((1n << BigInt(prefix)) - 1n) << BigInt(128 - prefix)
  return { address: bigIntToIpv6(ipv6ToBigInt(address) & mask), prefix, family }
}

/** broadcastOf is the last address of an IPv4 subnet. */
export function broadcastOf(s: Subnet): string {
  return numberToIpv4(ipv4ToNumber(s.address) + 2 ** (32 - s.prefix) - 1)
}

const isLinkLocal6 = (address: string) => /^fe[89ab]/i.test(address)

/** labSubnets are the subnets of the non-loopback interfaces (IPv6 link-local left out). */
export function labSubnets(interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces()): Subnet[] {
  const out: Subnet[] = []
  for (const info of Object.values(interfaces).flat()) {
    if (!info || info.internal || info.cidr === null) continue
    if (info.family === 'IPv6' && isLinkLocal6(info.address)) continue
    const family: Family = info.family === 'IPv4' ? 'ipv4' : 'ipv6'
    const s = subnetOf(info.address, Number(info.cidr.split('/')[1]), family)
    if (!out.some((o) => o.address === s.address && o.prefix === s.prefix)) out.push(s)
  }
  return out
}

/**
 * routeGateways reads the gateways of the kernel's routing tables (/proc/net/route: the
 * IPv4 gateway as little-endian hex; /proc/net/ipv6_route: the next hop as 32 hex digits).
 */
export function routeGateways(ipv4Table: string, ipv6Table: string): string[] {
  const out = new Set<string>()
  for (const line of ipv4Table.split('\n').slice(1)) {
    const hex = line.trim().split(/\s+/)[2]
    if (!hex || !/^[0-9A-Fa-f]{8}$/.test(hex) || /^0+$/.test(hex)) continue
    const n = Number.parseInt(hex, 16)
    out.add([0, 8, 16, 24].map((shift) => (n >>> shift) & 0xff).join('.'))
  }
  for (const line of ipv6Table.split('\n')) {
    const hop = line.trim().split(/\s+/)[4]
    if (!hop || !/^[0-9a-f]{32}$/i.test(hop) || /^0+$/.test(hop)) continue
    out.add(bigIntToIpv6(BigInt(`0x${hop}`)))
  }
  return [...out]
}

function readOr(path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return ''
  }
}

/**
 * firstHost is a subnet's first host address, where Docker's IPAM puts a bridge network's
 * gateway unless told otherwise (`172.18.0.0/16` → `172.18.0.1`).
 */
export function firstHost(s: Subnet): string {
  if (s.family === 'ipv4') return numberToIpv4(ipv4ToNumber(s.address) + 1)
  return bigIntToIpv6(ipv6ToBigInt(s.address) + 1n)
}

/**
 * labTopology is the lab seen from these interfaces and routing tables. The routing tables
 * name only the gateway of the default route: on a container attached to several networks
 * the others' gateways (the host, too) are directly connected and never appear there, so
 * each subnet's first host, Docker's gateway, counts as a gateway as well.
 */
export function labTopology(
  interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>,
  ipv4Table: string,
  ipv6Table: string,
): LabTopology {
  const networks = labSubnets(interfaces)
  const gateways = new Set(routeGateways(ipv4Table, ipv6Table))
  for (const n of networks)
    if ((n.family === 'ipv4' && n.prefix <= 30) || (n.family === 'ipv6' && n.prefix <= 126))
      gateways.add(firstHost(n))
  return { networks, gateways: [...gateways] }
}

/** learnLabTopology reads this container's interfaces and routes. */
export function learnLabTopology(): LabTopology {
  return labTopology(networkInterfaces(), readOr('/proc/net/route'), readOr('/proc/net/ipv6_route'))
}
