/**
 * The RPC service against the worst input its documented limits allow, sent concurrently
 * from the host to the real container (512 MiB, as docker-compose.yml): a JSON-RPC batch of
 * 1000 gets of a 1 MB value (which used to exhaust the heap and wedge the process), multicalls
 * of the same, the longest integers and the deepest nesting a request may carry, 8 MiB bodies
 * on 48 connections, and JSON-RPC/TCP clients that pipeline writes and big reads without
 * reading. Each attack asserts that a normal call was answered during and after it, that the
 * container was neither restarted nor OOM-killed and stayed under its memory limit, and that
 * every acknowledged write is still there; each records one row of the hostile table.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Lab, startLab } from '../lab.ts'
import { type AttackRow, outcome, recordAttack } from './attack-report.ts'
import { watchContainer } from './container-watch.ts'
import { normalCall, pipeline, post, probe, tally } from './rpc-clients.ts'

const MiB = 1024 * 1024
const BIG = 'b'.repeat(1_000_000) // a value near RPC_KV_MAX_VALUE_BYTES
const MAX_REQUEST = 8 * MiB // RPC_MAX_REQUEST_BYTES's default

const jsonCall = (method: string, params: string, id: number | string = 1) =>
  `{"jsonrpc":"2.0","method":"${method}","params":${params},"id":${JSON.stringify(id)}}`
const xmlCall = (method: string, paramsXml: string) =>
  `<?xml version='1.0'?>\n<methodCall><methodName>${method}</methodName><params>${paramsXml}</params></methodCall>`
const times = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i))

/** Outcome of an attack's traffic, before the verdict is added. */
interface Traffic {
  readonly sent: number
  readonly refused: Record<string, number>
  readonly served: number
}

