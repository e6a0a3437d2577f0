/**
 * JSON-RPC over TCP holds a bounded amount per connection, whatever the client does:
 * at most `maxInFlight` requests run at once (the rest wait, and reading pauses), bytes read
 * are reserved from the memory budget (no room: reading pauses until there is), a client that
 * never reads stops being read, and a request that fails in an unexpected way is answered
 * -32603 while the connection carries on. Each test serves one real loopback socket.
 */
import { once } from 'node:events'
import { connect, createServer, type Server, type Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, describe, expect, it } from 'vitest'
import { createLogger } from '../../../../lib/log.ts'
import { MemoryBudget } from '../../../../lib/memory-budget.ts'
import { DEFAULT_JSONRPC_LIMITS } from '../../../../protocols/jsonrpc/codec.ts'
import type { RpcValue } from '../../../../protocols/value.ts'
import { arithMethods } from '../../../../services/rpc/methods/arith.ts'
import { Registry } from '../../../../services/rpc/methods/registry.ts'
import { serveJsonRpcConnection } from '../../../../services/rpc/transports/jsonrpc-tcp.ts'
import { connectClient } from '../../../support/test-client.ts'

const log = createLogger('rpc', 'silent')

/** A registry with echo/add, plus `wait` (runs until released) and two that fail unexpectedly. */
function testRegistry() {
  const gate = { running: 0, most: 0, release: [] as (() => void)[] }
  const registry = new Registry().register(
    ...arithMethods,
    {
      name: 'wait',
      params: ['n'],
      doc: 'resolves with n once released',
      call: ([n]) => {
        gate.running++
        gate.most = Math.max(gate.most, gate.running)
        return new Promise<RpcValue>((resolve) =>
          gate.release.push(() => {
            gate.running--
            resolve(n ?? null)
          }),
        )
      },
    },
    {
      name: 'boom',
      params: [],
      doc: 'a bug',
      call: () => {
        throw new Error('a bug')
      },
    },
    {
      name: 'cyclic',
      params: [],
      doc: 'a value no encoder can write',
      call: () => {
        const a: RpcValue[] = []
        a.push(a)
        return a
      },
    },
  )
  return { registry, gate }
}

let server: Server | undefined
afterEach(() => {
  server?.close()
  server = undefined
})

