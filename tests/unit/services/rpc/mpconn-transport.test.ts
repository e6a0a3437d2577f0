/**
 * The mp-connection ports in process (services/rpc/transports/mpconn.ts, mpconn/call.ts),
 * over loopback with our own client: each connection answers in its client's highest
 * protocol (2 before it has seen one), refusals are pickled exceptions in that protocol
 * (ValueError then close; MemoryError for the memory budget, the connection kept when the
 * frame was read), the memo bomb is refused and the service keeps serving, and the RPC
 * port runs echo/add/sub on values the registry cannot carry.
 */
import { execFile } from 'node:child_process'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { connect } from 'node:net'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { duplexPair } from 'node:stream'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLogger } from '../../../../lib/log.ts'
import { MemoryBudget } from '../../../../lib/memory-budget.ts'
import { MpConnection } from '../../../../protocols/mpconn/connection.ts'
import { clientHandshake } from '../../../../protocols/mpconn/handshake.ts'
import { parseDecimal } from '../../../../protocols/pickle/decimal.ts'
import { DEFAULT_PICKLE_LIMITS, decodePickle } from '../../../../protocols/pickle/decode.ts'
import { encodePickle, wrapBytes } from '../../../../protocols/pickle/encode.ts'
import {
  PyDict,
  PyException,
  PySet,
  PyTimedelta,
  PyTuple,
  type PyValue,
} from '../../../../protocols/pickle/value.ts'
import { loadRpcConfig } from '../../../../services/rpc/config.ts'
import { type RpcService, startRpcService } from '../../../../services/rpc/server.ts'

const KEY = Buffer.from('peekaboo')
const EXC = { ...DEFAULT_PICKLE_LIMITS, allowExceptions: true }

async function start(env: Record<string, string> = {}): Promise<{ svc: RpcService; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'netlab-mp-'))
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
  return { svc: await startRpcService(config, createLogger('rpc', 'silent')), dir }
}

async function client(port: number): Promise<MpConnection> {
  const socket = connect({ host: '127.0.0.1', port })
  await once(socket, 'connect')
  const conn = new MpConnection(socket)
  await clientHandshake(conn, KEY, { timeoutMs: 5000 })
  return conn
}

const MATRIX = join(import.meta.dirname, '..', '..', '..', 'integration', 'python', 'mp_matrix.py')
/** The oldest and newest CPython pyenv has here, when it has them (the integration test runs them all). */
const ENDS = ['2.7.18', '3.13.0']
  .map((v): [string, string] => [v, join(homedir(), '.pyenv', 'versions', v, 'bin', 'python')])
  .filter(([, exe]) => existsSync(exe))

/** protocolOf is the PROTO byte of a reply. */
const protocolOf = (b: Buffer): number => (b[0] === 0x80 ? (b[1] as number) : 0)

