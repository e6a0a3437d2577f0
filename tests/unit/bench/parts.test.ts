/** The small pure parts: the HDR summary, the NDJSON events, the HTTP head reader and the table. */
import { describe, expect, it } from 'vitest'
import { encodeEvent, parseEvent } from '../../../bench/events.ts'
import { LatencyRecorder } from '../../../bench/load/histogram.ts'
import { parseHead } from '../../../bench/load/http-requests.ts'
import type { BenchResult, Measurement } from '../../../bench/result.ts'
import { formatRate, renderTable } from '../../../bench/table.ts'
import { compare, judgeTargets } from '../../../bench/targets.ts'

describe('LatencyRecorder', () => {
  it('summarises in µs: percentiles of 1..1000 µs within HDR precision', () => {
    const rec = new LatencyRecorder()
    for (let us = 1; us <= 1000; us++) rec.recordMs(us / 1000)
    const s = rec.summary()
    expect(s.count).toBe(1000)
    expect(s.p50Us).toBeCloseTo(500, -1)
    expect(s.p90Us).toBeCloseTo(900, -1)
    expect(s.p99Us).toBeCloseTo(990, -1)
    expect(s.maxUs).toBeCloseTo(1000, -1)
    expect(s.meanUs).toBeCloseTo(500.5, -1)
  })

  it('is all zeros when empty, and merges recorders', () => {
    const a = new LatencyRecorder()
    expect(a.summary()).toEqual({ count: 0, meanUs: 0, p50Us: 0, p90Us: 0, p99Us: 0, maxUs: 0 })
    const b = new LatencyRecorder()
    a.recordMs(1)
    b.recordMs(3)
    b.recordMs(-1) // a clock step backwards counts as the smallest value, not an exception
    a.merge(b)
    expect(a.count).toBe(3)
    expect(a.summary().maxUs).toBeCloseTo(3000, -1)
  })
})

describe('bench events', () => {
  it('round-trips every event type through one NDJSON line', () => {
    const events = [
      { type: 'plan', steps: 3 },
      { type: 'step', index: 0, id: 'tcp.upper.c1', subject: 'netlab', seconds: 3 },
      { type: 'mark', phase: 'start', id: 'tcp.upper.c1', subject: 'netlab', host: 'tcp' },
      { type: 'mark', phase: 'end', id: 'tcp.upper.c1', subject: 'node net', host: 'baseline-net' },
      { type: 'failed', id: 'x', subject: 'netlab', message: 'boom' },
      { type: 'done' },
    ] as const
    for (const e of events) {
      const line = encodeEvent(e)
      expect(line.endsWith('\n')).toBe(true)
      expect(parseEvent(line.trimEnd())).toEqual(e)
    }
  })

  it('says why a line is not an event', () => {
    expect(String(parseEvent('hello'))).toBe('Error: not JSON: hello')
    expect(String(parseEvent('{"type":"plan"}'))).toMatch(
      /^Error: not a bench event \(.+\): \{"type":"plan"\}$/,
    )
  })
})

describe('parseHead', () => {
  it('reads the status and Content-Length, any header case', () => {
    expect(parseHead('HTTP/1.1 200 OK\r\nContent-Type: text/html\r\ncontent-length: 18')).toEqual({
      status: 200,
      bodyBytes: 18,
      close: false,
    })
  })

  it('says whether the server ends the connection after this response', () => {
    const close = (head: string) => (parseHead(head) as { close?: boolean }).close
    expect(close('HTTP/1.1 200 OK\r\nContent-Length: 1\r\nConnection: close')).toBe(true)
    expect(close('HTTP/1.1 200 OK\r\nconnection:close\r\nContent-Length: 1')).toBe(true)
    expect(close('HTTP/1.1 200 OK\r\nContent-Length: 1\r\nConnection: keep-alive')).toBe(false)
    expect(close('HTTP/1.0 200 OK\r\nContent-Length: 1')).toBe(true)
    expect(close('HTTP/1.0 200 OK\r\nContent-Length: 1\r\nConnection: keep-alive')).toBe(false)
  })

  it('refuses a chunked reply and a non-HTTP line', () => {
    expect(parseHead('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked')).toEqual({
      error: 'response without Content-Length (chunked replies are not read by the bench)',
    })
    expect(parseHead('SSH-2.0-OpenSSH')).toEqual({ error: 'not an HTTP/1.x status line: "SSH-2.0-OpenSSH"' })
  })
})

