/**
 * The integration harness, and the only test file that knows about testcontainers.
 * startLab() puts the real service images on a fresh user-defined network, hardened as
 * in docker-compose.yml (read-only root, no capabilities, uid 1000), plus a long-lived
 * client container on the same network in which the CLI runs (`lab.client(...)`).
 * Host-side helpers reach the services through ephemeral mapped ports.
 */
import { execFile } from 'node:child_process'
import { createSocket } from 'node:dgram'
import { once } from 'node:events'
import { promisify } from 'node:util'
import {
  GenericContainer,
  Network,
  type PortWithOptionalBinding,
  type StartedNetwork,
  type StartedTestContainer,
  type StopOptions,
  Wait,
} from 'testcontainers'
import { LineClient } from '../../clients/cli/net/tcp-client.ts'
import { images, type ServiceName, testLabel } from './images.ts'

const run = promisify(execFile)

/** The container ports each service publishes (9464: /metrics, /events, /health). */
const servicePorts: Readonly<Record<ServiceName, readonly PortWithOptionalBinding[]>> = {
  tcp: [9999, 20000, 9998, 8001, 9997, 50000, 9464],
  udp: ['20000/udp', '9999/udp', '37/udp', '123/udp', '9000/udp', '50001/udp', 9464],
  http: [8080, 9464],
  rpc: [15000, 15001, 17000, 25000, 9464],
  faults: [8474, 19999, 19998, '19000/udp', 9464],
  dashboard: [8088, 9464],
}

/** Environment each service gets unless a test overrides it. */
const defaultEnv: Partial<Record<ServiceName, Readonly<Record<string, string>>>> = {
  rpc: { RPC_MODE: 'development' },
}

/** The memory (bytes) and pids limits docker-compose.yml's x-hardened gives every container. */
export const containerLimits = { memoryBytes: 512 * 1024 * 1024, pids: 256 } as const

/**
 * A container hardened like docker-compose.yml: read-only root, tmpfs /tmp, no caps, uid 1000,
 * memory and pids limits, and docker-init as PID 1 (`init: true`).
 */
class HardenedContainer extends GenericContainer {
  constructor(image: string) {
    super(image)
    this.hostConfig.Init = true
    this.hostConfig.ReadonlyRootfs = true
    this.hostConfig.Memory = containerLimits.memoryBytes
    this.hostConfig.PidsLimit = containerLimits.pids
    // As in docker-compose.yml: uid 1000 may bind low ports (SNTP 123) without a capability.
    this.hostConfig.Sysctls = { 'net.ipv4.ip_unprivileged_port_start': '0' }
    this.withDroppedCapabilities('ALL')
      .withSecurityOpt('no-new-privileges:true')
      .withUser('1000:1000')
      .withTmpFs({ '/tmp': 'rw,size=16m' })
      .withLabels(testLabel)
  }
}

/** ClientRun is what one CLI invocation printed and returned. */
export interface ClientRun {
  readonly exitCode: number
  readonly stdout: string
  readonly stderr: string
}

/** LogLine is one parsed JSON log line. */
export type LogLine = Readonly<Record<string, unknown>> & { readonly msg: string; readonly level: string }

export interface Lab {
  readonly network: StartedNetwork
  /** the running container of a service */
  container(service: ServiceName): StartedTestContainer
  /** runs `netlab ...args` in the client container on the lab network */
  client(...args: string[]): Promise<ClientRun>
  /** the client container's id (for `docker exec -i`, e.g. to type into the session) */
  clientId(): string
  /** the host port mapped to a service's container port (TCP unless `protocol` is 'udp') */
  hostPort(service: ServiceName, port: number, protocol?: 'tcp' | 'udp'): number
  /** `http://127.0.0.1:<mapped port>` for a service's container TCP port, from the host */
  baseUrl(service: ServiceName, port: number): string
  /** a line client from the host to a service's mapped port */
  connect(service: ServiceName, port: number, timeoutMs?: number): Promise<LineClient>
  /** sends one datagram from the host to a service's mapped UDP port; the replies within `waitMs` */
  udp(service: ServiceName, port: number, payload: Buffer, waitMs?: number): Promise<Buffer[]>
  /** sends `count` datagrams at once from one socket; how many replies arrive within `waitMs` */
  udpBurst(
    service: ServiceName,
    port: number,
    payload: Buffer,
    count: number,
    waitMs: number,
  ): Promise<number>
  /** the service's JSON log lines so far */
  logs(service: ServiceName): Promise<LogLine[]>
  /** starts a service container that is expected to exit at once (e.g. bad config) */
  runOnce(
    service: ServiceName,
    env: Readonly<Record<string, string>>,
  ): Promise<{ exitCode: number; logs: LogLine[] }>
  /** SIGTERM, wait up to `timeoutMs` for exit, keep the container; returns its exit code */
  terminate(service: ServiceName, timeoutMs: number): Promise<number>
  stop(): Promise<void>
}

export interface LabOptions {
  /** extra environment per service, e.g. { tcp: { TCP_MAX_CONNECTIONS: '2' } } */
  readonly env?: Partial<Record<ServiceName, Readonly<Record<string, string>>>>
  /** volumes (by name) or host paths to mount per service, e.g. { rpc: [{ source: 'vol', target: '/data' }] } */
  readonly mounts?: Partial<Record<ServiceName, readonly { source: string; target: string }[]>>
  /** how long a service may take to become healthy (default 30 s) */
  readonly startupTimeoutMs?: number
}

