/**
 * UpstreamPolicy decides which upstreams a proxy may reach: the containers of the lab, and
 * nothing else unless FAULTS_ALLOWED_UPSTREAMS says so. Without it the faults API would be an
 * open relay: anything that reaches the API (the lab network, or the LAN with NETLAB_BIND)
 * could point a proxy at the cloud metadata address, the host or the internet.
 *
 * An upstream is allowed when it is
 *   - an address inside a subnet of the container's own interfaces (the lab network), but not
 *     its gateway (the host) nor its network or broadcast address;
 *   - a name all of whose addresses are such addresses; a name that does not resolve only if
 *     it is a service of the lab's compose file not running yet (LAB_SERVICE_NAMES);
 *   - or a host name, address or CIDR listed in FAULTS_ALLOWED_UPSTREAMS.
 * `check` runs when a proxy is created, updated or populated (the shipped config included)
 * and only resolves names: it never connects. `resolve` runs for each TCP connection and UDP
 * session, so a proxy connects to a checked address even when a name's DNS answer changes.
 */
import { lookup as dnsLookup } from 'node:dns/promises'
import { BlockList, isIP } from 'node:net'
import { LabError } from '../../lib/errors.ts'
import { formatHostPort, type HostPort } from './address.ts'
import { FaultsError } from './errors.ts'
import {
  broadcastOf,
  type Family,
  formatSubnet,
  type LabTopology,
  type Subnet,
  subnetOf,
} from './lab-network.ts'

/** LAB_SERVICE_NAMES are the compose services a proxy may name before they are running. */
export const LAB_SERVICE_NAMES: readonly string[] = ['tcp', 'udp', 'http', 'rpc', 'faults']

/** LOOKUP_TIMEOUT_MS bounds one name resolution; a slower answer counts as no answer. */
export const LOOKUP_TIMEOUT_MS = 5000

/** Lookup resolves a host name to its addresses (dns.lookup by default: /etc/hosts, then DNS). */
export type Lookup = (host: string) => Promise<string[]>

/** AllowEntry is one FAULTS_ALLOWED_UPSTREAMS item: a host name, or a subnet (an address is a /32 or /128). */
export type AllowEntry = { readonly name: string } | { readonly subnet: Subnet }

const hostName =
  /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62}))*\.?$/

/** parseAllowEntry reads `name`, `10.1.2.3`, `10.0.0.0/8` or `fd00::/8`; undefined when malformed. */
export function parseAllowEntry(text: string): AllowEntry | undefined {
  const [address = '', prefixText, ...rest] = text.split('/')
  const version = isIP(address)
  if (version === 0)
    return prefixText === undefined && hostName.test(text) ? { name: normalize(text) } : undefined
  const family: Family = version === 4 ? 'ipv4' : 'ipv6'
  const max = version === 4 ? 32 : 128
  if (rest.length > 0 || (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText))) return undefined
  const prefix = prefixText === undefined ? max : Number(prefixText)
  return prefix <= max ? { subnet: subnetOf(address, prefix, family) } : undefined
}

/** formatAllowEntry writes an entry back as the variable lists it. */
export function formatAllowEntry(e: AllowEntry): string {
  return 'name' in e ? e.name : formatSubnet(e.subnet)
}

const normalize = (host: string) => host.toLowerCase().replace(/\.$/, '')
const familyOf = (address: string): Family => (isIP(address) === 6 ? 'ipv6' : 'ipv4')

/** What kind of address a refused one is, for the message (RFC 6890's special-purpose ranges). */
const KINDS: readonly (readonly [string, string, number, Family])[] = [
  ['loopback', '127.0.0.0', 8, 'ipv4'],
  ['unspecified', '0.0.0.0', 8, 'ipv4'],
  ['link-local', '169.254.0.0', 16, 'ipv4'],
  ['private', '10.0.0.0', 8, 'ipv4'],
  ['private', '172.16.0.0', 12, 'ipv4'],
  ['private', '192.168.0.0', 16, 'ipv4'],
  ['shared address space', '100.64.0.0', 10, 'ipv4'],
  ['multicast', '224.0.0.0', 4, 'ipv4'],
  ['reserved', '240.0.0.0', 4, 'ipv4'],
  ['loopback', '::1', 128, 'ipv6'],
  ['unspecified', '::', 128, 'ipv6'],
  ['link-local', 'fe80::', 10, 'ipv6'],
  ['unique local', 'fc00::', 7, 'ipv6'],
  ['multicast', 'ff00::', 8, 'ipv6'],
]
const kindLists = KINDS.map(([kind, address, prefix, family]) => {
  const list = new BlockList()
  list.addSubnet(address, prefix, family)
  return { kind, list }
})

/** addressKind says what an address is: loopback, link-local, private, ..., or public. */
export function addressKind(address: string): string {
  const family = familyOf(address)
  return kindLists.find(({ list }) => list.check(address, family))?.kind ?? 'public'
}

/** UpstreamPolicyOptions: the lab as learnt at start, the opt-in list, and how names resolve. */
export interface UpstreamPolicyOptions {
  readonly topology: LabTopology
  readonly allowed?: readonly AllowEntry[]
  readonly labNames?: readonly string[]
  readonly lookup?: Lookup
  readonly lookupTimeoutMs?: number
}

const defaultLookup: Lookup = async (host) =>
  (await dnsLookup(host, { all: true, order: 'verbatim' })).map((a) => a.address)