describe('table', () => {
  const measurements: Measurement[] = [
    {
      id: 'tcp.upper.c32',
      group: 'tcp',
      title: 'TCP upper, 64 B round trips, 32 connections',
      subject: 'netlab',
      role: 'netlab',
      concurrency: 32,
      durationS: 3,
      ops: 183_702,
      errors: 0,
      throughput: 61_234,
      unit: 'ops/s',
      latency: { count: 183_702, meanUs: 510, p50Us: 492, p90Us: 700.4, p99Us: 1500, maxUs: 9000 },
      extra: {},
      cpu: { serverUs: 2_590_000, perOpUs: 14.1 },
    },
    {
      id: 'tcp.upper.c32',
      group: 'tcp',
      title: 'TCP upper, 64 B round trips, 32 connections',
      subject: 'node net',
      role: 'baseline',
      concurrency: 32,
      durationS: 3,
      ops: 146_703,
      errors: 0,
      throughput: 48_901,
      unit: 'ops/s',
      extra: {},
      cpu: { serverUs: 1_745_000, perOpUs: 11.9 },
    },
    {
      id: 'tcp.upper.c32',
      group: 'tcp',
      title: 'TCP upper, 64 B round trips, 32 connections',
      subject: 'netlab TCP_WORKERS=1',
      role: 'variant',
      concurrency: 32,
      durationS: 3,
      ops: 200_000,
      errors: 0,
      throughput: 66_666,
      unit: 'ops/s',
      latency: { count: 200_000, meanUs: 480, p50Us: 450, p90Us: 600, p99Us: 1400, maxUs: 8000 },
      extra: {},
      cpu: { serverUs: 2_400_000, perOpUs: 12 },
    },
  ]
  const result: BenchResult = {
    version: 1,
    startedAt: '2026-11-21T17:05:12.000Z',
    finishedAt: '2026-11-21T17:09:12.000Z',
    stepSeconds: 3,
    smoke: false,
    pinning: null,
    machine: {
      hostname: 'h',
      cores: 2,
      cpuModel: 'cpu',
      memoryBytes: 1,
      kernel: '6.1',
      node: 'v24.21.0',
      docker: '26',
      commit: '0123456789abcdef',
      dirty: false,
      images: {},
    },
    measurements,
    comparisons: compare(measurements),
    targets: judgeTargets(measurements, { judge: true }),
  }

  it('prints one row per netlab figure and baseline: ratio, CPU per exchange and their ratio', () => {
    const lines = renderTable(result).split('\n')
    expect(lines.slice(0, 4)).toEqual([
      'netlab bench 2026-11-21T17:05:12.000Z, 3 s per step, 2 cores, unpinned, v24.21.0, commit 0123456789ab',
      '',
      'id             title                                          netlab  baseline  vs        ratio  cpu µs/op  cpu ratio  p50 µs  p90 µs  p99 µs  max µs  errors',
      'tcp.upper.c32  TCP upper, 64 B round trips, 32 connections  61 234/s  48 901/s  node net  1.25x  14.1/11.9      1.19x     492     700    1500    9000     0/0',
    ])
  })

  it('prints the threads figures beside the default, and every target with what was measured', () => {
    const text = renderTable(result)
    expect(text).toContain(
      [
        'id             server                    throughput  vs default  cpu µs/op  p50 µs  p99 µs  errors',
        'tcp.upper.c32  netlab (default workers)    61 234/s       1.00x       14.1     492    1500       0',
        'tcp.upper.c32  netlab TCP_WORKERS=1        66 666/s       1.09x       12.0     450    1400       0',
      ].join('\n'),
    )
    expect(text).toMatch(/\nmet +tcp\.upper\.c32 +>= 0\.95x node net +1\.25x \(61 234\/s vs 48 901\/s\)\n/)
    expect(text).toMatch(
      /\nMISSED +tcp\.upper\.c32 +server CPU\/exchange <= 1\.1x node net +1\.19x \(14\.1 µs vs 11\.9 µs\)\n/,
    )
    expect(text).toMatch(/\nnot measured +http\.get\.c32 +>= 0\.95x node http +not measured\n/)
    expect(text).toMatch(/\ntargets: 1 met, 1 missed, \d+ not judged\n$/)
  })

  it('formats rates', () => {
    expect(formatRate(undefined)).toBe('-')
    expect(formatRate({ ...(measurements[0] as Measurement), throughput: 12.345 })).toBe('12.3/s')
  })
})