/** udpExchange sends `payloads` from one fresh socket and collects every reply for `waitMs`. */
async function udpExchange(
  host: string,
  port: number,
  payloads: readonly Buffer[],
  waitMs: number,
): Promise<Buffer[]> {
  const socket = createSocket('udp4')
  const replies: Buffer[] = []
  socket.on('message', (msg) => replies.push(msg))
  socket.on('error', () => undefined) // ICMP port unreachable: no reply is the answer
  try {
    socket.connect(port, host)
    await once(socket, 'connect')
    for (const p of payloads) socket.send(p)
    await new Promise((r) => setTimeout(r, waitMs))
    return replies
  } finally {
    socket.close()
  }
}

function parseLogLines(text: string): LogLine[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine)
}

/** startLab starts the services (healthy) and the client container on a new network. */
export async function startLab(services: readonly ServiceName[], options: LabOptions = {}): Promise<Lab> {
  const network = await new Network().start()
  const started = new Map<ServiceName, StartedTestContainer>()
  let client: StartedTestContainer | undefined
  const stop = async () => {
    const all = [client, ...started.values()].filter((c) => c !== undefined)
    await Promise.allSettled(all.map((c) => c.stop({ timeout: 0, remove: true })))
    // Containers stopped earlier by terminate() were kept for inspection: remove them now.
    await run('docker', ['rm', '-f', '-v', ...all.map((c) => c.getId())]).catch(() => undefined)
    await network.stop().catch(() => undefined)
  }
  try {
    await Promise.all(
      services.map(async (service) => {
        const container = await new HardenedContainer(images[service])
          .withNetwork(network)
          .withNetworkAliases(service)
          .withEnvironment({ LOG_LEVEL: 'info', ...defaultEnv[service], ...options.env?.[service] })
          .withBindMounts([...(options.mounts?.[service] ?? [])])
          .withExposedPorts(...servicePorts[service])
          .withWaitStrategy(Wait.forHealthCheck())
          .withStartupTimeout(options.startupTimeoutMs ?? 30_000)
          .start()
        started.set(service, container)
      }),
    )
    // The CLI image's entrypoint is the CLI; keep a container alive and exec the CLI in it.
    client = await new HardenedContainer(images.client)
      .withNetwork(network)
      .withEntrypoint(['node', '-e', 'setInterval(() => {}, 1 << 30)'])
      .start()
  } catch (err) {
    await stop()
    throw err
  }
  const clientContainer = client

  const container = (service: ServiceName) => {
    const c = started.get(service)
    if (!c) throw new Error(`service ${service} was not started in this lab`)
    return c
  }

  return {
    network,
    container,
    async client(...args) {
      const r = await clientContainer.exec(['node', 'dist/clients/cli/main.js', ...args], {
        env: { NETLAB_IN_LAB: '1' },
        user: '1000:1000',
      })
      return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr }
    },
    clientId: () => clientContainer.getId(),
    hostPort: (service, port, protocol = 'tcp') => container(service).getMappedPort(port, protocol),
    baseUrl: (service, port) => `http://127.0.0.1:${container(service).getMappedPort(port)}`,
    connect: (service, port, timeoutMs = 5000) =>
      LineClient.connect(
        { host: container(service).getHost(), port: container(service).getMappedPort(port) },
        timeoutMs,
      ),
    udp: (service, port, payload, waitMs = 500) =>
      udpExchange(
        container(service).getHost(),
        container(service).getMappedPort(port, 'udp'),
        [payload],
        waitMs,
      ),
    udpBurst: async (service, port, payload, count, waitMs) => {
      const host = container(service).getHost()
      const payloads = Array.from({ length: count }, () => payload)
      return (await udpExchange(host, container(service).getMappedPort(port, 'udp'), payloads, waitMs)).length
    },
    async logs(service) {
      const { stdout } = await run('docker', ['logs', container(service).getId()], {
        maxBuffer: 64 * 1024 * 1024,
      })
      return parseLogLines(stdout)
    },
    async runOnce(service, env) {
      const c = await new HardenedContainer(images[service])
        .withNetwork(network)
        .withEnvironment(env)
        // Its first log line is either `invalid configuration` (then it exits) or `config loaded`.
        .withWaitStrategy(Wait.forLogMessage(/"msg":"(invalid configuration|config loaded)"/))
        .withStartupTimeout(20_000)
        .start()
      try {
        const { stdout } = await run('docker', ['wait', c.getId()], { timeout: 20_000 })
        const logs = await run('docker', ['logs', c.getId()])
        return { exitCode: Number(stdout.trim()), logs: parseLogLines(logs.stdout) }
      } finally {
        await c.stop({ timeout: 0, remove: true }).catch(() => undefined)
      }
    },
    async terminate(service, timeoutMs) {
      const c = container(service)
      // testcontainers' stop timeout is in ms; 0 would mean SIGKILL right after SIGTERM.
      const opts: Partial<StopOptions> = { timeout: timeoutMs, remove: false }
      await c.stop(opts)
      const { stdout } = await run('docker', ['inspect', c.getId(), '--format', '{{.State.ExitCode}}'])
      return Number(stdout.trim())
    },
    stop,
  }
}
