/**
 * Closed-loop round trips over TCP: `concurrency` connections, each with one request in
 * flight; a request is complete when exactly the expected reply bytes have arrived. The
 * clock starts once every connection is open and stops at the deadline; a connection
 * still waiting GRACE_MS after it is cut off and its request counted as an error.
 *
 * The load generator shares the machine's cores with the servers, so the hot path is
 * lean: one preallocated request buffer, one data handler per connection, replies compared
 * in place (no concatenation), no promise or timer per request.
 */
import type { Socket } from 'node:net'
import { open } from '../../clients/cli/net/tcp-client.ts'
import { LatencyRecorder } from './histogram.ts'
import { CONNECT_TIMEOUT_MS, type LoadOptions, type StepOutcome, settleOrCutOff } from './outcome.ts'

/** TcpRoundTripOptions: the request sent, and the exact reply each one must get. */
export interface TcpRoundTripOptions extends LoadOptions {
  readonly request: Buffer
  /** the exact reply to each request */
  readonly expected: Buffer
}

/** openSocket connects within CONNECT_TIMEOUT_MS, with Nagle off. */
export function openSocket(host: string, port: number): Promise<Socket> {
  return open({ host, port }, CONNECT_TIMEOUT_MS, { noDelay: true })
}

/** openAll opens `n` connections, a few at a time (a burst of 256 SYNs overflows small backlogs). */
export async function openAll(host: string, port: number, n: number): Promise<Socket[]> {
  const sockets: Socket[] = []
  try {
    for (let i = 0; i < n; i += 16) {
      const batch = Math.min(16, n - i)
      sockets.push(...(await Promise.all(Array.from({ length: batch }, () => openSocket(host, port)))))
    }
  } catch (err) {
    for (const s of sockets) s.destroy()
    throw err
  }
  return sockets
}

/** tcpRoundTrips runs the closed loop and returns what it measured. */
export async function tcpRoundTrips(opts: TcpRoundTripOptions): Promise<StepOutcome> {
  const sockets = await openAll(opts.host, opts.port, opts.concurrency)
  const { request, expected } = opts
  const want = expected.length
  const recorders: LatencyRecorder[] = []
  let ops = 0
  let errors = 0
  let firstError: string | undefined
  const started = performance.now()
  const deadline = started + opts.seconds * 1000
  let ended = started

  const runs = sockets.map(
    (socket) =>
      new Promise<void>((resolve) => {
        const rec = new LatencyRecorder()
        recorders.push(rec)
        let got = 0
        let sentAt = 0
        let inFlight = false
        const fail = (why: string) => {
          if (inFlight) errors++
          inFlight = false
          firstError ??= why
          socket.destroy()
        }
        const send = () => {
          got = 0
          inFlight = true
          sentAt = performance.now()
          socket.write(request)
        }
        socket.on('data', (chunk: Buffer) => {
          const n = chunk.length
          if (got + n > want || expected.compare(chunk, 0, n, got, got + n) !== 0) {
            fail(
              `unexpected reply from ${opts.host}:${opts.port}: ${JSON.stringify(chunk.toString('latin1', 0, 80))}`,
            )
            return
          }
          got += n
          if (got < want) return
          const now = performance.now()
          rec.recordMs(now - sentAt)
          ops++
          inFlight = false
          if (now < deadline) send()
          else {
            if (now > ended) ended = now
            socket.destroy()
          }
        })
        socket.on('error', (err) => fail(err.message))
        socket.on('close', () => {
          if (inFlight) fail(`${opts.host}:${opts.port} closed the connection`)
          resolve()
        })
        send()
      }),
  )
  await settleOrCutOff(runs, opts.seconds, () => {
    for (const s of sockets) if (!s.destroyed) s.destroy()
  })
  const all = new LatencyRecorder()
  for (const r of recorders) all.merge(r)
  const durationS = (Math.max(ended, deadline) - started) / 1000
  return { ops, errors, durationS, latency: all.summary(), ...(firstError ? { firstError } : {}) }
}
