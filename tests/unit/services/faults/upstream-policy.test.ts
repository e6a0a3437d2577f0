/**
 * The upstream policy: which upstreams a proxy may reach. The lab is 172.18.0.0/16 with the
 * host at 172.18.0.1 (a Docker bridge as the faults container sees it), names resolve
 * through a table instead of DNS, so no test sends a query or a packet anywhere.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../../../lib/errors.ts'
import { loadFaultsConfig } from '../../../../services/faults/config.ts'
import type { FaultsError } from '../../../../services/faults/errors.ts'
import {
  addressKind,
  formatAllowEntry,
  LAB_SERVICE_NAMES,
  type Lookup,
  parseAllowEntry,
  UpstreamPolicy,
} from '../../../../services/faults/upstream-policy.ts'

const dns: Record<string, string[]> = {
  tcp: ['172.18.0.2'],
  udp: ['172.18.0.3'],
  http: ['172.18.0.4'],
  faults: ['172.18.0.6'],
  'netlab-tcp-1': ['172.18.0.2'],
  localhost: ['127.0.0.1', '::1'],
  'metadata.example': ['169.254.169.254'],
  'evil.example': ['93.184.215.14'],
  'half.example': ['172.18.0.9', '10.0.0.1'],
}
const lookup: Lookup = async (host) => {
  const found = dns[host]
  if (found) return found
  throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' })
}
const lab = {
  networks: [{ address: '172.18.0.0', prefix: 16, family: 'ipv4' as const }],
  gateways: ['172.18.0.1'],
}
const policy = new UpstreamPolicy({ topology: lab, lookup })

async function refusal(p: UpstreamPolicy, host: string, port = 80): Promise<string | undefined> {
  try {
    await p.check({ host, port })
    return undefined
  } catch (err) {
    expect((err as FaultsError).code).toBe('UPSTREAM_NOT_ALLOWED')
    expect((err as FaultsError).status).toBe(400)
    return (err as Error).message
  }
}

const outside = (what: string) =>
  `${what}; FAULTS_ALLOWED_UPSTREAMS can allow it`.replace('LAB', 'the lab network 172.18.0.0/16')

describe('UpstreamPolicy.check', () => {
  it.each([
    ['link-local (cloud metadata)', '169.254.169.254', '169.254.169.254 is outside LAB (link-local)'],
    ['loopback', '127.0.0.1', '127.0.0.1 is outside LAB (loopback)'],
    ['public', '8.8.8.8', '8.8.8.8 is outside LAB (public)'],
    ['private outside the lab', '10.1.2.3', '10.1.2.3 is outside LAB (private)'],
    ['another private range', '192.168.1.10', '192.168.1.10 is outside LAB (private)'],
    ['unspecified', '0.0.0.0', '0.0.0.0 is outside LAB (unspecified)'],
    ['IPv6 loopback', '::1', '::1 is outside LAB (loopback)'],
    ['IPv6 public', '2001:db8::1', '2001:db8::1 is outside LAB (public)'],
    ['IPv6 unique local', 'fd00::1', 'fd00::1 is outside LAB (unique local)'],
    ['IPv6 link-local', 'fe80::1', 'fe80::1 is outside LAB (link-local)'],
    ['IPv4-mapped IPv6', '::ffff:169.254.169.254', '::ffff:169.254.169.254 is outside LAB (link-local)'],
    [
      'the gateway (the host)',
      '172.18.0.1',
      "172.18.0.1 is the lab network's gateway (the host), not a container",
    ],
    [
      'the network address',
      '172.18.0.0',
      '172.18.0.0 is the network or broadcast address of the lab network',
    ],
    [
      'the broadcast address',
      '172.18.255.255',
      '172.18.255.255 is the network or broadcast address of the lab network',
    ],
  ])('refuses %s: %s', async (_kind, host, reason) => {
    const where = host.includes(':') ? `[${host}]:80` : `${host}:80`
    expect(await refusal(policy, host)).toBe(
      outside(`upstream ${where} is not a container of the lab: ${reason}`),
    )
  })

  it.each([
    ['localhost', '127.0.0.1 (loopback)', 'localhost resolves to 127.0.0.1, which is outside LAB (loopback)'],
    [
      'metadata.example',
      '',
      'metadata.example resolves to 169.254.169.254, which is outside LAB (link-local)',
    ],
    ['evil.example', '', 'evil.example resolves to 93.184.215.14, which is outside LAB (public)'],
    ['half.example', '', 'half.example resolves to 10.0.0.1, which is outside LAB (private)'],
  ])('refuses the name %s, which resolves outside', async (host, _note, reason) => {
    expect(await refusal(policy, host)).toBe(
      outside(`upstream ${host}:80 is not a container of the lab: ${reason}`),
    )
  })

  it('refuses a name that resolves to nothing and is not a service of the lab', async () => {
    expect(await refusal(policy, 'nosuch')).toBe(
      'upstream nosuch:80 is not a container of the lab: nosuch does not resolve (ENOTFOUND) and is not a service of the lab (tcp, udp, http, rpc, faults); FAULTS_ALLOWED_UPSTREAMS can allow it',
    )
  })

  it('names the field, as populate does: [3].upstream', async () => {
    await expect(policy.check({ host: '127.0.0.1', port: 1 }, '[3].upstream')).rejects.toThrow(
      /^\[3\]\.upstream 127\.0\.0\.1:1 is not a container of the lab/,
    )
  })

  it.each([
    ['every lab service by name', ['tcp', 'udp', 'http', 'faults']],
    ['a lab service not running yet (no DNS answer)', ['rpc']],
    ['a container name resolving inside', ['netlab-tcp-1']],
    ['addresses inside the subnet', ['172.18.0.2', '172.18.200.7', '::ffff:172.18.0.3']],
  ])('accepts %s', async (_kind, hosts) => {
    for (const host of hosts) expect(await refusal(policy, host)).toBeUndefined()
  })

  it('answers "no answer" for a resolver that hangs, within its timeout', async () => {
    const hanging = new UpstreamPolicy({
      topology: lab,
      lookup: () => new Promise(() => undefined),
      lookupTimeoutMs: 50,
    })
    expect(await refusal(hanging, 'slow.example')).toMatch(
      /slow\.example does not resolve \(no answer within 50 ms\)/,
    )
    expect(await refusal(hanging, 'tcp')).toBeUndefined() // a lab service, maybe starting
  })

  it('FAULTS_ALLOWED_UPSTREAMS widens the list by name, address and CIDR', async () => {
    const allowed = ['evil.example', '10.0.0.0/8', '::1']
      .map((t) => parseAllowEntry(t))
      .filter((e) => e !== undefined)
    const wide = new UpstreamPolicy({ topology: lab, lookup, allowed })
    expect(wide.widened).toBe(true)
    expect(policy.widened).toBe(false)
    for (const host of ['evil.example', 'EVIL.example.', '10.200.0.1', '::1', 'half.example', 'tcp'])
      expect(await refusal(wide, host)).toBeUndefined()
    expect(await refusal(wide, '127.0.0.1')).toMatch(/127\.0\.0\.1 is outside/)
    expect(wide.describe()).toEqual({
      labNetworks: ['172.18.0.0/16'],
      gateways: ['172.18.0.1'],
      allowed: ['evil.example', '10.0.0.0/8', '::1/128'],
    })
  })
})

describe('UpstreamPolicy.resolve (each connection)', () => {
  it('gives an allowed address, and refuses once the name resolves outside', async () => {
    const table: Record<string, string[]> = { svc: ['10.9.9.9', '172.18.0.7'] }
    const p = new UpstreamPolicy({ topology: lab, lookup: async (h) => table[h] ?? [] })
    expect(await p.resolve('svc')).toBe('172.18.0.7')
    expect(await p.resolve('172.18.0.8')).toBe('172.18.0.8')
    table.svc = ['127.0.0.1']
    await expect(p.resolve('svc')).rejects.toMatchObject({ code: 'UPSTREAM_NOT_ALLOWED' })
    await expect(p.resolve('169.254.169.254')).rejects.toMatchObject({ code: 'UPSTREAM_NOT_ALLOWED' })
    await expect(p.resolve('gone')).rejects.toMatchObject({ code: 'UPSTREAM_UNRESOLVED' })
  })
})

describe('FAULTS_ALLOWED_UPSTREAMS entries', () => {
  it.each([
    ['example.test', 'example.test'],
    ['10.0.0.0/8', '10.0.0.0/8'],
    ['10.1.2.3/8', '10.0.0.0/8'],
    ['192.0.2.7', '192.0.2.7/32'],
    ['fd00::/8', 'fd00::/8'],
    ['2001:db8::1', '2001:db8::1/128'],
  ])('reads %s as %s', (text, shown) => {
    const entry = parseAllowEntry(text)
    expect(entry && formatAllowEntry(entry)).toBe(shown)
  })

  it.each([
    '10.0.0.0/33',
    '::1/129',
    '10.0.0.0/8/8',
    'bad host',
    '-x',
    '1.2.3.4/x',
    'a..b',
  ])('refuses %s', (text) => {
    expect(parseAllowEntry(text)).toBeUndefined()
  })

  it('a bad list is a configuration error naming the variable (exit 2)', () => {
    expect(() => loadFaultsConfig({ FAULTS_ALLOWED_UPSTREAMS: 'ok.test, 10.0.0.0/33' })).toThrow(ConfigError)
    expect(() => loadFaultsConfig({ FAULTS_ALLOWED_UPSTREAMS: 'ok.test, 10.0.0.0/33' })).toThrow(
      /FAULTS_ALLOWED_UPSTREAMS="ok\.test, 10\.0\.0\.0\/33": expected comma-separated host names/,
    )
    expect(
      loadFaultsConfig({ FAULTS_ALLOWED_UPSTREAMS: ' a.test , 10.0.0.0/8 ' }).allowedUpstreams,
    ).toHaveLength(2)
    expect(loadFaultsConfig({}).allowedUpstreams).toEqual([])
  })
})

describe('addressKind and the lab names', () => {
  it('names special ranges', () => {
    expect(['100.64.1.1', '224.0.0.1', '240.0.0.1', 'ff02::1', '1.1.1.1'].map(addressKind)).toEqual([
      'shared address space',
      'multicast',
      'reserved',
      'multicast',
      'public',
    ])
  })

  it('LAB_SERVICE_NAMES are services of docker-compose.yml', () => {
    const compose = readFileSync(
      join(import.meta.dirname, '..', '..', '..', '..', 'docker-compose.yml'),
      'utf8',
    )
    const services = [...compose.matchAll(/^ {2}([a-z][a-z0-9-]*):\s*$/gm)].map((m) => m[1])
    for (const name of LAB_SERVICE_NAMES) expect(services).toContain(name)
  })
})
