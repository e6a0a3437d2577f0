/**
 * The lab on Docker Swarm (deploy/swarm/stack.yml), on a throwaway stack of its own, so it
 * runs beside a `make swarm-up` stack or a compose lab. It proves what a user of the stack
 * relies on: every protocol answers through the client on the overlay (UDP included);
 * connections spread over the replicas; a killed replica is replaced while the service keeps
 * answering; a rolling update loses no request of a client that retries its connects as the
 * lab's client does (NETLAB_CONNECT_RETRY_MS); rpc's data survives its task being replaced;
 * and teardown leaves nothing behind, the swarm as it was found.
 * Set NETLAB_SWARM_TESTS=0 to skip it; it also skips on a swarm worker (it cannot deploy).
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadSwarmConfig } from '../../deploy/swarm/config.ts'
import { docker, dockerLines, dockerSucceeds } from '../../deploy/swarm/docker.ts'
import { ensureSwarm, LOST_ENDPOINT, leaveIfCreated, swarmState } from '../../deploy/swarm/engine.ts'
import {
  chooseSubnet,
  deployStack,
  ensureSecret,
  leftovers,
  removeStack,
  stackReplicas,
  waitConverged,
  waitUpdated,
} from '../../deploy/swarm/stack.ts'
import { SwarmSession, TcpLoop, whoamiHost } from '../support/swarm-session.ts'

const stack = `netlab-swarmtest-${randomUUID().slice(0, 8)}`
const config = loadSwarmConfig({ ...process.env, SWARM_STACK: stack, SWARM_REPLICAS: '2', SWARM_SUBNET: '' })
const authkey = randomBytes(24).toString('hex')
const quiet = () => {}

/** The engine's swarm-related state, which teardown must leave as it was. */
async function engineState() {
  return {
    swarm: (await swarmState()).state,
    gwbridge: await dockerSucceeds(['network', 'inspect', 'docker_gwbridge']),
    ingress: await dockerSucceeds(['network', 'inspect', 'ingress']),
  }
}

async function skipReason(): Promise<string | false> {
  if (process.env.NETLAB_SWARM_TESTS === '0') return 'NETLAB_SWARM_TESTS=0'
  const state = await swarmState()
  if (state.state === 'active' && !state.isManager) return 'this engine is a swarm worker'
  return false
}

/** tcpContainers lists the IDs (= hostnames, as WHOAMI names them) of the tcp replicas running here. */
const tcpContainers = () =>
  dockerLines(['ps', '--filter', `label=com.docker.swarm.service.name=${stack}_tcp`, '--format', '{{.ID}}'])

