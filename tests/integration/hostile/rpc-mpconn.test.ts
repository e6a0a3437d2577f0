/**
 * Hostile load on the rpc service's mp-connection ports, each attack the worst its documented
 * limits allow, sent concurrently from the host across the container network, while the
 * container is watched (container-watch.ts) and a normal echo is tried during and after:
 *
 *   memo bomb      the 4.4 MB memo-bomb frame (a 4 MiB str memoized once, referenced 100 000
 *                  times), on 8 connections at once: each refused with ValueError
 *                  (PICKLE_LIMIT, maxExpandedBytes), none re-encoded
 *   deepest nesting  lists nested RPC_MAX_DEPTH deep (served) and one deeper (ValueError), on
 *                  16 connections, through the allow-list's constructors too
 *   largest frames  12 frames of RPC_MAX_REQUEST_BYTES (8 MiB) echoed at once: more than the
 *                  memory budget admits, so some are served and the rest answered MemoryError
 *   hostile pickles  every allowed global called with a wrong argument shape, and os.system,
 *                  builtins.eval, subprocess.Popen, builtins.getattr, … : each refused with the
 *                  documented ValueError, at once
 *
 * Each records one row (attack-report.ts) and asserts the container was neither restarted
 * nor OOM-killed and stayed under its memory limit.
 */
import { once } from 'node:events'
import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MpConnection } from '../../../protocols/mpconn/connection.ts'
import { clientHandshake } from '../../../protocols/mpconn/handshake.ts'
import { DEFAULT_PICKLE_LIMITS, decodePickle } from '../../../protocols/pickle/decode.ts'
import { encodePickle } from '../../../protocols/pickle/encode.ts'
import { PyException, PySet, type PyValue } from '../../../protocols/pickle/value.ts'
import { outcome, recordAttack } from '../../support/hostile/attack-report.ts'
import { type ContainerWatch, watchContainer } from '../../support/hostile/container-watch.ts'
import { call, REFUSED, WRONG_SHAPES } from '../../support/hostile-pickles.ts'
import { type Lab, startLab } from '../../support/lab.ts'

const KEY = 'hostile-key'
const MAX_REQUEST_BYTES = 8 * 1024 * 1024
const MAX_DEPTH = 64
const REPLY_LIMITS = { ...DEFAULT_PICKLE_LIMITS, allowExceptions: true, maxBytes: 2 * MAX_REQUEST_BYTES }

/** mpClient connects to a mapped mp port and passes the authkey handshake. */
async function mpClient(port: number): Promise<MpConnection> {
  const socket = connect({ host: '127.0.0.1', port })
  await once(socket, 'connect')
  const conn = new MpConnection(socket, { maxFrameBytes: 2 * MAX_REQUEST_BYTES })
  await clientHandshake(conn, Buffer.from(KEY), { timeoutMs: 30_000 })
  return conn
}

/** Outcome of one request: what came back, by Python type name ('served' for the value itself). */
type Result = 'served' | 'ValueError' | 'MemoryError' | 'closed'

/** reply sends one pickle on a fresh connection and reads the reply, or undefined if it closed first. */
async function reply(port: number, payload: Buffer): Promise<PyValue | PyException | undefined> {
  const conn = await mpClient(port)
  try {
    const sent = conn.send(payload).catch(() => undefined)
    const frame = await conn.recv()
    await sent
    return decodePickle(frame, REPLY_LIMITS)
  } catch {
    return undefined
  } finally {
    conn.destroy()
  }
}

/** exchange is `reply` told by Python type name: 'served' for a value, else the exception's class. */
async function exchange(port: number, payload: Buffer): Promise<Result> {
  const v = await reply(port, payload)
  if (v === undefined) return 'closed'
  return v instanceof PyException ? (v.name as Result) : 'served'
}

/** probe tries a small echo every 100 ms until one is served or `ms` pass; true if served. */
async function probe(port: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if ((await exchange(port, encodePickle(new PySet([1n], false)))) === 'served') return true
    await new Promise((r) => setTimeout(r, 100))
  }
  return false
}

function tally(results: readonly Result[]): { served: number; refused: Record<string, number> } {
  const refused: Record<string, number> = {}
  for (const r of results) if (r !== 'served') refused[r] = (refused[r] ?? 0) + 1
  return { served: results.filter((r) => r === 'served').length, refused }
}

/** attack runs `requests` concurrently with a probe, then probes again, and records the row. */
async function attack(
  lab: Lab,
  name: string,
  requests: ReadonlyArray<() => Promise<Result>>,
): Promise<{ results: Result[]; row: Parameters<typeof outcome>[0] }> {
  const port = lab.hostPort('rpc', 25000)
  const watch: ContainerWatch = await watchContainer(lab.container('rpc').getId())
  const during = probe(port, 20_000)
  const results = await Promise.all(requests.map((r) => r()))
  const answeredDuring = await during
  const answeredAfter = await probe(port, 10_000)
  const verdict = await watch.stop()
  const { served, refused } = tally(results)
  const row = {
    service: 'rpc',
    attack: name,
    sent: requests.length,
    refused,
    served,
    verdict,
    answeredDuring,
    answeredAfter,
  }
  recordAttack(row)
  return { results, row }
}

/** memoBomb is the memo-bomb frame: PROTO 4, a 4 MiB str (BINUNICODE) memoized, 100 000 BINGETs of it in a list. */
function memoBomb(): Buffer {
  const batch = Buffer.concat([
    Buffer.from([0x28]),
    Buffer.from('h\x00'.repeat(1000), 'latin1'),
    Buffer.from([0x65]),
  ])
  return Buffer.concat([
    Buffer.from([0x80, 0x04, 0x58, 0x00, 0x00, 0x40, 0x00]),
    Buffer.alloc(4 * 1024 * 1024, 'a'),
    Buffer.from([0x94, 0x5d, 0x94]),
    ...Array.from({ length: 100 }, () => batch),
    Buffer.from('.'),
  ])
}

