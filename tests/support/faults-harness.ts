/**
 * An in-process faults service for unit tests: the real registry and API (driven with
 * inject()), a seeded RNG, and loopback upstreams: a TCP echo server and a UDP echo server.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram'
import { once } from 'node:events'
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { onTestFinished } from 'vitest'
import { createLogger } from '../../lib/log.ts'
import { buildApi } from '../../services/faults/api.ts'
import type { ProxyLimits } from '../../services/faults/proxy.ts'
import { ProxyRegistry, type RegistryOptions } from '../../services/faults/proxy-registry.ts'
import { testRegistryOptions } from './registry-options.ts'

export interface Harness {
  readonly api: FastifyInstance
  readonly registry: ProxyRegistry
  /** port of the loopback TCP echo upstream */
  readonly tcpEcho: number
  /** port of the loopback UDP echo upstream */
  readonly udpEcho: number
  /** JSON request through inject(); returns status and parsed body */
  call(
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    url: string,
    body?: unknown,
  ): Promise<{ status: number; body: unknown }>
  /** creates a proxy on 127.0.0.1:0 to an upstream; returns its bound port */
  proxy(name: string, protocol: 'tcp' | 'udp', upstreamPort: number): Promise<number>
}

/** startHarness builds everything; it is torn down when the current test (or hook) finishes. */
export async function startHarness(
  limits: Partial<ProxyLimits & { maxProxies: number }> = {},
  options: Partial<Omit<RegistryOptions, 'limits' | 'maxProxies'>> = {},
): Promise<Harness> {
  const { maxProxies = 8, ...proxyLimits } = limits
  const registry = new ProxyRegistry(testRegistryOptions({ maxProxies, ...options, limits: proxyLimits }))
  const api = buildApi(registry, createLogger('faults', 'silent'))
  const sockets = new Set<Socket>()
  const echo: Server = createServer({ allowHalfOpen: true }, (s) => {
    sockets.add(s)
    s.on('error', () => undefined)
    s.on('close', () => sockets.delete(s))
    s.pipe(s)
  })
  echo.listen(0, '127.0.0.1')
  await once(echo, 'listening')
  const udp: UdpSocket = createSocket('udp4')
  udp.on('message', (msg, rinfo) => udp.send(msg, rinfo.port, rinfo.address))
  udp.bind(0, '127.0.0.1')
  await once(udp, 'listening')

  const call: Harness['call'] = async (method, url, body) => {
    const res = await api.inject({ method, url, ...(body === undefined ? {} : { payload: body as object }) })
    return { status: res.statusCode, body: res.body === '' ? undefined : JSON.parse(res.body) }
  }
  const stop = async () => {
    await registry.closeAll(0)
    await api.close()
    for (const s of sockets) s.destroy()
    await new Promise<void>((r) => echo.close(() => r()))
    udp.close()
  }
  onTestFinished(stop)
  return {
    api,
    registry,
    tcpEcho: (echo.address() as AddressInfo).port,
    udpEcho: udp.address().port,
    call,
    async proxy(name, protocol, upstreamPort) {
      const r = await call('POST', '/proxies', {
        name,
        protocol,
        listen: '127.0.0.1:0',
        upstream: `127.0.0.1:${upstreamPort}`,
      })
      if (r.status !== 201) throw new Error(`proxy ${name}: ${JSON.stringify(r.body)}`)
      return Number((r.body as { listen: string }).listen.split(':')[1])
    },
  }
}