describe('the mp-connection ports', () => {
  let svc: RpcService
  let dir: string
  beforeAll(async () => {
    ;({ svc, dir } = await start())
  })
  afterAll(async () => {
    await svc?.close()
    await rm(dir, { recursive: true, force: true })
  })

  it.each(
    ENDS,
  )("pass seed 004's value matrix under CPython %s (tests/integration/python/mp_matrix.py)", async (_v, exe) => {
    const { stdout } = await promisify(execFile)(
      exe,
      [MATRIX, '127.0.0.1', String(svc.ports.mpEcho), String(svc.ports.mpRpc), 'peekaboo'],
      { timeout: 20_000 },
    )
    const lines = stdout.trim().split('\n')
    expect(lines.filter((l) => !l.endsWith(' ok'))).toEqual([])
    expect(lines).toHaveLength(38)
  })

  it('answer in the highest protocol the client has used, 2 before it has used one', async () => {
    const c = await client(svc.ports.mpEcho)
    const replies: number[] = []
    for (const p of [2, 3, 2, 5, 4] as const) {
      await c.send(encodePickle(new PySet([1n], false), { protocol: p }))
      const reply = await c.recv()
      expect(decodePickle(reply)).toEqual(new PySet([1n], false))
      replies.push(protocolOf(reply))
    }
    expect(replies).toEqual([2, 3, 3, 5, 5])
    await c.close()
    const fresh = await client(svc.ports.mpEcho)
    await fresh.send(Buffer.from('(I1\nI2\nl.', 'latin1')) // protocol 0: no PROTO
    expect(protocolOf(await fresh.recv())).toBe(2)
    await fresh.close()
  })

  it('refuse a global off the allow-list with a pickled ValueError in the client protocol, then close', async () => {
    const c = await client(svc.ports.mpEcho)
    await c.send(Buffer.from('\x80\x03cos\nsystem\n(Vtrue\ntR.', 'latin1'))
    const reply = await c.recv()
    expect(protocolOf(reply)).toBe(3)
    expect(decodePickle(reply, EXC)).toEqual(
      new PyException('builtins', 'ValueError', [
        'netlab refused the pickle: refused pickle opcode GLOBAL (0x63) at offset 2: it would import or call code (os.system)',
      ]),
    )
    await expect(c.recv()).rejects.toMatchObject({ code: 'CONNECTION_CLOSED' })
  })

  it('refuse the memo bomb (a 4 MiB str referenced 100 000 times) and keep serving', async () => {
    const batch = Buffer.concat([
      Buffer.from([0x28]),
      Buffer.from('h\x00'.repeat(1000), 'latin1'),
      Buffer.from([0x65]),
    ])
    // PROTO 4, BINUNICODE of 4 MiB, MEMOIZE, EMPTY_LIST, MEMOIZE, 100 x (MARK, 1000 x BINGET 0, APPENDS), STOP
    const bomb = Buffer.concat([
      Buffer.from([0x80, 0x04, 0x58, 0x00, 0x00, 0x40, 0x00]),
      Buffer.alloc(4 * 1024 * 1024, 'a'),
      Buffer.from([0x94, 0x5d, 0x94]),
      ...Array.from({ length: 100 }, () => batch),
      Buffer.from('.'),
    ])
    const c = await client(svc.ports.mpEcho)
    await c.send(bomb)
    const reply = decodePickle(await c.recv(), EXC) as PyException
    expect(reply.name).toBe('ValueError')
    expect(reply.args[0]).toBe(
      'netlab refused the pickle: pickle expands to more than 33554432 bytes, shared parts counted each time they appear',
    )
    await expect(c.recv()).rejects.toMatchObject({ code: 'CONNECTION_CLOSED' })
    const again = await client(svc.ports.mpEcho)
    await again.send(encodePickle('still here'))
    expect(decodePickle(await again.recv())).toBe('still here')
    await again.close()
  })

  it('run echo, add and sub on values only pickle carries; other methods raise TypeError', async () => {
    const c = await client(svc.ports.mpRpc)
    const rpc = async (name: string, ...args: PyValue[]): Promise<PyValue | PyException> => {
      await c.send(
        wrapBytes(encodePickle(new PyTuple([name, new PyTuple(args), new PyDict()]), { protocol: 3 }), 3),
      )
      const outer = await c.recv()
      expect(protocolOf(outer)).toBe(3)
      return decodePickle(decodePickle(outer) as Uint8Array, EXC)
    }
    const d = (s: string) => parseDecimal(s) as PyValue
    expect(await rpc('echo', new PyTuple([new PySet([1n], true), d('1.5')]))).toEqual(
      new PyTuple([new PySet([1n], true), d('1.5')]),
    )
    expect(String(await rpc('add', d('1.1'), d('2.2')))).toBe('3.3')
    expect(await rpc('add', new PyTimedelta(0, 3600, 0), new PyTimedelta(0, 1800, 0))).toEqual(
      new PyTimedelta(0, 5400, 0),
    )
    expect(await rpc('add', 2n, 3n)).toBe(5n)
    expect(await rpc('set', 'k', new PySet([1n], false))).toEqual(
      new PyException('builtins', 'TypeError', [
        'set is not supported in an RPC call (only echo, add and sub take it)',
      ]),
    )
    expect(await rpc('add', d('Inf'), d('-Inf'))).toEqual(
      new PyException('decimal', 'InvalidOperation', ['-INF + INF']),
    )
    await c.close()
  })
})

