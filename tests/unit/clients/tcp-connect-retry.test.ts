/**
 * Target.retryForMs (NETLAB_CONNECT_RETRY_MS in the CLI): a connect to a service that is not
 * there yet is retried with backoff and succeeds once it listens; without it, one attempt.
 */
import { once } from 'node:events'
import { createServer, type Server } from 'node:net'
import { setTimeout as delay } from 'node:timers/promises'
import { afterEach, describe, expect, it } from 'vitest'
import { exchange, open } from '../../../clients/cli/net/tcp-client.ts'
import { defaultTargets } from '../../../clients/cli/targets.ts'

const servers: Server[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))))
})

/** a port nothing listens on (bound, then released) */
async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  await new Promise((r) => server.close(r))
  return port
}

function upperServer(): Server {
  const server = createServer((s) => s.on('data', (d: Buffer) => s.end(d.toString().toUpperCase())))
  servers.push(server)
  return server
}

describe('open with retryForMs', () => {
  it('fails at once with ECONNREFUSED without it', async () => {
    const port = await freePort()
    const started = performance.now()
    await expect(open({ host: '127.0.0.1', port }, 2000)).rejects.toMatchObject({
      code: 'CONNECT_FAILED',
      message: `cannot connect to 127.0.0.1:${port}: ECONNREFUSED`,
    })
    expect(performance.now() - started).toBeLessThan(500)
  })

  it('waits for a service that starts listening 400 ms later, then exchanges', async () => {
    const port = await freePort()
    const late = delay(400).then(() => upperServer().listen(port, '127.0.0.1'))
    const reply = await exchange({ host: '127.0.0.1', port, retryForMs: 5000 }, Buffer.from('hi'), 2000)
    await late
    expect(reply.toString()).toBe('HI')
  })

  it('gives up after retryForMs, naming the attempts', async () => {
    const port = await freePort()
    const started = performance.now()
    const err = await open({ host: '127.0.0.1', port, retryForMs: 600 }, 2000).catch((e: unknown) => e)
    expect(performance.now() - started).toBeLessThan(1500)
    expect(err).toMatchObject({ code: 'CONNECT_FAILED' })
    expect((err as Error).message).toMatch(
      new RegExp(
        `^cannot connect to 127\\.0\\.0\\.1:${port}: ECONNREFUSED \\((\\d+) attempts in \\d+ ms\\)$`,
      ),
    )
    expect(Number(/\((\d+) attempts/.exec((err as Error).message)?.[1])).toBeGreaterThanOrEqual(3)
  })

  it('reads NETLAB_CONNECT_RETRY_MS for the tcp and rpc targets; anything but 1..600000 ms is none', () => {
    expect(defaultTargets({ NETLAB_CONNECT_RETRY_MS: '15000' }).tcp.connectRetryMs).toBe(15000)
    expect(defaultTargets({ NETLAB_CONNECT_RETRY_MS: '15000' }).rpc.connectRetryMs).toBe(15000)
    expect(defaultTargets({ NETLAB_CONNECT_RETRY_MS: 'soon' }).tcp.connectRetryMs).toBeUndefined()
    expect(defaultTargets({}).tcp.connectRetryMs).toBeUndefined()
  })
})
