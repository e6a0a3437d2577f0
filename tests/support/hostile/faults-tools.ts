/**
 * What the faults hostile test sends and reads: bounded connection and datagram floods from
 * the host to the container's mapped ports (127.0.0.1 only), the lab network's addresses,
 * the listening sockets inside the faults container, and the shape of GET /stats.
 */
import { execFile } from 'node:child_process'
import { createSocket, type Socket as UdpSocket } from 'node:dgram'
import { connect, type Socket } from 'node:net'
import { promisify } from 'node:util'
import type { StartedTestContainer } from 'testcontainers'

const run = promisify(execFile)

/** Stats is GET /stats: the memory budget and each proxy's live figures. */
export interface Stats {
  readonly memory: { limitBytes: number; usedBytes: number; peakBytes: number; refusals: number }
  readonly eventLoopDelayMs: { p50: number; p99: number; max: number }
  readonly proxies: Readonly<
    Record<string, { protocol: string; enabled: boolean; clients: number; counters?: Record<string, number> }>
  >
}

/** sleep resolves after `ms`. */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)))

/** openConnections opens `n` connections to 127.0.0.1:`port`, 100 at a time; those that fail are left out. */
export async function openConnections(port: number, n: number): Promise<Socket[]> {
  const out: Socket[] = []
  for (let i = 0; i < n; i += 100) {
    const batch = Array.from(
      { length: Math.min(100, n - i) },
      () =>
        new Promise<Socket | undefined>((resolve) => {
          const s = connect(port, '127.0.0.1')
          s.on('error', () => resolve(undefined))
          s.setTimeout(5000, () => {
            s.destroy()
            resolve(undefined)
          })
          s.once('connect', () => {
            s.setTimeout(0)
            resolve(s)
          })
        }),
    )
    for (const s of await Promise.all(batch)) if (s) out.push(s)
  }
  return out
}

/**
 * udpFlood sends `datagrams` datagrams of `bytes` bytes to 127.0.0.1:`port`, spread evenly over
 * `seconds` from `sockets` sockets (source ports), and counts the replies that arrive until
 * 500 ms after the last send. With `warmUpMs`, each socket first sends one datagram and the
 * flood waits that long, so the proxy's sessions are connected before it starts.
 */
export async function udpFlood(
  port: number,
  opts: { datagrams: number; bytes: number; seconds: number; sockets?: number; warmUpMs?: number },
): Promise<{ sent: number; replies: number }> {
  const sockets: UdpSocket[] = []
  let replies = 0
  let sent = 0
  try {
    for (let i = 0; i < (opts.sockets ?? 1); i++) {
      const s = createSocket('udp4')
      s.on('message', () => replies++)
      s.on('error', () => undefined)
      await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()))
      sockets.push(s)
    }
    const payload = Buffer.alloc(opts.bytes, 'f')
    if (opts.warmUpMs !== undefined) {
      for (const s of sockets) s.send(payload, port, '127.0.0.1')
      sent += sockets.length
      await sleep(opts.warmUpMs)
    }
    const ticks = Math.max(1, Math.round(opts.seconds * 100))
    const perTick = Math.ceil(opts.datagrams / ticks)
    const t0 = performance.now()
    for (let tick = 0; sent < opts.datagrams; tick++) {
      for (let j = 0; j < perTick && sent < opts.datagrams; j++, sent++)
        sockets[sent % sockets.length]?.send(payload, port, '127.0.0.1')
      await sleep(t0 + (tick + 1) * 10 - performance.now())
    }
    await sleep(500)
    return { sent, replies }
  } finally {
    for (const s of sockets) s.close()
  }
}

/** labNetwork is a Docker network's subnet and gateway, and an address inside it no container has. */
export async function labNetwork(name: string): Promise<{ subnet: string; gateway: string; unused: string }> {
  const { stdout } = await run('docker', [
    'network',
    'inspect',
    '--format',
    '{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}}',
    name,
  ])
  const [subnet = '', gateway = ''] = stdout.trim().split(' ')
  const [base = '', prefix = '32'] = subnet.split('/')
  const n = base.split('.').reduce((a, b) => a * 256 + Number(b), 0)
  // Docker hands addresses out from the bottom of the subnet: the one below broadcast is free
  const last = n + 2 ** (32 - Number(prefix)) - 3
  const unused = [24, 16, 8, 0].map((s) => Math.floor(last / 2 ** s) % 256).join('.')
  return { subnet, gateway, unused }
}

/** listeningSockets counts the TCP sockets in LISTEN state in a container's network namespace. */
export async function listeningSockets(container: StartedTestContainer): Promise<number> {
  const script =
    "const fs=require('fs');let n=0;for(const f of ['/proc/net/tcp','/proc/net/tcp6']){try{for(const l of fs.readFileSync(f,'utf8').split('\\n').slice(1)){if(l.trim().split(/\\s+/)[3]==='0A')n++}}catch{}}console.log(n)"
  const r = await container.exec(['node', '-e', script])
  if (r.exitCode !== 0) throw new Error(`counting listeners failed: ${r.stderr}`)
  return Number(r.stdout.trim())
}

/** untilClosed resolves true once every socket has closed, false after `timeoutMs`. */
export async function untilClosed(sockets: readonly Socket[], timeoutMs: number): Promise<boolean> {
  const closed = (s: Socket) =>
    new Promise<void>((resolve) => (s.closed ? resolve() : s.once('close', () => resolve())))
  return Promise.race([Promise.all(sockets.map(closed)).then(() => true), sleep(timeoutMs).then(() => false)])
}
