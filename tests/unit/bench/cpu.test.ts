/**
 * Server CPU per exchange (bench/cpu.ts): the cgroup and Engine API readings parsed, the
 * per-exchange arithmetic with its refusals, and CpuMeter falling back to the Engine API
 * (a real HTTP server on a unix socket standing in for dockerd) and remembering its source.
 */
import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  CpuMeter,
  cgroupPaths,
  cpuPerExchange,
  parseCpuacctUsage,
  parseCpuStat,
  parseDockerStats,
} from '../../../bench/cpu.ts'

describe('parsing a container cgroup usage', () => {
  it('reads cgroup v2 cpu.stat usage_usec', () => {
    expect(parseCpuStat('usage_usec 123456\nuser_usec 100000\nsystem_usec 23456\nnr_periods 0\n')).toBe(
      123_456,
    )
    expect(parseCpuStat('user_usec 100000\n')).toBeUndefined()
    expect(parseCpuStat('')).toBeUndefined()
  })

  it('reads cgroup v1 cpuacct.usage (ns) as µs', () => {
    expect(parseCpuacctUsage('57189423\n')).toBe(57_189)
    expect(parseCpuacctUsage('n/a')).toBeUndefined()
  })

  it('reads the Engine API stats total_usage (ns) as µs', () => {
    expect(parseDockerStats({ cpu_stats: { cpu_usage: { total_usage: 2_000_500 } } })).toBe(2000)
    expect(parseDockerStats({ cpu_stats: {} })).toBeUndefined()
    expect(parseDockerStats({ cpu_stats: { cpu_usage: { total_usage: -1 } } })).toBeUndefined()
    expect(parseDockerStats(null)).toBeUndefined()
  })

  it('looks in the cgroupfs and systemd drivers layouts, v2 and v1', () => {
    expect(cgroupPaths('abc', '/cg')).toEqual([
      '/cg/system.slice/docker-abc.scope/cpu.stat',
      '/cg/docker/abc/cpu.stat',
      '/cg/cpuacct/docker/abc/cpuacct.usage',
      '/cg/cpu,cpuacct/docker/abc/cpuacct.usage',
      '/cg/cpuacct/system.slice/docker-abc.scope/cpuacct.usage',
      '/cg/cpu,cpuacct/system.slice/docker-abc.scope/cpuacct.usage',
    ])
  })
})

describe('cpuPerExchange', () => {
  it('divides the CPU spent over the step by its exchanges', () => {
    expect(cpuPerExchange(1_000_000, 1_300_000, 20_000)).toEqual({ serverUs: 300_000, perOpUs: 15 })
    expect(cpuPerExchange(0, 1000, 3)).toEqual({ serverUs: 1000, perOpUs: 333.333 })
  })

  it('records nothing without both readings, without exchanges, or when the counter went back (a restart)', () => {
    expect(cpuPerExchange(undefined, 10, 1)).toBeUndefined()
    expect(cpuPerExchange(10, undefined, 1)).toBeUndefined()
    expect(cpuPerExchange(10, 20, 0)).toBeUndefined()
    expect(cpuPerExchange(20, 10, 5)).toBeUndefined()
  })
})

describe('CpuMeter', () => {
  let dir: string
  let server: Server
  let socket: string
  const paths: string[] = []
  let usageNs = 5_000_000

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'netlab-cpu-'))
    socket = join(dir, 'docker.sock')
    server = createServer((req, res) => {
      paths.push(req.url ?? '')
      if (req.url?.startsWith('/containers/known-')) {
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ cpu_stats: { cpu_usage: { total_usage: usageNs } } }))
      } else {
        res.writeHead(404, { 'content-type': 'application/json' })
        res.end('{"message":"No such container"}')
      }
    })
    server.listen(socket)
    await once(server, 'listening')
  })
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve))
    await rm(dir, { recursive: true, force: true })
  })

  it('falls back to the Engine API one-shot stats, and asks it directly after', async () => {
    const meter = new CpuMeter({ dockerSocket: socket })
    const id = `known-${process.pid}`
    expect(await meter.read(id)).toBe(5000)
    expect(meter.sourceOf(id)).toBe('api')
    usageNs = 7_500_000
    expect(await meter.read(id)).toBe(7500)
    expect(paths.filter((p) => p === `/containers/${id}/stats?stream=false&one-shot=true`)).toHaveLength(2)
  }, 30_000)

  it('says undefined for a container no source knows, and does not ask again', async () => {
    const meter = new CpuMeter({ dockerSocket: socket })
    const id = `missing-${process.pid}`
    expect(await meter.read(id)).toBeUndefined()
    expect(meter.sourceOf(id)).toBe('none')
    const asked = paths.length
    expect(await meter.read(id)).toBeUndefined()
    expect(paths.length).toBe(asked)
  }, 30_000)
})
