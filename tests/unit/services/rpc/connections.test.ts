/** The RPC service's ports go through lib/net (connections.ts, http-connections.ts): the cap, one closed line, drain. */
import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { afterEach, describe, expect, it } from 'vitest'
import { createLogger } from '../../../../lib/log.ts'
import { loadRpcConfig } from '../../../../services/rpc/config.ts'
import { type RpcService, startRpcService } from '../../../../services/rpc/server.ts'

interface Line {
  readonly level: string
  readonly msg: string
  readonly [k: string]: unknown
}

let svc: RpcService | undefined
let dir: string | undefined
const sockets: Socket[] = []
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy()
  await svc?.close()
  svc = undefined
  if (dir) await rm(dir, { recursive: true, force: true })
})

async function start(env: Record<string, string>): Promise<{ svc: RpcService; lines: Line[] }> {
  dir = await mkdtemp(join(tmpdir(), 'netlab-rpc-'))
  const lines: Line[] = []
  const dest = new Writable({
    write(chunk, _enc, cb) {
      lines.push(JSON.parse(String(chunk)) as Line)
      cb()
    },
  })
  const config = loadRpcConfig({
    RPC_MODE: 'development',
    RPC_DATA_DIR: dir,
    RPC_HOST: '127.0.0.1',
    RPC_HTTP_PORT: '0',
    RPC_JSONRPC_PORT: '0',
    RPC_MPCONN_ECHO_PORT: '0',
    RPC_MPCONN_RPC_PORT: '0',
    ...env,
  })
  svc = await startRpcService(config, createLogger('rpc', 'info', dest))
  return { svc, lines }
}

/** open connects and collects what the server sends until the socket closes. */
async function open(port: number): Promise<{ socket: Socket; got: () => string; closed: Promise<unknown> }> {
  const socket = connect(port, '127.0.0.1')
  sockets.push(socket)
  let got = ''
  socket.on('data', (d) => {
    got += String(d)
  })
  socket.on('error', () => undefined)
  const closed = new Promise((resolve) => socket.once('close', resolve))
  await once(socket, 'connect')
  return { socket, got: () => got, closed }
}

const until = async (check: () => boolean): Promise<void> => {
  for (let i = 0; i < 300 && !check(); i++) await new Promise((r) => setTimeout(r, 10))
  expect(check()).toBe(true)
}

