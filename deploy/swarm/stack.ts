/**
 * The stack's life: deploy (subnet, secret, images checked first), wait until every replica
 * runs healthy, and remove with everything it made (services, network, volume, secret, client
 * containers). Every object carries the stack's namespace label, which is how they are found.
 */
import { randomBytes } from 'node:crypto'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { authkeyPath, CLIENT_LABEL, networkName } from './client.ts'
import type { SwarmConfig } from './config.ts'
import { docker, dockerLines, dockerSucceeds } from './docker.ts'
import { takenSubnets } from './engine.ts'
import { pickSubnet } from './subnet.ts'

/** The services of the stack, as named in stack.yml. */
export const SERVICES = ['tcp', 'udp', 'http', 'rpc', 'faults'] as const
/** The label Swarm puts on a stack's services, networks, volumes and secrets (and netlab on its secret). */
export const NAMESPACE_LABEL = 'com.docker.stack.namespace'
const STACK_FILE = join(import.meta.dirname, 'stack.yml')
const PUBLISH_FILE = join(import.meta.dirname, 'publish.yml')

const byStack = (stack: string) => ['--filter', `label=${NAMESPACE_LABEL}=${stack}`]
/** secretName is the rpc authkey's Docker secret. */
export const secretName = (stack: string) => `${stack}_rpc_authkey`

/** checkImages throws naming every image of the stack that is not on this engine. */
export async function checkImages(tag: string): Promise<void> {
  const missing: string[] = []
  for (const name of [...SERVICES, 'client']) {
    const image = `netlab-${name}:${tag}`
    if (!(await dockerSucceeds(['image', 'inspect', image]))) missing.push(image)
  }
  if (missing.length > 0) throw new Error(`missing images ${missing.join(', ')}: run \`make images\` first`)
}

/**
 * chooseSubnet is the overlay's subnet: the existing network's on a re-deploy, else
 * SWARM_SUBNET if it overlaps nothing, else the first free /24 (subnet.ts).
 */
export async function chooseSubnet(stack: string, requested: string): Promise<string> {
  const net = networkName(stack)
  if (await dockerSucceeds(['network', 'inspect', net])) {
    const current = await docker([
      'network',
      'inspect',
      net,
      '--format',
      '{{range .IPAM.Config}}{{.Subnet}}{{end}}',
    ])
    if (requested !== '' && requested !== current)
      throw new Error(
        `${net} exists with subnet ${current}; \`make swarm-down\` first to use SWARM_SUBNET=${requested}`,
      )
    return current
  }
  const taken = await takenSubnets()
  if (requested !== '') {
    if (pickSubnet(taken, [requested]) === undefined)
      throw new Error(`SWARM_SUBNET=${requested} overlaps a Docker network or a host route; choose another`)
    return requested
  }
  const free = pickSubnet(taken)
  if (free === undefined) throw new Error('no free /24 in 172.16.0.0/16: set SWARM_SUBNET to a free subnet')
  return free
}

/**
 * ensureSecret creates the authkey secret if it does not exist: from RPC_AUTHKEY if set, else
 * 32 random bytes (hex), kept for the client in .build/swarm/<stack>.authkey (mode 0600).
 * Resolves with whether it created it. A Docker secret cannot change: swarm-down removes it.
 */
export async function ensureSecret(stack: string, authkey: string | undefined): Promise<boolean> {
  const name = secretName(stack)
  if (await dockerSucceeds(['secret', 'inspect', name])) return false
  const key = authkey || randomBytes(32).toString('hex')
  await docker(['secret', 'create', '--label', `${NAMESPACE_LABEL}=${stack}`, name, '-'], { input: key })
  if (!authkey) {
    const path = authkeyPath(stack)
    await mkdir(dirname(path), { recursive: true, mode: 0o700 })
    await writeFile(path, key, { mode: 0o600 })
  }
  return true
}

/** deployStack runs `docker stack deploy` with the variables stack.yml reads (`env` adds more). */
export async function deployStack(
  config: SwarmConfig,
  placement: { subnet: string; rpcNode: string },
  env: Readonly<Record<string, string>> = {},
): Promise<void> {
  const files = ['-c', STACK_FILE, ...(config.publish === '1' ? ['-c', PUBLISH_FILE] : [])]
  await docker(
    ['stack', 'deploy', '--detach=true', '--resolve-image', 'never', '--prune', ...files, config.stack],
    {
      env: {
        NETLAB_TAG: config.tag,
        SWARM_STACK: config.stack,
        SWARM_REPLICAS: String(config.replicas),
        SWARM_SUBNET: placement.subnet,
        SWARM_RPC_NODE: placement.rpcNode,
        ...env,
      },
    },
  )
}

/** Replicas is how many tasks of a service run (healthy: a task with a health check runs once healthy), of how many. */
export interface Replicas {
  readonly running: number
  readonly desired: number
}

/** stackReplicas maps each service of the stack (short name) to its replicas. */
export async function stackReplicas(stack: string): Promise<Map<string, Replicas>> {
  const lines = await dockerLines([
    'service',
    'ls',
    ...byStack(stack),
    '--format',
    '{{.Name}}\t{{.Replicas}}',
  ])
  const out = new Map<string, Replicas>()
  for (const line of lines) {
    const [name = '', replicas = ''] = line.split('\t')
    const m = /^(\d+)\/(\d+)/.exec(replicas)
    if (m) out.set(name.slice(stack.length + 1), { running: Number(m[1]), desired: Number(m[2]) })
  }
  return out
}