describe('rpc: hostile load within the documented limits', { timeout: 120_000 }, () => {
  let lab: Lab
  let port: number
  let tcpPort: number
  /** every write acknowledged so far: key → value */
  const acked = new Map<string, string>()

  beforeAll(async () => {
    lab = await startLab(['rpc'], { env: { rpc: { RPC_AUTHKEY: 'hostile-test-key' } } })
    port = lab.hostPort('rpc', 15000)
    tcpPort = lab.hostPort('rpc', 15001)
    for (const [key, value] of [
      ['big', BIG],
      ...times(10, (i) => [`ack-${i}`, `v${i}`.repeat(5000)]),
    ] as const) {
      const r = await post(port, '/jsonrpc', jsonCall('set', JSON.stringify([key, value])))
      expect(r.text).toBe('{"jsonrpc":"2.0","result":null,"id":1}')
      acked.set(key, value)
    }
  }, 60_000)
  afterAll(() => lab?.stop())

  /** allAckedThere reads back every acknowledged write (in small batches). */
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
    const answeredAfter = await normalCall(port)
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
    expect(probed).toMatchObject({ failed: 0 })
    expect(outcome(row)).toBe('ok')
    expect(verdict.peakBytes).toBeLessThan(verdict.limitBytes)
    expect(await allAckedThere()).toBe(true)
    return row
  }

  /** posts sends every body at once and tallies the replies: big ones are served results. */
  async function posts(path: string, bodies: readonly string[], bigReply = MiB): Promise<Traffic> {
    const refused: Record<string, number> = {}
    let served = 0
    const replies = await Promise.all(bodies.map((b) => post(port, path, b, bigReply)))
    for (const r of replies) {
      if (r.bytes >= bigReply) served++
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
    expect(row.refused['-32002']).toBeGreaterThan(0) // the reply limit stopped each batch
  })

  it('XML-RPC multicalls of 1000 gets of a 1 MB value, 4 at once', async () => {
    const calls = times(
      1000,
      () =>
        '<value><struct><member><name>methodName</name><value>get</value></member><member><name>params</name><value><array><data><value>big</value></data></array></value></member></struct></value>',
    ).join('')
    const body = xmlCall(
      'system.multicall',
      `<param><value><array><data>${calls}</data></array></value></param>`,
    )
    const row = await attack('xmlrpc multicall: 1000 gets of 1 MB ×4 at once', () =>
      posts(
        '/RPC2',
        times(4, () => body),
        64 * MiB,
      ),
    )
    expect(row.refused['fault -32002']).toBeGreaterThan(0)
  })

  it('the longest integers a request may carry, filling 8 MiB bodies, and one digit more', async () => {
    const int = '9'.repeat(4300)
    const jsonInts = `[[${times(Math.floor((MAX_REQUEST - 200) / 4301), () => int).join(',')}]]`
    const xmlInts = `<param><value><array><data>${times(Math.floor((MAX_REQUEST - 300) / 4330), () => `<value><int>${int}</int></value>`).join('')}</data></array></value></param>`
    const row = await attack(
      'longest integers: 4300 digits ×1900 in 8 MiB ×4, one digit more ×2',
      async () => {
        const ok = await posts(
          '/jsonrpc',
          times(2, () => jsonCall('echo', jsonInts)),
        )
        const xml = await posts(
          '/RPC2',
          times(2, () => xmlCall('echo', xmlInts)),
        )
        const over = await posts(
          '/jsonrpc',
          times(1, () => jsonCall('add', `[${int}9, 1]`)),
        )
        const overXml = await posts(
          '/RPC2',
          times(1, () => xmlCall('add', `<param><value><int>${int}9</int></value></param>`)),
        )
        const refused: Record<string, number> = {}
        for (const t of [ok, xml, over, overXml])
          for (const [k, v] of Object.entries(t.refused)) refused[k] = (refused[k] ?? 0) + v
        return { sent: 6, refused, served: ok.served + xml.served }
      },
    )
    expect(row.refused['-32600']).toBe(1)
    expect(row.refused['fault 1']).toBe(1) // Python's ValueError: Exceeds the limit (4300 digits)
  })

  it('the deepest nesting with the most values a request may carry, and one level more', async () => {
    // 64 levels of brackets in all: the envelope's object and params array, then 62.
    const nest = `${'['.repeat(61)}1${']'.repeat(61)}`
    const jsonDeep = `[[${times(Math.floor(999_000 / 63), () => nest).join(',')}]]`
    const level = (inner: string) => `<value><struct><member><name>k</name>${inner}</member></struct></value>`
    let xmlNest = '<value>1</value>'
    for (let i = 0; i < 63; i++) xmlNest = level(xmlNest)
    const xmlDeep = `<param><value><array><data>${times(Math.floor(MAX_REQUEST / xmlNest.length) - 1, () => xmlNest).join('')}</data></array></value></param>`
    const row = await attack(
      'deepest nesting: 64 levels, 1M values (JSON) / 8 MiB of structs (XML) ×4, one level more',
      async () => {
        const json = await posts(
          '/jsonrpc',
          times(2, () => jsonCall('echo', jsonDeep)),
        )
        const xml = await posts(
          '/RPC2',
          times(2, () => xmlCall('echo', xmlDeep)),
        )
        const deeper = await posts('/jsonrpc', [jsonCall('echo', `[${nest.replace('1', '[1]')}]`)])
        const refused = { ...json.refused }
        for (const t of [xml, deeper])
          for (const [k, v] of Object.entries(t.refused)) refused[k] = (refused[k] ?? 0) + v
        return { sent: 5, refused, served: json.served + xml.served }
      },
    )
    expect(row.refused['-32600']).toBeGreaterThanOrEqual(1)
  })

  it('8 MiB bodies on 48 connections at once', async () => {
    const text = 'z'.repeat(MAX_REQUEST - 200)
    const bodies = times(48, (i) =>
      i % 2 === 0
        ? jsonCall('echo', `["${text}"]`)
        : xmlCall('echo', `<param><value>${text}</value></param>`),
    )
    const row = await attack('largest bodies: 8 MiB echo ×48 at once', async () => {
      const json = await posts(
        '/jsonrpc',
        bodies.filter((_, i) => i % 2 === 0),
      )
      const xml = await posts(
        '/RPC2',
        bodies.filter((_, i) => i % 2 === 1),
      )
      return { sent: 48, refused: { ...json.refused, ...xml.refused }, served: json.served + xml.served }
    })
    expect(row.served).toBeGreaterThan(0)
  })

  it('JSON-RPC/TCP clients that pipeline sets and big gets and do not read, 4 connections', async () => {
    const value = (c: number, i: number) => `${c}:${i}:`.padEnd(64 * 1024, 'p')
    const lines = (c: number) =>
      times(
        60,
        (i) =>
          `${i % 2 === 0 ? jsonCall('set', JSON.stringify([`pipe-${c}`, value(c, i)]), i) : jsonCall('get', '["big"]', i)}\n`,
      )
    const results = await (async () => {
      let out: Awaited<ReturnType<typeof pipeline>>[] = []
      await attack('jsonrpc/tcp: pipelined 64 KiB sets and 1 MB gets, not read, ×4 connections', async () => {
        out = await Promise.all(times(4, (c) => pipeline(tcpPort, lines(c))))
        const refused: Record<string, number> = {}
        for (const r of out) for (const reply of r.replies) tally(reply, refused)
        const sent = out.reduce((n, r) => n + r.sent, 0)
        const answered = out.reduce((n, r) => n + r.replies.length, 0)
        return { sent, refused: { ...refused, 'paused reading': sent }, served: answered }
      })
      return out
    })()
    // Every line written was answered, in order; the last acknowledged set of each connection is stored.
    for (const [c, r] of results.entries()) {
      expect(r.replies).toHaveLength(r.sent)
      const lastSet = [...r.replies.entries()]
        .filter(([i, reply]) => i % 2 === 0 && reply === `{"jsonrpc":"2.0","result":null,"id":${i}}`)
        .pop()
      if (lastSet) acked.set(`pipe-${c}`, value(c, lastSet[0]))
    }
    expect(await allAckedThere()).toBe(true)
  })
})
