/**
 * The RPC service against the worst input its documented limits allow, sent concurrently
 * from the host to the real container (512 MiB, as docker-compose.yml): JSON-RPC batches of
 * 1000 gets of a 1 MB value (one such batch used to exhaust the heap and wedge the process),
 * multicalls of the same, the longest integers and the deepest nesting a request may carry,
 * 8 MiB bodies on 48 connections, JSON-RPC/TCP clients that pipeline writes and big reads
 * without reading, and a flood of JSON-RPC/TCP connections past RPC_MAX_CONNECTIONS (1000 per
 * port, one count over every worker thread). Each attack asserts that a normal call was answered during and after it,
 * that the container was neither restarted nor OOM-killed and stayed under its memory limit,
 * and that every acknowledged write is still there; each records one row of the hostile table.
 */
import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type AttackRow, outcome, recordAttack } from '../../support/hostile/attack-report.ts'
import { watchContainer } from '../../support/hostile/container-watch.ts'
import {
  normalCall,
  type Pipelined,
  pipeline,
  post,
  probe,
  tally,
} from '../../support/hostile/rpc-clients.ts'
import { type Lab, startLab } from '../../support/lab.ts'

const MiB = 1024 * 1024
const BIG = 'b'.repeat(1_000_000) // a value near RPC_KV_MAX_VALUE_BYTES (1 MiB as stored)
const MAX_REQUEST = 8 * MiB // RPC_MAX_REQUEST_BYTES's default
const MAX_DIGITS = 4300 // RPC_MAX_INT_DIGITS's default

const jsonCall = (method: string, params: string, id: number | string = 1) =>
  `{"jsonrpc":"2.0","method":"${method}","params":${params},"id":${JSON.stringify(id)}}`
const xmlCall = (method: string, paramsXml: string) =>
  `<?xml version='1.0'?>\n<methodCall><methodName>${method}</methodName><params>${paramsXml}</params></methodCall>`
const xmlArray = (items: string) => `<param><value><array><data>${items}</data></array></value></param>`
const times = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i))

/** Traffic is what an attack sent and how it came back, before the verdict is added. */
interface Traffic {
  readonly sent: number
  readonly refused: Record<string, number>
  readonly served: number
}

/** merge adds up the traffic of several waves of one attack. */
function merge(...parts: readonly Traffic[]): Traffic {
  const refused: Record<string, number> = {}
  for (const p of parts) for (const [k, v] of Object.entries(p.refused)) refused[k] = (refused[k] ?? 0) + v
  return {
    sent: parts.reduce((n, p) => n + p.sent, 0),
    refused,
    served: parts.reduce((n, p) => n + p.served, 0),
  }
}

