/**
 * Closed-loop HTTP/1.1 keep-alive GETs: `concurrency` connections, each with one request
 * in flight, on a minimal response reader (status line, Content-Length, body) written for
 * this job: a general client (undici) costs the shared cores more per request than the
 * servers it measures. A response must be 200 with a Content-Length (and, when
 * `expectBytes` is given, exactly that many body bytes); anything else is an error and
 * ends that connection. A server that ends each connection after one response (the reply
 * says `Connection: close`, or is HTTP/1.0 without keep-alive: Werkzeug's development
 * server) is honoured as a client must: that connection is closed and the next request goes
 * on a new one, whose connect time counts in the request's latency (`extra.reconnects`).
 */
import type { Socket } from 'node:net'
import { LatencyRecorder } from './histogram.ts'
import { type LoadOptions, type StepOutcome, settleOrCutOff } from './outcome.ts'
import { openAll, openSocket } from './tcp-round-trips.ts'

/** HttpRequestOptions: the path to GET, and the body length every response must have. */
export interface HttpRequestOptions extends LoadOptions {
  readonly path: string
  /** the body length every response must have */
  readonly expectBytes?: number
}

const HEADER_END = Buffer.from('\r\n\r\n')
const MAX_HEADER_BYTES = 16 * 1024
const CONTENT_LENGTH = /\r\ncontent-length:[ \t]*(\d+)/i
const CONNECTION_CLOSE = /\r\nconnection:[ \t]*close\b/i
const CONNECTION_KEEP_ALIVE = /\r\nconnection:[ \t]*keep-alive\b/i

/** getRequest is the request's bytes: a keep-alive GET with a Host header. */
export function getRequest(host: string, port: number, path: string): Buffer {
  return Buffer.from(
    `GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nUser-Agent: netlab-bench\r\n\r\n`,
    'latin1',
  )
}

/** ResponseHead is what a response's header block says about the body. */
export type ResponseHead =
  | { readonly status: number; readonly bodyBytes: number; readonly close: boolean }
  | { readonly error: string }

/** parseHead reads the status code and Content-Length of one header block (without the blank line). */
export function parseHead(head: string): ResponseHead {
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(head)
  if (!status) return { error: `not an HTTP/1.x status line: ${JSON.stringify(head.slice(0, 40))}` }
  const length = CONTENT_LENGTH.exec(head)
  if (!length) return { error: 'response without Content-Length (chunked replies are not read by the bench)' }
  // HTTP/1.0 closes unless it says keep-alive; HTTP/1.1 keeps alive unless it says close
  const close = head.startsWith('HTTP/1.0') ? !CONNECTION_KEEP_ALIVE.test(head) : CONNECTION_CLOSE.test(head)
  return { status: Number(status[1]), bodyBytes: Number(length[1]), close }
}

/** httpRequests runs the closed loop and returns what it measured. */
export async function httpRequests(opts: HttpRequestOptions): Promise<StepOutcome> {
  const sockets = await openAll(opts.host, opts.port, opts.concurrency)
  const request = getRequest(opts.host, opts.port, opts.path)
  const all = new LatencyRecorder()
  let ops = 0
  let errors = 0
  let reconnects = 0
  let firstError: string | undefined
  const started = performance.now()
  const deadline = started + opts.seconds * 1000

  const live = new Set<Socket>(sockets)
  const runs = sockets.map((socket) => runConnection(socket))
  await settleOrCutOff(runs, opts.seconds, () => {
    for (const s of live) if (!s.destroyed) s.destroy()
  })
  return {
    ops,
    errors,
    durationS: (performance.now() - started) / 1000,
    latency: all.summary(),
    ...(reconnects > 0 ? { extra: { reconnects } } : {}),
    ...(firstError ? { firstError } : {}),
  }

  function runConnection(first: Socket): Promise<void> {
    return new Promise((resolve) => {
      const rec = new LatencyRecorder()
      let socket = first
      let head: Buffer | undefined // header bytes so far, while the head is incomplete
      let bodyLeft = -1 // -1: still reading the head
      let sentAt = 0
      let inFlight = false
      let closeAfter = false // the server ends the connection after this response
      let finished = false
      const finish = () => {
        if (finished) return
        finished = true
        all.merge(rec)
        resolve()
      }
      const fail = (why: string) => {
        if (inFlight) errors++
        inFlight = false
        firstError ??= `GET ${opts.path} on ${opts.host}:${opts.port}: ${why}`
        socket.destroy()
      }
      const send = (at = performance.now()) => {
        head = undefined
        bodyLeft = -1
        inFlight = true
        closeAfter = false
        sentAt = at
        socket.write(request)
      }
      const complete = () => {
        const now = performance.now()
        rec.recordMs(now - sentAt)
        ops++
        inFlight = false
        if (now >= deadline) return socket.destroy()
        if (!closeAfter) return send()
        // the server closes this connection: the next request goes on a new one
        const old = socket
        old.removeAllListeners('close')
        old.on('close', () => live.delete(old))
        old.destroy()
        reconnects++
        openSocket(opts.host, opts.port).then(
          (next) => {
            socket = next
            live.add(next)
            attach(next)
            send(now)
          },
          (err: Error) => {
            firstError ??= `GET ${opts.path} on ${opts.host}:${opts.port}: reconnecting: ${err.message}`
            errors++
            finish()
          },
        )
      }
      const attach = (s: Socket) => {
        s.on('data', (chunk: Buffer) => {
          if (!inFlight) return fail('bytes after the response')
          if (bodyLeft >= 0) {
            bodyLeft -= chunk.length
            if (bodyLeft < 0) return fail('more bytes than Content-Length')
            if (bodyLeft === 0) complete()
            return
          }
          const buf: Buffer = head ? Buffer.concat([head, chunk]) : chunk
          const end = buf.indexOf(HEADER_END)
          if (end === -1) {
            if (buf.length > MAX_HEADER_BYTES) return fail('header block over 16 KiB')
            head = buf
            return
          }
          const parsed = parseHead(buf.toString('latin1', 0, end))
          if ('error' in parsed) return fail(parsed.error)
          if (parsed.status !== 200) return fail(`status ${parsed.status}`)
          if (opts.expectBytes !== undefined && parsed.bodyBytes !== opts.expectBytes)
            return fail(`body of ${parsed.bodyBytes} bytes, expected ${opts.expectBytes}`)
          closeAfter = parsed.close
          bodyLeft = parsed.bodyBytes - (buf.length - end - HEADER_END.length)
          if (bodyLeft < 0) return fail('more bytes than Content-Length')
          if (bodyLeft === 0) complete()
        })
        s.on('error', (err) => fail(err.message))
        s.on('close', () => {
          live.delete(s)
          if (inFlight) fail('the server closed the connection')
          finish()
        })
      }
      attach(socket)
      send()
    })
  }
}