/** serve listens on port 0 and serves each connection with the given limits. */
async function serve(registry: Registry, opts: { maxInFlight: number; budget: MemoryBudget }) {
  const sockets: Socket[] = []
  server = createServer({ allowHalfOpen: true }, (socket) => {
    sockets.push(socket)
    serveJsonRpcConnection(
      socket,
      { registry, limits: DEFAULT_JSONRPC_LIMITS, maxReplyBytes: 16 << 20, log },
      { maxLineBytes: 1 << 20, idleTimeoutMs: 10_000, ...opts },
      log,
    )
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  return { port: typeof address === 'object' && address ? address.port : 0, sockets }
}

const call = (method: string, params: RpcValue[], id: number) =>
  `${JSON.stringify({ jsonrpc: '2.0', method, params, id }, (_k, v) => (typeof v === 'bigint' ? Number(v) : v))}\n`

async function until(done: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = performance.now() + timeoutMs
  while (!done()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(5)
  }
}

describe('JSON-RPC over TCP: bounded work per connection', () => {
  it('runs at most maxInFlight requests at once, pauses reading beyond, and answers all in order', async () => {
    const { registry, gate } = testRegistry()
    const budget = MemoryBudget.create(16 << 20)
    const { port, sockets } = await serve(registry, { maxInFlight: 4, budget })
    const client = await connectClient(port)
    client.write(Array.from({ length: 50 }, (_, i) => call('wait', [i], i)).join(''))
    await until(() => gate.running === 4, 'four calls in flight')
    await sleep(50)
    expect(gate.running).toBe(4)
    expect(sockets[0]?.isPaused()).toBe(true)
    // From here on, release whatever is waiting every few milliseconds.
    const releaser = setInterval(() => {
      for (const release of gate.release.splice(0)) release()
    }, 5)
    const replies = await client.readLines(50).finally(() => clearInterval(releaser))
    expect(gate.most).toBe(4)
    expect(replies).toBe(
      Array.from({ length: 50 }, (_, i) => `{"jsonrpc":"2.0","result":${i},"id":${i}}\n`).join(''),
    )
    await until(() => budget.usedBytes === 0, 'the budget to be given back')
  })

  it('answers 30 000 pipelined calls in one write in order, those answered at once and those later alike', async () => {
    const { registry, gate } = testRegistry()
    const budget = MemoryBudget.create(64 << 20)
    const { port } = await serve(registry, { maxInFlight: 16, budget })
    const client = await connectClient(port)
    const n = 30_000
    // every 1000th call waits for its release; the rest answer at once
    const lines = Array.from({ length: n }, (_, i) =>
      i % 1000 === 999 ? call('wait', [i], i) : call('add', [i, 1], i),
    )
    client.write(lines.join(''))
    const releaser = setInterval(() => {
      for (const release of gate.release.splice(0)) release()
    }, 5)
    const replies = await client.readLines(n, 20_000).finally(() => clearInterval(releaser))
    const want = Array.from(
      { length: n },
      (_, i) => `{"jsonrpc":"2.0","result":${i % 1000 === 999 ? i : i + 1},"id":${i}}\n`,
    )
    expect(replies).toBe(want.join(''))
    await until(() => budget.usedBytes === 0, 'the budget to be given back')
  })

  it('answers a request that fails unexpectedly with -32603 and keeps the connection', async () => {
    const { registry } = testRegistry()
    const { port } = await serve(registry, { maxInFlight: 4, budget: MemoryBudget.create(16 << 20) })
    const client = await connectClient(port)
    client.write(call('boom', [], 1) + call('cyclic', [], 2) + call('add', [2, 3], 3))
    expect(await client.readLines(3)).toBe(
      [
        '{"jsonrpc":"2.0","error":{"code":-32603,"message":"Internal error"},"id":1}',
        '{"jsonrpc":"2.0","error":{"code":-32603,"message":"Internal error"},"id":2}',
        '{"jsonrpc":"2.0","result":5,"id":3}',
        '',
      ].join('\n'),
    )
  })

  it('pauses reading while the budget has no room for what arrives, then answers everything', async () => {
    const { registry } = testRegistry()
    const budget = MemoryBudget.create(1 << 20)
    const { port, sockets } = await serve(registry, { maxInFlight: 4, budget })
    const other = budget.hold(1_000_000) // someone else holds nearly all of it
    const client = await connectClient(port)
    const text = 'x'.repeat(50_000)
    client.write(Array.from({ length: 8 }, (_, i) => call('echo', [text], i)).join(''))
    await until(() => sockets[0]?.isPaused() === true, 'reading to pause')
    await sleep(100)
    expect(budget.usedBytes).toBeLessThanOrEqual(budget.limitBytes)
    other?.release()
    const replies = await client.readLines(8)
    expect(replies.split('\n').filter(Boolean)).toHaveLength(8)
    expect(replies).toContain(`{"jsonrpc":"2.0","result":"${text}","id":7}`)
    expect(budget.snapshot().peakBytes).toBeLessThanOrEqual(budget.limitBytes)
    await until(() => budget.usedBytes === 0, 'the budget to be given back')
  })

  it('stops reading a client that pipelines without reading its replies, within the budget', async () => {
    const { registry } = testRegistry()
    const budget = MemoryBudget.create(4 << 20)
    const { port, sockets } = await serve(registry, { maxInFlight: 16, budget })
    const socket = connect({ host: '127.0.0.1', port })
    await once(socket, 'connect')
    socket.pause() // never read, for now
    const line = call('echo', ['y'.repeat(64 * 1024)], 1)
    let sent = 0
    // Write until the kernel's buffers on both sides are full and nothing drains for 300 ms
    // (at most 64 MiB).
    while (sent < 1024) {
      sent++
      if (!socket.write(line)) {
        const drained = await Promise.race([once(socket, 'drain').then(() => true), sleep(300, false)])
        if (!drained) break
      }
    }
    expect(sent).toBeLessThan(1024)
    await until(() => sockets[0]?.isPaused() === true, 'the server to stop reading')
    expect(budget.snapshot().peakBytes).toBeLessThanOrEqual(budget.limitBytes)
    // Now read: every request written is answered.
    let lines = 0
    let tail = ''
    socket.on('data', (chunk: Buffer) => {
      const text = tail + chunk.toString('latin1')
      const parts = text.split('\n')
      tail = parts.pop() ?? ''
      lines += parts.length
    })
    socket.resume()
    await until(() => lines === sent, `${sent} replies`, 10_000)
    socket.destroy()
    await until(() => budget.usedBytes === 0, 'the budget to be given back')
  })
})
