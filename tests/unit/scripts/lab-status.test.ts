/** `make ps`: one row per port, examples by port and protocol, never wider than 120 columns. */
import { describe, expect, it } from 'vitest'
import { formatTable, labServices, MAX_COLUMNS, type PsRow } from '../../../scripts/lab-status.ts'

const pub = (TargetPort: number, PublishedPort: number, Protocol = 'tcp') => ({
  URL: '127.0.0.1',
  TargetPort,
  PublishedPort,
  Protocol,
})
const rows: PsRow[] = [
  {
    Name: 'netlab-udp-1',
    Service: 'udp',
    State: 'running',
    Health: 'healthy',
    Publishers: [pub(9000, 9000, 'udp'), pub(9000, 9000, 'udp'), pub(123, 12300, 'udp')],
  },
  {
    Name: 'netlab-http-1',
    Service: 'http',
    State: 'running',
    Health: 'starting',
    Publishers: [pub(8080, 32768)],
  },
  {
    Name: 'netlab-faults-1',
    Service: 'faults',
    State: 'running',
    Health: 'healthy',
    Publishers: [pub(19999, 19999), pub(19999, 19999, 'udp')],
  },
]

describe('lab status', () => {
  const services = labServices(rows, (name) => (name === 'netlab-udp-1' ? '172.20.0.3' : '172.20.0.4'))

  it('lists each port once, in order, with the example for its port and protocol', () => {
    expect(services.map((s) => s.service)).toEqual(['faults', 'http', 'udp'])
    expect(services[2]?.ports).toEqual([
      { port: 123, protocol: 'udp', host: '127.0.0.1:12300', example: 'client udp sntp' },
      {
        port: 9000,
        protocol: 'udp',
        host: '127.0.0.1:9000',
        example: 'client udp probe --count 2000 --rate 1000',
      },
    ])
    expect(services[0]?.ports.map((p) => p.example)).toEqual([
      'client tcp upper --host faults --port 19999 hi',
      null,
    ])
    expect(services[1]?.ports[0]?.example).toBe('curl -s 127.0.0.1:32768/get?name=Dave')
  })

  it('prints rows that fit 120 columns', () => {
    const table = formatTable(services)
    expect(table.split('\n')[0]).toMatch(/^SERVICE +STATE +CONTAINER ADDRESS +HOST PORT +EXAMPLE$/)
    expect(table).toContain('udp      healthy   172.20.0.3:9000/udp   127.0.0.1:9000/udp')
    for (const line of table.split('\n')) expect(line.length).toBeLessThanOrEqual(MAX_COLUMNS)
    const wide = labServices([{ ...rows[1], Service: 'x'.repeat(130) } as PsRow], () => '10.0.0.1')
    for (const line of formatTable(wide).split('\n')) expect(line.length).toBeLessThanOrEqual(MAX_COLUMNS)
  })
})
