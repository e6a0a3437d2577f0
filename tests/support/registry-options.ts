/**
 * Registry options for in-process tests: small limits, a seeded RNG, a silent log, a fresh
 * memory budget, and an upstream policy whose "lab" is loopback (127.0.0.0/8 allowed, as
 * FAULTS_ALLOWED_UPSTREAMS would), so proxies reach the tests' loopback upstreams.
 */
import { createLogger } from '../../lib/log.ts'
import { MemoryBudget } from '../../lib/memory-budget.ts'
import type { ProxyLimits } from '../../services/faults/proxy.ts'
import type { RegistryOptions } from '../../services/faults/proxy-registry.ts'
import { type Lookup, parseAllowEntry, UpstreamPolicy } from '../../services/faults/upstream-policy.ts'
import { seededRng } from './seeded-rng.ts'

/** testLimits are the limits in-process tests run with unless they say otherwise. */
export const testLimits: ProxyLimits = {
  maxToxics: 8,
  maxDelayMs: 60_000,
  maxConnections: 50,
  maxBufferedBytes: 65_536,
  maxUdpSessions: 16,
  udpSessionIdleMs: 5000,
  maxUdpQueue: 10_000,
  maxUdpFanout: 1000,
  tcpConnectTimeoutMs: 5000,
  tcpIdleTimeoutMs: 60_000,
}

/** loopbackPolicy allows 127.0.0.0/8 and nothing else; `lookup` replaces DNS when given. */
export function loopbackPolicy(lookup?: Lookup): UpstreamPolicy {
  const allowed = [parseAllowEntry('127.0.0.0/8')].filter((e) => e !== undefined)
  return new UpstreamPolicy({
    topology: { networks: [], gateways: [] },
    allowed,
    ...(lookup ? { lookup } : {}),
  })
}

/** testRegistryOptions builds RegistryOptions; `limits` override testLimits field by field. */
export function testRegistryOptions(
  overrides: Partial<Omit<RegistryOptions, 'limits'>> & { limits?: Partial<ProxyLimits> } = {},
): RegistryOptions {
  const { limits, ...rest } = overrides
  return {
    maxProxies: 8,
    budget: MemoryBudget.create(64 * 1024 * 1024),
    policy: loopbackPolicy(),
    rng: seededRng(42),
    log: createLogger('faults', 'silent'),
    ...rest,
    limits: { ...testLimits, ...limits },
  }
}