/** nested is `depth` lists, one inside the other, around a frozenset built by REDUCE (protocol 3). */
function nested(depth: number): Buffer {
  let v: PyValue = new PySet([1n], true)
  for (let i = 1; i < depth; i++) v = [v]
  return encodePickle(v, { protocol: 3 })
}

describe('hostile: rpc mp-connection ports', { timeout: 120_000 }, () => {
  let lab: Lab
  beforeAll(async () => {
    lab = await startLab(['rpc'], {
      env: {
        rpc: {
          RPC_AUTHKEY: KEY,
          // the handshake is not under attack here: on a loaded machine 5 s is short for many at once
          RPC_AUTH_TIMEOUT_MS: '30000',
          RPC_MAX_DEPTH: String(MAX_DEPTH),
          RPC_MAX_REQUEST_BYTES: String(MAX_REQUEST_BYTES),
        },
      },
    })
  })
  afterAll(() => lab?.stop())

  const expectHealthy = (row: Parameters<typeof outcome>[0]) => {
    expect(outcome(row)).toBe('ok')
    expect(row.verdict.peakBytes).toBeLessThan(row.verdict.limitBytes)
  }

  it('memo bombs on 8 connections: each refused with ValueError, nothing expanded', async () => {
    const bomb = memoBomb()
    expect(bomb.length).toBeGreaterThan(4_390_000)
    const port = lab.hostPort('rpc', 25000)
    const { results, row } = await attack(
      lab,
      `memo bomb (${(bomb.length / 1e6).toFixed(1)} MB frame expanding to 420 GB) x 8`,
      Array.from({ length: 8 }, () => () => exchange(port, bomb)),
    )
    expect(results).toEqual(Array(8).fill('ValueError'))
    expectHealthy(row)
  })

  it('deepest nesting on 16 connections: at the limit served, one deeper refused', async () => {
    const port = lab.hostPort('rpc', 25000)
    const { results, row } = await attack(
      lab,
      `nesting ${MAX_DEPTH} deep (served) and ${MAX_DEPTH + 1} (refused) x 8 each`,
      [
        ...Array.from({ length: 8 }, () => () => exchange(port, nested(MAX_DEPTH))),
        ...Array.from({ length: 8 }, () => () => exchange(port, nested(MAX_DEPTH + 1))),
      ],
    )
    expect(results).toEqual([...Array(8).fill('served'), ...Array(8).fill('ValueError')])
    expectHealthy(row)
  })

  it('the largest frames on 12 connections at once: served or refused, within the memory limit', async () => {
    const port = lab.hostPort('rpc', 25000)
    // the largest str whose pickle fits RPC_MAX_REQUEST_BYTES (PROTO, BINUNICODE header, MEMOIZE, STOP)
    const frame = encodePickle('x'.repeat(MAX_REQUEST_BYTES - 16), { protocol: 3 })
    expect(frame.length).toBeLessThanOrEqual(MAX_REQUEST_BYTES)
    const refusals: string[] = []
    const { results, row } = await attack(
      lab,
      'largest frames (8 MiB str echoed) x 12',
      Array.from({ length: 12 }, () => async () => {
        const v = await reply(port, frame)
        if (v instanceof PyException) refusals.push(`${v.name}: ${String(v.args[0])}`)
        return v instanceof PyException ? (v.name as Result) : v === undefined ? 'closed' : 'served'
      }),
    )
    // Admitted with 4 x 8 MiB each, 12 at once would need 384 MiB of a 192 MiB budget: those
    // that find no room within 2 s get MemoryError (how many depends on how fast the frames come);
    // on a starved machine an admitted frame may also miss its 30 s (FRAME_TIMEOUT).
    for (const r of refusals)
      expect(r).toMatch(
        /^(MemoryError: netlab|ValueError: netlab refused the frame: a frame of \d+ bytes did not arrive)/,
      )
    expect(results.filter((r) => r === 'closed')).toEqual([])
    expect(row.served).toBeGreaterThan(0)
    expectHealthy(row)
  })

  it('hostile pickles (wrong shapes for every allowed global, refused globals): the documented ValueError each', async () => {
    const port = lab.hostPort('rpc', 25000)
    const cases: Array<[Buffer, string]> = [
      ...WRONG_SHAPES.map(([qualname, args, reason]): [Buffer, string] => {
        const data = call(qualname, args)
        return [
          data,
          `refused pickle opcode REDUCE (0x52) at offset ${data.length - 2}: ${qualname}: ${reason}`,
        ]
      }),
      ...REFUSED.map(([, data, message]): [Buffer, string] => [data, message]),
    ]
    const messages: string[] = []
    const { results, row } = await attack(
      lab,
      `hostile pickles: ${WRONG_SHAPES.length} wrong shapes, ${REFUSED.length} refused globals`,
      cases.map(([data]) => async () => {
        const v = await reply(port, data)
        messages.push(v instanceof PyException ? String(v.args[0]) : String(v))
        return v instanceof PyException ? (v.name as Result) : v === undefined ? 'closed' : 'served'
      }),
    )
    expect(results).toEqual(Array(cases.length).fill('ValueError'))
    expect(messages.sort()).toEqual(cases.map(([, m]) => `netlab refused the pickle: ${m}`).sort())
    expectHealthy(row)
  })
})