describe('RPC connections', () => {
  it('closes a connection past RPC_MAX_CONNECTIONS at once, logs the limit, and serves the others', async () => {
    const { svc, lines } = await start({ RPC_WORKERS: '0', RPC_MAX_CONNECTIONS: '2' })
    const a = await open(svc.ports.jsonrpc)
    const b = await open(svc.ports.jsonrpc)
    a.socket.write('{"jsonrpc":"2.0","method":"add","params":[2,3],"id":1}\n')
    await until(() => a.got() !== '')
    const c = await open(svc.ports.jsonrpc)
    await c.closed
    expect(c.got()).toBe('')
    expect(lines.filter((l) => l.msg === 'limit reached')).toMatchObject([
      { level: 'warn', code: 'BUSY', proto: 'jsonrpc', maxConnections: 2 },
    ])
    // the cap is per port: the mp ports still admit
    const mp = await open(svc.ports.mpEcho)
    b.socket.write('{"jsonrpc":"2.0","method":"sub","params":[2,3],"id":2}\n')
    await until(() => b.got() === '{"jsonrpc":"2.0","result":-1,"id":2}\n')
    mp.socket.destroy()
    a.socket.end()
    await a.closed
    await until(() => lines.some((l) => l.msg === 'connection closed' && l.proto === 'jsonrpc'))
    expect(lines.filter((l) => l.msg === 'connection closed' && l.proto === 'jsonrpc')).toMatchObject([
      { level: 'info', calls: 1 },
    ])
  })

  it('one connection closed line per connection, and drain on close counts the open ones', async () => {
    const { svc, lines } = await start({ RPC_WORKERS: '0' })
    const a = await open(svc.ports.jsonrpc)
    a.socket.write('{"jsonrpc":"2.0","method":"set","params":["k",1],"id":1}\n')
    await until(() => a.got() !== '')
    const m = await open(svc.ports.mpRpc)
    await until(() => m.got() !== '') // the authkey challenge: the server has it
    const summary = await svc.close()
    await a.closed
    await m.closed
    expect(summary).toEqual({ drained: 2, destroyed: 0 })
    const closed = lines.filter((l) => l.msg === 'connection closed')
    expect(closed.map((l) => l.proto).sort()).toEqual(['jsonrpc', 'mpRpc'])
    expect(closed.every((l) => l.level === 'info')).toBe(true)
  })

  it('HTTP port: past RPC_MAX_CONNECTIONS a 503 BUSY body; a kept-alive connection closes once its reply is sent in a drain', async () => {
    const { svc, lines } = await start({
      RPC_WORKERS: '0',
      RPC_MAX_CONNECTIONS: '1',
      SHUTDOWN_GRACE_MS: '5000',
    })
    const body = '{"jsonrpc":"2.0","method":"add","params":[2,3],"id":1}'
    const a = await open(svc.ports.http)
    a.socket.write(
      `POST /jsonrpc HTTP/1.1\r\nhost: t\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n`,
    )
    const b = await open(svc.ports.http)
    await b.closed
    expect(b.got()).toMatch(/^HTTP\/1\.1 503 Service Unavailable\r\n/)
    expect(b.got()).toContain('retry-after: 1')
    expect(JSON.parse(b.got().split('\r\n\r\n')[1] as string)).toEqual({
      error: 'server at its limit of 1 connections',
      status: 503,
      code: 'BUSY',
    })
    // a's request is in flight (its body not sent yet) when the drain starts
    const started = performance.now()
    const closing = svc.close()
    a.socket.write(body)
    await a.closed
    expect(a.got()).toMatch(/^HTTP\/1\.1 200 /)
    expect(a.got()).toContain('{"jsonrpc":"2.0","result":5,"id":1}')
    expect(await closing).toEqual({ drained: 1, destroyed: 0 })
    expect(performance.now() - started).toBeLessThan(2000) // not the keep-alive timeout, nor the grace period
    expect(lines.filter((l) => l.msg === 'connection closed' && l.proto === 'http')).toMatchObject([
      { level: 'info', requests: 1 },
    ])
  })

  it('with worker threads: the cap holds across them, and the store is the main thread’s', async () => {
    const { svc } = await start({ RPC_WORKERS: '2', RPC_MAX_CONNECTIONS: '3' })
    expect(svc.workers).toBe(2)
    const conns = [
      await open(svc.ports.jsonrpc),
      await open(svc.ports.jsonrpc),
      await open(svc.ports.jsonrpc),
    ]
    const call = async (c: (typeof conns)[number], line: string, n: number): Promise<string> => {
      c.socket.write(`${line}\n`)
      await until(() => c.got().split('\n').length > n)
      return c.got().split('\n')[n - 1] as string
    }
    const [a, b, c] = conns as [(typeof conns)[number], (typeof conns)[number], (typeof conns)[number]]
    // each is served (so admitted) before the fourth comes
    for (const [i, conn] of [a, b, c].entries())
      expect(await call(conn, `{"jsonrpc":"2.0","method":"add","params":[${i},3],"id":0}`, 1)).toBe(
        `{"jsonrpc":"2.0","result":${i + 3},"id":0}`,
      )
    // whichever threads took the three connections, a fourth is refused
    const extra = await open(svc.ports.jsonrpc)
    await extra.closed
    expect(extra.got()).toBe('')
    expect(await call(a, '{"jsonrpc":"2.0","method":"set","params":["k",{"a":[1,2.5]}],"id":1}', 2)).toBe(
      '{"jsonrpc":"2.0","result":null,"id":1}',
    )
    // the write is in the main thread's store: another connection (maybe another thread) reads it
    expect(await call(b, '{"jsonrpc":"2.0","method":"get","params":["k"],"id":2}', 2)).toBe(
      '{"jsonrpc":"2.0","result":{"a":[1,2.5]},"id":2}',
    )
    expect(await call(c, '{"jsonrpc":"2.0","method":"get","params":["nope"],"id":3}', 2)).toMatch(
      /^\{"jsonrpc":"2.0","error":\{"code":-32000,"message":"KeyError: 'nope'"/,
    )
    // a's slot comes back once its thread has seen it close
    a.socket.destroy()
    await a.closed
    let answer = ''
    for (let i = 0; i < 100 && answer === ''; i++) {
      const again = await open(svc.ports.jsonrpc)
      again.socket.write('{"jsonrpc":"2.0","method":"exists","params":["k"],"id":5}\n')
      await Promise.race([again.closed, until(() => again.got() !== '').catch(() => undefined)])
      answer = again.got()
    }
    expect(answer).toBe('{"jsonrpc":"2.0","result":true,"id":5}\n')
  })

  it('with worker threads: writes read before close are acknowledged and on disk', async () => {
    const { svc } = await start({ RPC_WORKERS: '1' })
    const a = await open(svc.ports.jsonrpc)
    const lines = Array.from(
      { length: 50 },
      (_, i) => `{"jsonrpc":"2.0","method":"set","params":["k${i}",${i}],"id":${i}}`,
    )
    a.socket.write(`${lines.join('\n')}\n`)
    await until(() => a.got() !== '')
    const summary = await svc.close()
    await a.closed
    expect(summary.destroyed).toBe(0)
    const acked = a
      .got()
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => (JSON.parse(l) as { id: number; result: null }).id)
    expect(acked.length).toBeGreaterThan(0)
    const again = await startRpcService(
      loadRpcConfig({
        RPC_MODE: 'development',
        RPC_DATA_DIR: dir as string,
        RPC_HOST: '127.0.0.1',
        RPC_WORKERS: '0',
        RPC_HTTP_PORT: '0',
        RPC_JSONRPC_PORT: '0',
        RPC_MPCONN_ECHO_PORT: '0',
        RPC_MPCONN_RPC_PORT: '0',
      }),
      createLogger('rpc', 'silent'),
    )
    try {
      for (const id of acked) expect(await again.store.get(`k${id}`)).toBe(BigInt(id))
    } finally {
      await again.close()
    }
  })
})