/** isConverged is whether every service of the stack runs all its replicas. */
export function isConverged(replicas: ReadonlyMap<string, Replicas>): boolean {
  return SERVICES.every((s) => {
    const r = replicas.get(s)
    return r !== undefined && r.desired > 0 && r.running === r.desired
  })
}

/** waitConverged polls until every replica runs healthy; resolves with the ms it took. */
export async function waitConverged(
  stack: string,
  timeoutMs: number,
  say: (line: string) => void,
): Promise<number> {
  const started = performance.now()
  let lastSaid = started
  for (;;) {
    const replicas = await stackReplicas(stack)
    if (isConverged(replicas)) return performance.now() - started
    const now = performance.now()
    const total = [...replicas.values()].reduce(
      (n, r) => ({ running: n.running + r.running, desired: n.desired + r.desired }),
      {
        running: 0,
        desired: 0,
      },
    )
    if (now - started > timeoutMs) {
      const errors = await dockerLines([
        'stack',
        'ps',
        stack,
        '--no-trunc',
        '--filter',
        'desired-state=running',
        '--format',
        '{{.Name}} {{.CurrentState}} {{.Error}}',
      ]).catch(() => [])
      throw new Error(
        `not every replica ran healthy within ${Math.round(timeoutMs / 1000)} s (${total.running}/${total.desired}):\n  ${errors.join('\n  ')}`,
      )
    }
    if (now - lastSaid >= 5000) {
      say(`swarm: ${total.running}/${total.desired} replicas running healthy...`)
      lastSaid = now
    }
    await sleep(500)
  }
}

/**
 * waitUpdated polls a service's rolling update until it ends; resolves with its final state
 * (`completed`, `rollback_completed`, `paused`, ...).
 */
export async function waitUpdated(service: string, timeoutMs: number): Promise<string> {
  const started = performance.now()
  for (;;) {
    const state = await docker([
      'service',
      'inspect',
      service,
      '--format',
      '{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}',
    ])
    if (state !== '' && state !== 'updating' && state !== 'rollback_started') return state
    if (performance.now() - started > timeoutMs)
      throw new Error(`${service}: update still "${state}" after ${timeoutMs} ms`)
    await sleep(250)
  }
}

/** Leftovers are the objects of a stack still on this engine, by kind. */
export interface Leftovers {
  readonly services: string[]
  readonly networks: string[]
  readonly volumes: string[]
  readonly secrets: string[]
  readonly containers: string[]
}

/** leftovers lists what of the stack is still on this engine. */
export async function leftovers(stack: string): Promise<Leftovers> {
  const swarm = (await docker(['info', '--format', '{{.Swarm.LocalNodeState}}'])) === 'active'
  return {
    services: swarm ? await dockerLines(['service', 'ls', ...byStack(stack), '--format', '{{.Name}}']) : [],
    networks: await dockerLines(['network', 'ls', ...byStack(stack), '--format', '{{.Name}}']),
    volumes: await dockerLines(['volume', 'ls', ...byStack(stack), '--format', '{{.Name}}']),
    secrets: swarm ? await dockerLines(['secret', 'ls', ...byStack(stack), '--format', '{{.Name}}']) : [],
    containers: [
      ...(await dockerLines(['ps', '-a', ...byStack(stack), '--format', '{{.Names}}'])),
      ...(await dockerLines([
        'ps',
        '-a',
        '--filter',
        `label=${CLIENT_LABEL}=${stack}`,
        '--format',
        '{{.Names}}',
      ])),
    ],
  }
}

/**
 * removeStack removes the stack and waits until its containers are gone, then removes its
 * network, volume, secret, client containers and kept authkey. Idempotent.
 */
export async function removeStack(stack: string, say: (line: string) => void): Promise<void> {
  const swarm = (await docker(['info', '--format', '{{.Swarm.LocalNodeState}}'])) === 'active'
  if (swarm && (await leftovers(stack)).services.length > 0) {
    await docker(['stack', 'rm', stack])
    say(`swarm: removed the services of stack ${stack}`)
  }
  const clients = await dockerLines(['ps', '-aq', '--filter', `label=${CLIENT_LABEL}=${stack}`])
  if (clients.length > 0) await docker(['rm', '-f', ...clients])
  // a stopping task keeps its container (and its volume and network) for its grace period
  for (let waited = 0; ; waited += 250) {
    const left = await leftovers(stack)
    if (left.containers.length === 0 && left.services.length === 0) break
    if (waited > 60_000)
      throw new Error(`stack ${stack}: containers still there after 60 s: ${left.containers.join(', ')}`)
    await sleep(250)
  }
  for (let attempt = 0; ; attempt++) {
    const left = await leftovers(stack)
    const removals = [
      ...left.networks.map((n) => ['network', 'rm', n]),
      ...left.volumes.map((v) => ['volume', 'rm', v]),
      ...(swarm ? left.secrets.map((s) => ['secret', 'rm', s]) : []),
    ]
    if (removals.length === 0) break
    const failed: string[] = []
    for (const args of removals) if (!(await dockerSucceeds(args))) failed.push(args.join(' '))
    if (failed.length === 0) break
    // the engine releases a network's endpoints shortly after its last container is removed
    if (attempt >= 40) throw new Error(`stack ${stack}: could not ${failed.join(', ')}`)
    await sleep(250)
  }
  await rm(authkeyPath(stack), { force: true })
}