async function until(
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = performance.now() + timeoutMs
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`)
    await sleep(200)
  }
}

const skip = await skipReason()
// Bounds are generous: on a quiet 2-core machine each step takes seconds, but under a load
// average of 80 (other suites on the same engine) a replica took up to 110 s to start healthy.
const figures: Record<string, unknown> = {}

describe.skipIf(skip)(
  `the lab on Docker Swarm${skip ? ` (skipped: ${skip})` : ''}`,
  { timeout: 240_000 },
  () => {
    let before: Awaited<ReturnType<typeof engineState>>
    let placement: { subnet: string; rpcNode: string }
    let session: SwarmSession
    let tornDown = false

    beforeAll(async () => {
      before = await engineState()
      const started = performance.now()
      await ensureSwarm(config.advertiseAddr, quiet)
      placement = { subnet: await chooseSubnet(stack, ''), rpcNode: (await swarmState()).hostname }
      await ensureSecret(stack, authkey)
      await deployStack(config, placement)
      await waitConverged(stack, 280_000, quiet)
      figures.convergeS = Math.round((performance.now() - started) / 100) / 10
      session = new SwarmSession(config, authkey)
    }, 300_000)

    afterAll(async () => {
      await session?.[Symbol.asyncDispose]()
      if (!tornDown) {
        await removeStack(stack, quiet)
        await leaveIfCreated(quiet)
      }
      console.info(`swarm figures: ${JSON.stringify(figures)}`)
    }, 120_000)

    it('answers every protocol through the client on the overlay, UDP and the faults proxy included', async () => {
      const cases: [string, Record<string, unknown>][] = [
        ['tcp upper hello swarm', { reply: 'HELLO SWARM' }],
        ['tcp echo some bytes', { reply: 'some bytes' }],
        ['tcp cmd PING', { replies: ['OK PONG'] }],
        ['udp hello Ann', { reply: 'Hello, Ann!' }],
        ['udp sntp', { proto: 'sntp', stratum: 1, answered: 1 }],
        ['udp rfc868', { proto: 'rfc868', answered: 1 }],
        ['udp probe --count 20 --rate 200', { sent: 20, received: 20 }],
        ['http get /get', { status: 200 }],
        ['rpc call add 2 3 --via xmlrpc', { result: 5 }],
        ['rpc call add 2 3 --via jsonrpc', { result: 5 }],
        // production mode: the key is the stack's Docker secret, which the client was given
        ['rpc call add 2 3 --via mpconn', { result: 5 }],
        ['tcp upper --host faults --port 19999 through the proxy', { reply: 'THROUGH THE PROXY' }],
        ['udp hello --host faults --port 19999 Bob', { reply: 'Hello, Bob!' }],
      ]
      for (const [command, expected] of cases)
        expect(await session.run(command), command).toMatchObject(expected)
      expect(await session.run('udp time')).toMatchObject({ reply: expect.stringMatching(/^\w{3} \w{3} /) })
    })

    it('spreads connections over both tcp replicas (WHOAMI names each container)', async () => {
      const hosts: string[] = []
      for (let i = 0; i < 24; i++) hosts.push(whoamiHost(await session.run('tcp cmd WHOAMI')) ?? 'none')
      const replicas = await tcpContainers()
      expect(new Set(hosts)).toEqual(new Set(replicas))
      figures.spread = Object.fromEntries(replicas.map((r) => [r, hosts.filter((h) => h === r).length]))
    })

    it('replaces a killed tcp replica while the service keeps answering', async () => {
      const replicas = await tcpContainers()
      const victim = replicas[0] as string
      const loop = new TcpLoop(session)
      await until(() => loop.tally.sent >= 5, 30_000, 'the loop started')
      const killedAt = performance.now()
      await docker(['kill', victim])
      let replacement: string | undefined
      await until(
        async () => {
          const now = await tcpContainers()
          replacement = now.find((c) => !replicas.includes(c))
          return (
            (await stackReplicas(stack)).get('tcp')?.running === 2 &&
            replacement !== undefined &&
            !now.includes(victim)
          )
        },
        180_000,
        'a healthy replacement',
      )
      figures.healS = Math.round((performance.now() - killedAt) / 100) / 10
      await until(() => loop.tally.hosts.has(replacement as string), 20_000, 'the replacement answered')
      const tally = await loop.stop()
      figures.kill = { sent: tally.sent, failed: tally.failed, failures: tally.failures }
      // a request in flight on the killed replica's connection at the instant of SIGKILL can be
      // lost (no client can save it); every other request is answered
      expect(tally.failed, tally.failures.join('\n')).toBeLessThanOrEqual(1)
      expect(tally.sent - tally.failed).toBeGreaterThan(10)
    })

    it('rolls out a changed variable one replica at a time, and a retrying client sees no failed request', async () => {
      const old = await tcpContainers()
      const loop = new TcpLoop(session)
      await until(() => loop.tally.sent >= 5, 30_000, 'the loop started')
      const started = performance.now()
      await deployStack(config, placement, { TCP_MAX_CONNECTIONS: '999' })
      expect(await waitUpdated(`${stack}_tcp`, 220_000)).toBe('completed')
      figures.rolloutS = Math.round((performance.now() - started) / 100) / 10
      const fresh = await tcpContainers()
      expect(fresh.filter((c) => old.includes(c))).toEqual([])
      await until(() => fresh.every((c) => loop.tally.hosts.has(c)), 20_000, 'both new replicas answered')
      const tally = await loop.stop()
      figures.rollout = { sent: tally.sent, failed: tally.failed }
      expect(tally.failed, tally.failures.join('\n')).toBe(0)
      const env = await docker([
        'service',
        'inspect',
        `${stack}_tcp`,
        '--format',
        '{{json .Spec.TaskTemplate.ContainerSpec.Env}}',
      ])
      expect(JSON.parse(env)).toContain('TCP_MAX_CONNECTIONS=999')
    })

    it("keeps rpc's store on its volume when its task is replaced (stop-first)", async () => {
      expect(await session.run('rpc call set swarm-key kept --via mpconn')).not.toHaveProperty('error')
      await docker(['service', 'update', '--force', '--detach', `${stack}_rpc`])
      expect(await waitUpdated(`${stack}_rpc`, 220_000)).toBe('completed')
      expect(await session.run('rpc call get swarm-key --via mpconn')).toMatchObject({ result: 'kept' })
    })

    it('tears down to nothing: no service, network, volume, secret or container; the swarm as found', async () => {
      await session[Symbol.asyncDispose]()
      const started = performance.now()
      await removeStack(stack, quiet)
      const said: string[] = []
      await leaveIfCreated((line) => said.push(line))
      tornDown = true
      figures.teardownS = Math.round((performance.now() - started) / 100) / 10
      expect(await leftovers(stack)).toEqual({
        services: [],
        networks: [],
        volumes: [],
        secrets: [],
        containers: [],
      })
      if (said.some((line) => line.includes(LOST_ENDPOINT))) {
        // Docker 20.10's lost endpoint (deploy/swarm/engine.ts): the bridge stays, said, with
        // nothing attached; everything else is as found
        expect(await engineState()).toEqual({ ...before, gwbridge: true })
        expect(
          await docker(['network', 'inspect', 'docker_gwbridge', '--format', '{{json .Containers}}']),
        ).toBe('{}')
      } else expect(await engineState()).toEqual(before)
    })
  },
)