const notAllowed = (where: string, reason: string) =>
  new FaultsError(
    'UPSTREAM_NOT_ALLOWED',
    `${where} is not a container of the lab: ${reason}; FAULTS_ALLOWED_UPSTREAMS can allow it`,
  )

export class UpstreamPolicy {
  readonly #lab = new BlockList()
  readonly #gateways = new BlockList()
  readonly #edges = new BlockList()
  readonly #allowedNets = new BlockList()
  readonly #allowedNames: ReadonlySet<string>
  readonly #labNames: ReadonlySet<string>
  readonly #labText: string
  readonly #opts: UpstreamPolicyOptions

  constructor(opts: UpstreamPolicyOptions) {
    this.#opts = opts
    for (const s of opts.topology.networks) {
      this.#lab.addSubnet(s.address, s.prefix, s.family)
      if (s.family === 'ipv4' && s.prefix <= 30) {
        this.#edges.addAddress(s.address, 'ipv4')
        this.#edges.addAddress(broadcastOf(s), 'ipv4')
      }
    }
    for (const g of opts.topology.gateways) this.#gateways.addAddress(g, familyOf(g))
    const names = new Set<string>()
    for (const e of opts.allowed ?? []) {
      if ('name' in e) names.add(e.name)
      else this.#allowedNets.addSubnet(e.subnet.address, e.subnet.prefix, e.subnet.family)
    }
    this.#allowedNames = names
    this.#labNames = new Set((opts.labNames ?? LAB_SERVICE_NAMES).map(normalize))
    const nets = opts.topology.networks.map(formatSubnet)
    this.#labText = nets.length === 0 ? 'the lab network (none found)' : `the lab network ${nets.join(', ')}`
  }

  /** widened is true when FAULTS_ALLOWED_UPSTREAMS lists anything (start logs a warning). */
  get widened(): boolean {
    return (this.#opts.allowed ?? []).length > 0
  }

  /** describe is what the start log shows. */
  describe(): { labNetworks: string[]; gateways: readonly string[]; allowed: string[] } {
    return {
      labNetworks: this.#opts.topology.networks.map(formatSubnet),
      gateways: this.#opts.topology.gateways,
      allowed: (this.#opts.allowed ?? []).map(formatAllowEntry),
    }
  }

  /** check resolves `upstream` (never connecting) and throws UPSTREAM_NOT_ALLOWED naming it if refused. */
  async check(upstream: HostPort, field = 'upstream'): Promise<void> {
    const where = `${field} ${formatHostPort(upstream)}`
    const { host } = upstream
    if (isIP(host) !== 0) {
      const reason = this.#refusal(host)
      if (reason) throw notAllowed(where, `${host} ${reason}`)
      return
    }
    if (this.#allowedNames.has(normalize(host))) return
    const answer = await this.#lookup(host)
    if ('error' in answer) {
      if (this.#labNames.has(normalize(host))) return // a service of the lab that is not up yet
      throw notAllowed(
        where,
        `${host} does not resolve (${answer.error}) and is not a service of the lab (${[...this.#labNames].join(', ')})`,
      )
    }
    for (const address of answer.addresses) {
      const reason = this.#refusal(address)
      if (reason) throw notAllowed(where, `${host} resolves to ${address}, which ${reason}`)
    }
  }

  /**
   * resolve gives the address to connect to for `host` (an allowed one), or throws:
   * UPSTREAM_NOT_ALLOWED when none is, a LabError with the resolver's code when it fails.
   */
  async resolve(host: string): Promise<string> {
    if (isIP(host) !== 0) {
      const reason = this.#refusal(host)
      if (reason) throw notAllowed(`upstream ${host}`, `${host} ${reason}`)
      return host
    }
    const answer = await this.#lookup(host)
    if ('error' in answer)
      throw new LabError('UPSTREAM_UNRESOLVED', `upstream ${host} does not resolve (${answer.error})`)
    if (this.#allowedNames.has(normalize(host))) return answer.addresses[0] as string
    const ok = answer.addresses.find((a) => this.#refusal(a) === undefined)
    if (ok === undefined)
      throw notAllowed(
        `upstream ${host}`,
        `${host} resolves to ${answer.addresses.join(', ')}, outside ${this.#labText}`,
      )
    return ok
  }

  /** why `address` is refused (a phrase following it), or undefined when it is allowed */
  #refusal(address: string): string | undefined {
    const family = familyOf(address)
    if (this.#allowedNets.check(address, family)) return undefined
    if (this.#gateways.check(address, family))
      return "is the lab network's gateway (the host), not a container"
    if (this.#edges.check(address, family)) return 'is the network or broadcast address of the lab network'
    if (this.#lab.check(address, family)) return undefined
    return `is outside ${this.#labText} (${addressKind(address)})`
  }

  async #lookup(host: string): Promise<{ addresses: string[] } | { error: string }> {
    const lookup = this.#opts.lookup ?? defaultLookup
    const timeoutMs = this.#opts.lookupTimeoutMs ?? LOOKUP_TIMEOUT_MS
    let timer: NodeJS.Timeout | undefined
    const timedOut = new Promise<{ error: string }>((resolve) => {
      timer = setTimeout(() => resolve({ error: `no answer within ${timeoutMs} ms` }), timeoutMs)
    })
    const answered = lookup(host).then(
      (addresses) => (addresses.length > 0 ? { addresses } : { error: 'no address' }),
      (err: unknown) => ({ error: String((err as NodeJS.ErrnoException).code ?? err) }),
    )
    try {
      return await Promise.race([answered, timedOut])
    } finally {
      clearTimeout(timer)
    }
  }
}