describe('the mp-connection ports under a small memory budget (1 MiB)', () => {
  let svc: RpcService
  let dir: string
  beforeAll(async () => {
    ;({ svc, dir } = await start({ RPC_MEMORY_BUDGET_BYTES: String(1024 * 1024) }))
  })
  afterAll(async () => {
    await svc?.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('answer MemoryError when a decoded value does not fit, and keep the connection', async () => {
    const c = await client(svc.ports.mpEcho)
    // 100 000 Nones: a 100 kB frame whose decoded list holds about 3 MB
    await c.send(
      Buffer.concat([Buffer.from([0x80, 0x04, 0x5d, 0x28]), Buffer.alloc(100_000, 'N'), Buffer.from('e.')]),
    )
    const refused = decodePickle(await c.recv(), EXC) as PyException
    expect(refused.name).toBe('MemoryError')
    expect(refused.args[0]).toMatch(
      /^netlab is over its memory budget \(RPC_MEMORY_BUDGET_BYTES\): no room for the decoded value of \d+ bytes; try again$/,
    )
    await c.send(encodePickle('small'))
    expect(decodePickle(await c.recv())).toBe('small')
    await c.close()
  })

  it('answer MemoryError at once for a frame whose admission is more than the whole budget, then close', async () => {
    const c = await client(svc.ports.mpEcho)
    const sent = c.send(encodePickle(Buffer.alloc(2 * 1024 * 1024))).catch(() => undefined)
    const refused = decodePickle(await c.recv(), EXC) as PyException
    expect(refused).toEqual(
      new PyException('builtins', 'MemoryError', [
        'netlab refused the frame: a frame of 2097161 bytes needs 8388644 bytes of the memory budget, more than all of it (1048576)',
      ]),
    )
    await sent
    c.destroy()
    const again = await client(svc.ports.mpEcho)
    await again.send(encodePickle(42n))
    expect(decodePickle(await again.recv())).toBe(42n)
    await again.close()
  })
})

describe('MpConnection with a memory budget', () => {
  it('admits a frame at its header, fails it with FRAME_TIMEOUT when it trickles, and gives the budget back', async () => {
    const budget = MemoryBudget.create(10_000)
    const [a, b] = duplexPair()
    const conn = new MpConnection(a, { budget, admitBytes: (n) => 4 * n, frameTimeoutMs: 50 })
    const got = conn.recvHeld()
    b.write(Buffer.from([0, 0, 0, 100, 1, 2, 3])) // announces 100 bytes, sends 3
    await expect(got).rejects.toThrow(
      expect.objectContaining({
        code: 'FRAME_TIMEOUT',
        message: 'a frame of 100 bytes did not arrive within 50 ms of its header',
      }),
    )
    expect(budget.usedBytes).toBe(0)
    conn.destroy()
  })

  it('hands a frame over with its admission, which the caller releases', async () => {
    const budget = MemoryBudget.create(10_000)
    const [a, b] = duplexPair()
    const conn = new MpConnection(a, { budget, admitBytes: (n) => 4 * n })
    b.write(Buffer.from([0, 0, 0, 3, 1, 2, 3]))
    const { frame, hold } = await conn.recvHeld()
    expect([...frame]).toEqual([1, 2, 3])
    expect(hold?.bytes).toBe(12)
    expect(budget.usedBytes).toBe(12)
    hold?.release()
    expect(budget.usedBytes).toBe(0)
    conn.destroy()
  })
})