describe('rpc: hostile load within the documented limits', { timeout: 120_000 }, () => {
  let lab: Lab
  let port: number
  let tcpPort: number
  /** every write acknowledged so far: key → value */
  const acked = new Map<string, string>()

  beforeAll(async () => {
    // two worker threads, so that the connection cap and the budget are shared for real
    lab = await startLab(['rpc'], { env: { rpc: { RPC_AUTHKEY: 'hostile-test-key', RPC_WORKERS: '2' } } })
    port = lab.hostPort('rpc', 15000)
    tcpPort = lab.hostPort('rpc', 15001)
    const writes: [string, string][] = [
      ['big', BIG],
      ...times(10, (i) => [`ack-${i}`, `v${i}`.repeat(5000)] as [string, string]),
    ]
    for (const [key, value] of writes) {
      const r = await post(port, '/jsonrpc', jsonCall('set', JSON.stringify([key, value])))
      expect(r.text).toBe('{"jsonrpc":"2.0","result":null,"id":1}')
      acked.set(key, value)
    }
  }, 120_000)
  afterAll(() => lab?.stop())

  /** allAckedThere reads back every acknowledged write, a few keys a batch. */
  async function allAckedThere(): Promise<boolean> {
    const keys = [...acked.keys()]
    for (let i = 0; i < keys.length; i += 8) {
      const batch = keys.slice(i, i + 8).map((k, j) => jsonCall('get', JSON.stringify([k]), j))
      const r = await post(port, '/jsonrpc', `[${batch.join(',')}]`, 64 * MiB)
      const got = JSON.parse(r.text) as { result?: string; id: number }[]
      for (const g of got) if (g.result !== acked.get(keys[i + g.id] as string)) return false
    }
    return true
  }

  /** attack runs one attack with the container watched and a normal call probing, then checks and records it. */
  async function attack(name: string, traffic: () => Promise<Traffic>): Promise<AttackRow> {
    const watch = await watchContainer(lab.container('rpc').getId())
    const during = probe(port)
    const t = await traffic()
    const probed = await during.stop()
    const answeredAfter = (await normalCall(port)) === 'ok'
    const verdict = await watch.stop()
    const row: AttackRow = {
      service: 'rpc',
      attack: name,
      ...t,
      verdict,
      answeredDuring: probed.ok > 0,
      answeredAfter,
    }
    recordAttack(row)
    // Normal calls were served, never refused (a slow answer on a loaded machine is no refusal).
    expect(probed.wrong).toBe(0)
    expect(outcome(row)).toBe('ok')
    expect(verdict.peakBytes).toBeLessThan(verdict.limitBytes)
    expect(await allAckedThere()).toBe(true)
    return row
  }

  /**
   * posts sends every body at once and tallies the replies (keeping `keep` bytes of each to read
   * the codes); a reply of a megabyte or more carried results: served.
   */
  async function posts(path: string, bodies: readonly string[], keep = MiB): Promise<Traffic> {
    const refused: Record<string, number> = {}
    let served = 0
    const replies = await Promise.all(bodies.map((b) => post(port, path, b, keep)))
    for (const r of replies) {
      if (r.bytes >= MiB) served++
      tally(r.text, refused)
    }
    return { sent: bodies.length, refused, served }
  }

  it('JSON-RPC batches of 1000 gets of a 1 MB value, 4 at once', async () => {
    const batch = `[${times(1000, (i) => jsonCall('get', '["big"]', i)).join(',')}]`
    expect(batch.length).toBeLessThan(70_000)
    const row = await attack('jsonrpc batch: 1000 gets of 1 MB ×4 at once', () =>
      posts(
        '/jsonrpc',
        times(4, () => batch),
        64 * MiB,
      ),
    )
    // Each batch is answered with its first results, then -32002 (or -32001, when the budget
    // holds the other batches' replies) for each call past the limit.
    expect(row.refused['-32002']).toBeGreaterThan(0)
    expect((row.refused['-32002'] ?? 0) + (row.refused['-32001'] ?? 0)).toBeGreaterThan(3900)
  })

  it('XML-RPC multicalls of 1000 gets of a 1 MB value, 4 at once', async () => {
    const get =
      '<value><struct><member><name>methodName</name><value>get</value></member><member><name>params</name><value><array><data><value>big</value></data></array></value></member></struct></value>'
    const body = xmlCall('system.multicall', xmlArray(get.repeat(1000)))
    const row = await attack('xmlrpc multicall: 1000 gets of 1 MB ×4 at once', () =>
      posts(
        '/RPC2',
        times(4, () => body),
        64 * MiB,
      ),
    )
    expect(row.refused['fault -32002']).toBeGreaterThan(0)
    expect((row.refused['fault -32002'] ?? 0) + (row.refused['fault -32001'] ?? 0)).toBeGreaterThan(3900)
  })

  it('the longest integers a request may carry, filling 8 MiB bodies, and one digit more', async () => {
    const int = '9'.repeat(MAX_DIGITS)
    const jsonInts = `[[${times(Math.floor((MAX_REQUEST - 200) / (MAX_DIGITS + 1)), () => int).join(',')}]]`
    const xmlInt = `<value><int>${int}</int></value>`
    const xmlInts = xmlArray(xmlInt.repeat(Math.floor((MAX_REQUEST - 300) / xmlInt.length)))
    const row = await attack('longest integers: 4300 digits ×1900 in 8 MiB ×4, one digit more ×2', async () =>
      merge(
        await posts(
          '/jsonrpc',
          times(2, () => jsonCall('echo', jsonInts)),
        ),
        await posts(
          '/RPC2',
          times(2, () => xmlCall('echo', xmlInts)),
        ),
        await posts('/jsonrpc', [jsonCall('add', `[${int}9, 1]`)]),
        await posts('/RPC2', [xmlCall('add', `<param><value><int>${int}9</int></value></param>`)]),
      ),
    )
    expect(row.refused['-32600']).toBe(1)
    expect(row.refused['fault 1']).toBe(1) // Python's ValueError: Exceeds the limit (4300 digits)
  })

  it('the deepest nesting with the most values a request may carry, and one level more', async () => {
    // 64 levels of brackets in all: the envelope's object and params array, one more, then 61.
    const nest = `${'['.repeat(61)}1${']'.repeat(61)}`
    const jsonDeep = `[[${times(Math.floor(999_000 / 62), () => nest).join(',')}]]`
    const level = (inner: string) => `<value><struct><member><name>k</name>${inner}</member></struct></value>`
    let xmlNest = '<value>1</value>'
    for (let i = 0; i < 62; i++) xmlNest = level(xmlNest) // 64 values deep with the array around them
    const xmlDeep = xmlArray(xmlNest.repeat(Math.floor((MAX_REQUEST - 300) / xmlNest.length)))
    const row = await attack(
      'deepest nesting: 64 levels, 1M values (JSON) / 8 MiB of structs (XML) ×4',
      async () =>
        merge(
          await posts(
            '/jsonrpc',
            times(2, () => jsonCall('echo', jsonDeep)),
          ),
          await posts(
            '/RPC2',
            times(2, () => xmlCall('echo', xmlDeep)),
          ),
          await posts('/jsonrpc', [jsonCall('echo', `[[[${nest}]]]`)]),
          await posts('/RPC2', [xmlCall('echo', `<param>${level(level(xmlNest))}</param>`)]),
        ),
    )
    expect(row.refused['-32600']).toBe(1)
    expect(row.refused['fault 1']).toBe(1) // ExpatError: values nest deeper than 64
  })

  it('8 MiB bodies on 48 connections at once', async () => {
    const text = 'z'.repeat(MAX_REQUEST - 200)
    const json = jsonCall('echo', `["${text}"]`)
    const xml = xmlCall('echo', `<param><value>${text}</value></param>`)
    const row = await attack('largest bodies: 8 MiB echo ×48 at once', async () => {
      const [a, b] = await Promise.all([
        posts(
          '/jsonrpc',
          times(24, () => json),
        ),
        posts(
          '/RPC2',
          times(24, () => xml),
        ),
      ])
      return merge(a as Traffic, b as Traffic)
    })
    expect(row.served).toBeGreaterThan(0)
    expect(row.served + (row.refused['-32001'] ?? 0) + (row.refused['fault -32001'] ?? 0)).toBe(48)
  })

  it('JSON-RPC/TCP clients that pipeline sets and big gets and do not read, 4 connections', async () => {
    const value = (c: number, i: number) => `${c}:${i}:`.padEnd(64 * 1024, 'p')
    const lines = (c: number) =>
      times(24, (i) =>
        i % 2 === 0
          ? `${jsonCall('set', JSON.stringify([`pipe-${c}`, value(c, i)]), i)}\n`
          : `${jsonCall('get', '["big"]', i)}\n`,
      )
    let out: Pipelined[] = []
    await attack('jsonrpc/tcp: pipelined 64 KiB sets and 1 MB gets, not read, ×4 connections', async () => {
      out = await Promise.all(times(4, (c) => pipeline(tcpPort, lines(c))))
      const refused: Record<string, number> = {}
      for (const r of out) for (const reply of r.replies) tally(reply, refused)
      const sent = out.reduce((n, r) => n + r.sent, 0)
      return { sent, refused, served: out.reduce((n, r) => n + r.replies.length, 0) }
    })
    // Every line written was answered, in order; the last acknowledged set of each connection is stored.
    for (const [c, r] of out.entries()) {
      expect(r.replies).toHaveLength(r.sent)
      const acks = r.replies.flatMap((reply, i) =>
        reply === `{"jsonrpc":"2.0","result":null,"id":${i}}` ? [i] : [],
      )
      const last = acks.at(-1)
      if (last !== undefined) acked.set(`pipe-${c}`, value(c, last))
    }
    expect(await allAckedThere()).toBe(true)
  })

  it('a flood of 1100 JSON-RPC/TCP connections held open: 1000 served across the threads, the rest closed at once', async () => {
    const MAX_CONNECTIONS = 1000 // RPC_MAX_CONNECTIONS's default
    const flood = MAX_CONNECTIONS + 100
    const sockets: ReturnType<typeof connect>[] = []
    let result: { served: number; closed: number } = { served: 0, closed: 0 }
    await attack(
      `jsonrpc/tcp: ${flood} connections held open (RPC_MAX_CONNECTIONS ${MAX_CONNECTIONS})`,
      async () => {
        // each connection sends one call and stays open: answered (admitted) or closed unanswered (refused)
        const outcomes = await Promise.all(
          times(flood, (i) => {
            const socket = connect(tcpPort, '127.0.0.1')
            sockets.push(socket)
            return new Promise<'served' | 'closed'>((resolve) => {
              socket.on('error', () => undefined)
              socket.once('connect', () => socket.write(`${jsonCall('add', `[${i},1]`, i)}\n`))
              socket.once('data', () => resolve('served'))
              socket.once('close', () => resolve('closed'))
            })
          }),
        )
        result = {
          served: outcomes.filter((o) => o === 'served').length,
          closed: outcomes.filter((o) => o === 'closed').length,
        }
        return { sent: flood, refused: { closed: result.closed }, served: result.served }
      },
    ).finally(() => {
      for (const s of sockets) s.destroy()
    })
    expect(result.served).toBe(MAX_CONNECTIONS)
    expect(result.closed).toBe(flood - MAX_CONNECTIONS)
    // one line per thread that refused, at most once a second each, with the count
    const limit = (await lab.logs('rpc')).filter(
      (l) => l.msg === 'limit reached' && l.code === 'BUSY' && l.maxConnections === MAX_CONNECTIONS,
    )
    expect(limit.length).toBeGreaterThan(0)
    expect(limit[0]).toMatchObject({ level: 'warn', proto: 'jsonrpc' })
  })
})
