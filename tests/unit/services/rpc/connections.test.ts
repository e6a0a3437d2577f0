/** The RPC service's TCP ports go through lib/net/connections.ts: the cap, one closed line, drain. */
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
  const closed = once(socket, 'close')
  await once(socket, 'connect')
  return { socket, got: () => got, closed }
}

const until = async (check: () => boolean): Promise<void> => {
  for (let i = 0; i < 300 && !check(); i++) await new Promise((r) => setTimeout(r, 10))
  expect(check()).toBe(true)
}

describe('RPC connections', () => {
  it('closes a connection past RPC_MAX_CONNECTIONS at once, logs the limit, and serves the others', async () => {
    const { svc, lines } = await start({ RPC_MAX_CONNECTIONS: '2' })
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
    const { svc, lines } = await start({})
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
})
