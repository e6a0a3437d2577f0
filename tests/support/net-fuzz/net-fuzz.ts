/**
 * The network fuzz driver: throws the inputs of tests/support/net-fuzz/generators.ts at
 * every port, from the host through the mapped ports, for a fixed time. Inputs come from
 * fast-check with a printed seed, so a run can be replayed (`FUZZ_SEED=<seed>`); the order
 * in which they interleave depends on timing. Bounded: at most `concurrency` connections in
 * flight, each with a deadline, and no input starts after `durationMs`.
 */
import { createSocket } from 'node:dgram'
import { once } from 'node:events'
import { connect } from 'node:net'
import fc from 'fast-check'
import { MpConnection } from '../../../protocols/mpconn/connection.ts'
import { clientHandshake } from '../../../protocols/mpconn/handshake.ts'
import type { ServiceName } from '../images.ts'
import { cut, cutPoints } from '../mutate.ts'
import { targets as allTargets, type Target, targetName } from './generators.ts'

export interface NetFuzzOptions {
  readonly seed: number
  readonly durationMs: number
  /** connections (or UDP batches) in flight at once */
  readonly concurrency: number
  /** where a container port is reachable from here */
  readonly address: (
    service: ServiceName,
    port: number,
    transport: 'tcp' | 'udp',
  ) => { host: string; port: number }
  /** the mp-connection key the lab's RPC service uses */
  readonly authkey: string
  /** the ports to fuzz (default: every port of every service) */
  readonly targets?: readonly Target[]
}

/** TargetTally counts what one port went through. */
export interface TargetTally {
  readonly target: string
  inputs: number
  bytes: number
  /** inputs that got at least one byte (TCP) or datagram (UDP) back */
  answered: number
  /** connections the server reset (ECONNRESET, EPIPE): a refusal it is entitled to */
  resets: number
  /** connection attempts refused: nothing listening, so the service had crashed */
  refused: number
}

const CONNECTION_DEADLINE_MS = 2000
const UDP_BATCH = 20
const UDP_WAIT_MS = 200
const SAMPLE_BATCH = 25

/** sendTcp runs one connection: (handshake), the input in random chunks, half-close, read to close or deadline. */
async function sendTcp(
  t: Target,
  input: Buffer,
  points: number[],
  opts: NetFuzzOptions,
  tally: TargetTally,
): Promise<void> {
  const { host, port } = opts.address(t.service, t.port, 'tcp')
  const socket = connect({ host, port })
  let answered = false
  const closed = new Promise<void>((resolve) => {
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED') tally.refused++
      else if (err.code === 'ECONNRESET' || err.code === 'EPIPE') tally.resets++
    })
    socket.on('close', () => resolve())
  })
  const timer = setTimeout(() => socket.destroy(), CONNECTION_DEADLINE_MS)
  try {
    await Promise.race([once(socket, 'connect'), closed])
    if (socket.destroyed) return
    if (t.handshake) {
      const conn = new MpConnection(socket, { maxFrameBytes: 1 << 20 })
      await clientHandshake(conn, Buffer.from(opts.authkey), { timeoutMs: CONNECTION_DEADLINE_MS })
      // From here on the replies are only counted: the connection's reader would pause the socket.
      socket.removeAllListeners('data')
    }
    socket.on('data', () => {
      answered = true
    })
    socket.resume()
    for (const chunk of cut(input, points)) if (!socket.destroyed) socket.write(chunk)
    if (!socket.destroyed) socket.end()
    await closed
  } catch {
    // a handshake refused or cut short: counted by the socket's events
  } finally {
    clearTimeout(timer)
    socket.destroy()
    await closed
    if (answered) tally.answered++
  }
}

/** sendUdp sends a batch of datagrams from one socket and counts the replies within a short wait. */
async function sendUdp(t: Target, inputs: Buffer[], opts: NetFuzzOptions, tally: TargetTally): Promise<void> {
  const { host, port } = opts.address(t.service, t.port, 'udp')
  const socket = createSocket('udp4')
  socket.on('error', () => undefined) // ICMP unreachable would surface here; health checks judge it
  socket.on('message', () => {
    tally.answered++
  })
  try {
    socket.connect(port, host)
    await once(socket, 'connect')
    for (const d of inputs) socket.send(d)
    await new Promise((r) => setTimeout(r, UDP_WAIT_MS))
  } finally {
    socket.close()
  }
}

/** runNetFuzz fuzzes every target round-robin until `durationMs` has passed; returns a tally per target. */
export async function runNetFuzz(opts: NetFuzzOptions): Promise<TargetTally[]> {
  const targets = opts.targets ?? allTargets
  const tallies = targets.map((t) => ({
    target: targetName(t),
    inputs: 0,
    bytes: 0,
    answered: 0,
    resets: 0,
    refused: 0,
  }))
  const queues = targets.map(() => [] as [Buffer, number[]][])
  const batches = targets.map(() => 0)
  /** next draws the next input for target i, from a per-target, per-batch seed */
  const next = (i: number): [Buffer, number[]] => {
    const q = queues[i] as [Buffer, number[]][]
    if (q.length === 0) {
      const b = batches[i] ?? 0
      batches[i] = b + 1
      const arb = fc.tuple((targets[i] as Target).inputs, cutPoints)
      q.push(...fc.sample(arb, { seed: (opts.seed + 1_000_003 * i + b) | 0, numRuns: SAMPLE_BATCH }))
    }
    return q.shift() as [Buffer, number[]]
  }
  const deadline = performance.now() + opts.durationMs
  let turn = 0
  const worker = async () => {
    while (performance.now() < deadline) {
      const i = turn++ % targets.length
      const t = targets[i] as Target
      const tally = tallies[i] as TargetTally
      if (t.transport === 'udp') {
        const inputs = Array.from({ length: UDP_BATCH }, () => next(i)[0])
        tally.inputs += inputs.length
        tally.bytes += inputs.reduce((n, d) => n + d.length, 0)
        await sendUdp(t, inputs, opts, tally)
      } else {
        const [input, points] = next(i)
        tally.inputs++
        tally.bytes += input.length
        await sendTcp(t, input, points, opts, tally)
      }
    }
  }
  await Promise.all(Array.from({ length: opts.concurrency }, worker))
  return tallies
}
