/**
 * start wires the faults service: the upstream policy (the lab network, learnt from the
 * container's interfaces, and FAULTS_ALLOWED_UPSTREAMS), the memory budget, the proxy
 * registry, the proxies of FAULTS_CONFIG (as `toxiproxy -config` does at boot, each upstream
 * checked like an API call's), and the control API. close() stops the API, then
 * every proxy, giving open connections SHUTDOWN_GRACE_MS to finish.
 */
import { readFile } from 'node:fs/promises'
import { LabError } from '../../lib/errors.ts'
import type { Logger } from '../../lib/log.ts'
import { MemoryBudget } from '../../lib/memory-budget.ts'
import { trackBudget } from '../../lib/metrics/index.ts'
import type { CloseSummary, Service } from '../../lib/service.ts'
import { buildApi } from './api.ts'
import type { FaultsConfig } from './config.ts'
import { FaultsError } from './errors.ts'
import { learnLabTopology } from './lab-network.ts'
import { ProxyRegistry } from './proxy-registry.ts'
import { UpstreamPolicy } from './upstream-policy.ts'

/** loadProxiesFile reads a toxiproxy-style JSON file of proxies into `registry`. */
export async function loadProxiesFile(registry: ProxyRegistry, path: string): Promise<number> {
  let body: unknown
  try {
    body = JSON.parse(await readFile(path, 'utf8'))
  } catch (err) {
    throw new LabError('INVALID_CONFIG', `FAULTS_CONFIG=${JSON.stringify(path)}: ${(err as Error).message}`, {
      cause: err,
    })
  }
  try {
    return (await registry.populate(body)).length
  } catch (err) {
    if (!(err instanceof FaultsError)) throw err
    throw new LabError('INVALID_CONFIG', `FAULTS_CONFIG=${JSON.stringify(path)}: ${err.message}`, {
      cause: err,
    })
  }
}

/** startFaultsService starts the registry and the control API; resolves once listening. */
export async function startFaultsService(config: FaultsConfig, log: Logger): Promise<Service> {
  const policy = new UpstreamPolicy({ topology: learnLabTopology(), allowed: config.allowedUpstreams })
  if (policy.widened)
    log.warn(
      { ...policy.describe(), code: 'UPSTREAM_ALLOW_LIST' },
      'upstreams outside the lab are allowed (FAULTS_ALLOWED_UPSTREAMS): proxies can reach them',
    )
  else log.info(policy.describe(), 'upstreams limited to the lab network')
  const registry = new ProxyRegistry({
    maxProxies: config.maxProxies,
    limits: {
      maxToxics: config.maxToxics,
      maxDelayMs: config.maxDelayMs,
      maxConnections: config.maxConnections,
      maxBufferedBytes: config.maxBufferedBytes,
      maxUdpSessions: config.maxUdpSessions,
      udpSessionIdleMs: config.udpSessionIdleMs,
      maxUdpQueue: config.maxUdpQueue,
      maxUdpFanout: config.maxUdpFanout,
      tcpConnectTimeoutMs: config.tcpConnectTimeoutMs,
      tcpIdleTimeoutMs: config.tcpIdleTimeoutMs,
    },
    budget: trackBudget(MemoryBudget.create(config.memoryBudgetBytes)),
    policy,
    rng: Math.random,
    log,
  })
  if (config.configFile !== '') {
    try {
      const t0 = performance.now()
      const n = await loadProxiesFile(registry, config.configFile)
      const durationMs = Math.round(performance.now() - t0)
      log.info({ file: config.configFile, proxies: n, durationMs }, 'proxies loaded')
    } catch (err) {
      await registry.closeAll(0)
      throw err
    }
  }
  const api = buildApi(registry, log)
  await api.listen({ host: config.host, port: config.apiPort })
  const address = api.server.address()
  log.info({ address: typeof address === 'object' ? address : undefined, proto: 'api' }, 'listening')
  const ports = { api: typeof address === 'object' && address ? address.port : config.apiPort }

  let closing: Promise<CloseSummary> | undefined
  return {
    ports,
    close() {
      closing ??= (async () => {
        await api.close()
        return registry.closeAll(config.shutdownGraceMs)
      })()
      return closing
    },
  }
}
