/**
 * lib/metrics: the families (label sets capped, histogram buckets cumulative), the recent
 * events, and the endpoint summing every worker thread's counts in one scrape (real worker
 * threads, a real HTTP request to /metrics).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLogger } from '../../../lib/log.ts'
import { Family, Histogram, MAX_SERIES, OTHER } from '../../../lib/metrics/families.ts'
import {
  connectionClosed,
  connectionOpened,
  countBytes,
  countCall,
  countCommand,
  countDatagram,
  countHttp,
  recordEvent,
  threadReport,
} from '../../../lib/metrics/index.ts'
import {
  aggregateText,
  loadMetricsConfig,
  type MetricsServer,
  mergeEvents,
  startMetricsServer,
} from '../../../lib/metrics/server.ts'
import { startThreadedService, type ThreadedService } from '../../../lib/worker-pool.ts'
import { parsePromText, sum } from '../../../services/dashboard/prom-text.ts'

describe('metric families', () => {
  it('counts by label set and caps the table at MAX_SERIES, later values counted as other', () => {
    const f = new Family('t_total', 'help', 'counter', ['method'])
    for (let i = 0; i < MAX_SERIES + 20; i++) f.add([`m${i}`])
    f.add(['m0'], 4)
    const json = f.get()
    expect(json.values).toHaveLength(MAX_SERIES + 1)
    expect(f.value(['m0'])).toBe(5)
    expect(f.value([OTHER])).toBe(20)
  })

  it("hands out a series a hot caller keeps: its counts are the family's, past the cap the other series", () => {
    const f = new Family('t_kept_total', 'help', 'counter', ['proto', 'command'])
    const kept = f.series(['tcp', 'UPPER'])
    kept.value += 2
    f.add(['tcp', 'UPPER'])
    expect(f.series(['tcp', 'UPPER'])).toBe(kept)
    expect(f.value(['tcp', 'UPPER'])).toBe(3)
    for (let i = 0; f.get().values.length < MAX_SERIES; i++) f.add(['x', `c${i}`])
    const late = f.series(['tcp', 'LATE'])
    late.value++
    expect(f.value([OTHER, OTHER])).toBe(1)
    const h = new Histogram('t_kept_seconds', 'help', 'proto', [0.01])
    h.record(h.series('x'), 0.5)
    h.observe('x', 0.001)
    expect(h.get().values.find((v) => v.metricName === 't_kept_seconds_count')?.value).toBe(2)
  })

  it('keeps histogram buckets cumulative, with +Inf, sum and count', () => {
    const h = new Histogram('t_seconds', 'help', 'proto', [0.01, 0.1])
    for (const v of [0.005, 0.05, 0.05, 5]) h.observe('x', v)
    const v = h.get().values
    const bucket = (le: number | string) =>
      v.find((s) => s.metricName === 't_seconds_bucket' && s.labels.le === le)?.value
    expect([bucket(0.01), bucket(0.1), bucket('+Inf')]).toEqual([1, 3, 4])
    expect(v.find((s) => s.metricName === 't_seconds_count')?.value).toBe(4)
    expect(v.find((s) => s.metricName === 't_seconds_sum')?.value).toBeCloseTo(5.105)
  })

  it('sums thread reports into Prometheus text', async () => {
    const a = new Family('t_req_total', 'requests', 'counter', ['proto'])
    const b = new Family('t_req_total', 'requests', 'counter', ['proto'])
    a.add(['tcp'], 3)
    b.add(['tcp'], 4)
    b.add(['udp'], 1)
    const text = await aggregateText([[a.get()], [b.get()]])
    const samples = parsePromText(text)
    expect(sum(samples, 't_req_total', { proto: 'tcp' })).toBe(7)
    expect(sum(samples, 't_req_total', { proto: 'udp' })).toBe(1)
    expect(text).toContain('# TYPE t_req_total counter')
  })
})

describe('recording', () => {
  it('counts a line command by name, or as invalid with its error code', () => {
    const before = threadReport().metrics
    const t = performance.now()
    countCommand('cmdtest', 'upper hello', undefined, t)
    countCommand('cmdtest', 'bogus', 'UNKNOWN_COMMAND', t)
    const after = threadReport().metrics
    const value = (m: typeof after, name: string, labels: Record<string, string>) =>
      m
        .find((x) => x.name === name)
        ?.values.filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))
        .reduce((n, s) => n + s.value, 0) ?? 0
    expect(value(after, 'netlab_requests_total', { proto: 'cmdtest', command: 'UPPER', outcome: 'ok' })).toBe(
      1,
    )
    expect(
      value(after, 'netlab_requests_total', { proto: 'cmdtest', command: 'invalid', outcome: 'error' }),
    ).toBe(1)
    expect(
      value(after, 'netlab_errors_total', { code: 'UNKNOWN_COMMAND' }) -
        value(before, 'netlab_errors_total', { code: 'UNKNOWN_COMMAND' }),
    ).toBe(1)
  })

  it('counts HTTP responses by method and route, datagrams, connections and bytes, every time', async () => {
    for (let i = 0; i < 3; i++) {
      countHttp('httptest', 'GET', '/get', 200, 2)
      countHttp('httptest', 'GET', undefined, 404, 1)
      countDatagram('udptest', 40, 48, performance.timeOrigin + performance.now())
      connectionOpened('conntest')
      countBytes('conntest', 10, 0)
    }
    connectionClosed('conntest', 5, 7)
    const s = parsePromText(await aggregateText([threadReport().metrics]))
    const req = (labels: Record<string, string>) => sum(s, 'netlab_requests_total', labels)
    expect(req({ proto: 'httptest', command: 'GET /get', outcome: 'ok' })).toBe(3)
    expect(req({ proto: 'httptest', command: 'GET unmatched', outcome: 'error' })).toBe(3)
    expect(sum(s, 'netlab_request_duration_seconds_count', { proto: 'httptest' })).toBe(6)
    expect(sum(s, 'netlab_request_duration_seconds_sum', { proto: 'httptest' })).toBeCloseTo(0.009)
    expect(req({ proto: 'udptest', command: 'udptest', outcome: 'ok' })).toBe(3)
    expect(sum(s, 'netlab_received_bytes_total', { proto: 'udptest' })).toBe(120)
    expect(sum(s, 'netlab_sent_bytes_total', { proto: 'udptest' })).toBe(144)
    expect(sum(s, 'netlab_connections_accepted_total', { proto: 'conntest' })).toBe(3)
    expect(sum(s, 'netlab_connections_active', { proto: 'conntest' })).toBe(2)
    expect(sum(s, 'netlab_received_bytes_total', { proto: 'conntest' })).toBe(35)
    expect(sum(s, 'netlab_sent_bytes_total', { proto: 'conntest' })).toBe(7)
  })

  it('counts a call when it settles, failures by their code', async () => {
    await countCall('calltest', 'add', Promise.resolve(5))
    await countCall(
      'calltest',
      'div',
      Promise.reject(Object.assign(new Error('x'), { code: 'PY_ZERODIVISIONERROR' })),
    ).catch(() => undefined)
    await new Promise((r) => setImmediate(r))
    const text = await aggregateText([threadReport().metrics])
    const s = parsePromText(text)
    expect(sum(s, 'netlab_requests_total', { proto: 'calltest', outcome: 'ok' })).toBe(1)
    expect(sum(s, 'netlab_requests_total', { proto: 'calltest', command: 'div', outcome: 'error' })).toBe(1)
    expect(sum(s, 'netlab_errors_total', { code: 'PY_ZERODIVISIONERROR' })).toBe(1)
    expect(sum(s, 'netlab_request_duration_seconds_count', { proto: 'calltest' })).toBe(2)
  })

  it('keeps warn and error log lines as recent events, with their code, and counts them', () => {
    const log = createLogger('test', 'info', { write: () => undefined })
    log.info('not an event')
    log.warn({ code: 'BUSY' }, 'connection refused: busy')
    log.error(new Error('boom'), 'it broke')
    const events = threadReport().events.slice(-2)
    expect(events.map((e) => [e.level, e.msg, e.code])).toEqual([
      ['warn', 'connection refused: busy', 'BUSY'],
      ['error', 'it broke', undefined],
    ])
    for (let i = 0; i < 100; i++) recordEvent('warn', `w${i}`)
    expect(threadReport().events).toHaveLength(50)
    expect(
      mergeEvents([[{ time: '2', level: 'warn', msg: 'b' }], [{ time: '1', level: 'warn', msg: 'a' }]]).map(
        (e) => e.msg,
      ),
    ).toEqual(['a', 'b'])
  })

  it('reads METRICS_PORT, naming a bad value', () => {
    expect(loadMetricsConfig({}).port).toBe(9464)
    expect(() => loadMetricsConfig({ METRICS_PORT: 'x' })).toThrow(/METRICS_PORT="x"/)
  })
})

describe('the /metrics endpoint over worker threads', () => {
  let pool: ThreadedService<'x'>
  let server: MetricsServer
  const log = createLogger('test', 'silent')
  beforeAll(async () => {
    pool = await startThreadedService({
      name: 'test',
      url: new URL('./fixtures/metrics-worker.ts', import.meta.url),
      host: '127.0.0.1',
      workers: 2,
      ports: { x: 1 },
      budgetBytes: 1024 * 1024,
      bindOnce: async () => 1,
      log,
      data: (worker) => ({ requests: worker === 0 ? 3 : 5 }),
    })
    server = await startMetricsServer({ service: 'test', host: '127.0.0.1', port: 0, log })
  })
  afterAll(async () => {
    await server?.close()
    await pool?.close()
  })

  it('sums both workers in one scrape, with the budget and the process metrics', async () => {
    const res = await fetch(`http://127.0.0.1:${server.port}/metrics`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain('text/plain')
    const text = await res.text()
    const s = parsePromText(text)
    expect(sum(s, 'netlab_requests_total', { proto: 'test', command: 'PING', outcome: 'ok' })).toBe(8)
    expect(sum(s, 'netlab_connections_active', { proto: 'test' })).toBe(2)
    expect(sum(s, 'netlab_request_duration_seconds_count', { proto: 'test' })).toBe(8)
    expect(sum(s, 'netlab_memory_budget_bytes', { state: 'limit' })).toBe(1024 * 1024)
    expect(sum(s, 'process_resident_memory_bytes')).toBeGreaterThan(0)
    expect(text).toContain('nodejs_eventloop_lag_seconds')
  })

  it('serves /health with the worker count, and 404 elsewhere', async () => {
    const health = (await (await fetch(`http://127.0.0.1:${server.port}/health`)).json()) as Record<
      string,
      unknown
    >
    expect(health).toMatchObject({ service: 'test', status: 'ok', workers: 2 })
    expect((await fetch(`http://127.0.0.1:${server.port}/nope`)).status).toBe(404)
    expect((await fetch(`http://127.0.0.1:${server.port}/metrics`, { method: 'POST' })).status).toBe(405)
  })
})
