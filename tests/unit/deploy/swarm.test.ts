/** The swarm tooling's pure parts: the overlay subnet choice, its variables, the client's docker run. */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { clientRunArgs } from '../../../deploy/swarm/client.ts'
import { loadSwarmConfig, swarmConfigSpec } from '../../../deploy/swarm/config.ts'
import { isConverged } from '../../../deploy/swarm/stack.ts'
import {
  candidateSubnets,
  formatCidr,
  overlaps,
  parseCidr,
  pickSubnet,
} from '../../../deploy/swarm/subnet.ts'
import { ConfigError } from '../../../lib/errors.ts'

describe('subnets', () => {
  it.each([
    ['172.16.240.0/24', '172.16.240.0/24'],
    ['172.17.5.9/16', '172.17.0.0/16'],
    ['10.0.0.1', '10.0.0.1/32'],
  ])('parses %s as %s', (text, normal) => {
    const c = parseCidr(text)
    expect(c && formatCidr(c)).toBe(normal)
  })

  it.each(['fd00::/64', '172.16.0.0/33', '300.1.1.1/8', 'lab'])('ignores %s', (text) => {
    expect(parseCidr(text)).toBeUndefined()
  })

  it('tells overlapping networks from adjacent ones', () => {
    const c = (t: string) => parseCidr(t) as NonNullable<ReturnType<typeof parseCidr>>
    expect(overlaps(c('172.16.0.0/12'), c('172.16.240.0/24'))).toBe(true)
    expect(overlaps(c('172.16.240.0/24'), c('172.16.240.128/25'))).toBe(true)
    expect(overlaps(c('172.16.240.0/24'), c('172.16.241.0/24'))).toBe(false)
    expect(overlaps(c('172.17.0.0/16'), c('172.16.0.0/16'))).toBe(false)
  })

  it('picks 172.16.240.0/24 on an engine with only the default bridge', () => {
    expect(pickSubnet(['172.17.0.0/16', '192.0.2.0/24'])).toBe('172.16.240.0/24')
  })

  it('skips every /24 a network or route overlaps, IPv6 subnets aside', () => {
    expect(pickSubnet(['172.16.240.0/23', '172.16.242.7/32', 'fd00::/64'])).toBe('172.16.243.0/24')
  })

  it('keeps 172.16.0.0/24 for the ingress, and has nothing when 172.16/16 is a LAN', () => {
    expect(candidateSubnets()).not.toContain('172.16.0.0/24')
    expect(candidateSubnets()).toHaveLength(255)
    expect(pickSubnet(['172.16.0.0/12'])).toBeUndefined()
  })
})

describe('loadSwarmConfig', () => {
  it('has the documented defaults', () => {
    expect(loadSwarmConfig({})).toMatchObject({
      stack: 'netlab-swarm',
      tag: 'dev',
      replicas: 2,
      subnet: '',
      publish: '0',
      advertiseAddr: '127.0.0.1',
      connectRetryMs: 15_000,
    })
  })

  it('is documented in docs/swarm.md, every variable in its table', () => {
    const doc = readFileSync(join(import.meta.dirname, '..', '..', '..', 'docs', 'swarm.md'), 'utf8')
    for (const spec of Object.values(swarmConfigSpec)) expect(doc).toContain(`\n| ${spec.name} | `)
  })

  it('names every bad variable at once', () => {
    let problems: readonly string[] = []
    try {
      loadSwarmConfig({
        SWARM_STACK: 'My_Stack',
        SWARM_REPLICAS: '0',
        SWARM_SUBNET: '172.16.1.0',
        SWARM_PUBLISH: 'yes',
      })
    } catch (err) {
      if (err instanceof ConfigError) problems = err.problems
    }
    expect(problems).toEqual([
      'SWARM_REPLICAS="0": expected an integer from 1 to 32',
      'SWARM_PUBLISH="yes": expected one of 0, 1',
    ])
    expect(() => loadSwarmConfig({ SWARM_STACK: 'My_Stack', SWARM_SUBNET: '172.16.1.0' })).toThrow(
      expect.objectContaining({
        problems: [
          'SWARM_STACK="My_Stack": expected 1 to 40 of a-z, 0-9 and -',
          'SWARM_SUBNET="172.16.1.0": expected an IPv4 subnet such as 172.16.240.0/24',
        ],
      }),
    )
  })
})

describe('the client container', () => {
  it('runs hardened on the stack overlay, the authkey passed by name only', () => {
    const args = clientRunArgs(
      { stack: 'netlab-swarm', tag: 'dev', connectRetryMs: 15_000 },
      ['tcp', 'upper', 'hi'],
      {
        tty: false,
      },
    )
    expect(args.join(' ')).toBe(
      'run --rm -i --network netlab-swarm_overlay --label netlab.swarm.stack=netlab-swarm --read-only ' +
        '--cap-drop ALL --security-opt no-new-privileges:true --user 1000:1000 --tmpfs /tmp:size=16m ' +
        '--memory 512m --pids-limit 256 -e RPC_AUTHKEY -e NETLAB_CONNECT_RETRY_MS=15000 netlab-client:dev tcp upper hi',
    )
  })
})

describe('isConverged', () => {
  const all = (running: number) =>
    new Map(
      ['tcp', 'udp', 'http', 'rpc', 'faults'].map((s) => [
        s,
        { running, desired: s === 'rpc' ? 1 : running },
      ]),
    )
  it('is true only when every service runs all its replicas', () => {
    expect(isConverged(all(1))).toBe(true)
    expect(isConverged(new Map([...all(1), ['tcp', { running: 1, desired: 2 }]]))).toBe(false)
    expect(isConverged(new Map([...all(1)].filter(([s]) => s !== 'faults')))).toBe(false)
    expect(isConverged(all(0))).toBe(false)
  })
})
