/**
 * The hostile RPC suite's clients: HTTP posts that read a reply without keeping it (a big
 * reply is counted, a small one kept to read its error codes), a probe that makes a normal
 * call every 200 ms while an attack runs, and a JSON-RPC/TCP client that pipelines lines and
 * does not read until told to.
 */
import { once } from 'node:events'
import { request } from 'node:http'
import { connect } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'

/** Posted is what one POST came back with: the status, the size, and the text when small. */
export interface Posted {
  readonly status: number
  readonly bytes: number
  /** the whole reply when at most `keepBytes`, else its first `keepBytes` */
  readonly text: string
}

/** post sends one body and reads the whole reply, keeping at most `keepBytes` of it. */
export async function post(
  port: number,
  path: string,
  body: string,
  keepBytes = 64 * 1024,
  timeoutMs = 90_000,
): Promise<Posted> {
  // A connection of its own (no keep-alive reuse): no race with the server closing an idle one.
  const req = request({ host: '127.0.0.1', port, path, method: 'POST', timeout: timeoutMs, agent: false })
  req.on('timeout', () => req.destroy(new Error(`no reply within ${timeoutMs} ms`)))
  req.end(body)
  const [res] = await once(req, 'response')
  // The server may answer before it has read the whole body (a chunked body it refused)
  // and close: the write's EPIPE after the answer changes nothing.
  req.on('error', () => undefined)
  const kept: Buffer[] = []
  let bytes = 0
  for await (const chunk of res as AsyncIterable<Buffer>) {
    if (bytes < keepBytes) kept.push(chunk.subarray(0, keepBytes - bytes))
    bytes += chunk.length
  }
  return { status: res.statusCode ?? 0, bytes, text: Buffer.concat(kept).toString('utf8') }
}

/** tally counts the JSON-RPC error codes (and "result") of a reply, or the fault codes of an XML one. */
export function tally(text: string, into: Record<string, number>): void {
  const jsonCodes = text.matchAll(/"error":\{"code":(-?\d+)/g)
  for (const m of jsonCodes) into[m[1] as string] = (into[m[1] as string] ?? 0) + 1
  const faults = text.matchAll(/<name>faultCode<\/name>\n<value><int>(-?\d+)<\/int>/g)
  for (const m of faults) into[`fault ${m[1]}`] = (into[`fault ${m[1]}`] ?? 0) + 1
}

const ECHO = '{"jsonrpc":"2.0","method":"echo","params":["ok"],"id":"probe"}'
const ECHOED = '{"jsonrpc":"2.0","result":"ok","id":"probe"}'

/** NormalCall is how one normal call went: answered correctly, answered otherwise, or not within 15 s. */
export type NormalCall = 'ok' | 'wrong' | 'timeout'

/** normalCall is one JSON-RPC echo over HTTP. */
export async function normalCall(port: number): Promise<NormalCall> {
  try {
    const r = await post(port, '/jsonrpc', ECHO, 4096, 15_000)
    return r.status === 200 && r.text === ECHOED ? 'ok' : 'wrong'
  } catch {
    return 'timeout'
  }
}

/** Probe is a normal call made every 200 ms while an attack runs; `stop` counts how they went. */
export interface Probe {
  stop(): Promise<Readonly<Record<NormalCall, number>>>
}

export function probe(port: number): Probe {
  let stopped = false
  const counts: Record<NormalCall, number> = { ok: 0, wrong: 0, timeout: 0 }
  const loop = (async () => {
    while (!stopped) {
      counts[await normalCall(port)]++
      await sleep(200)
    }
  })()
  return {
    async stop() {
      stopped = true
      await loop
      return counts
    },
  }
}

/** Pipelined is what a pipelining client sent, and the reply lines it read once it read. */
export interface Pipelined {
  readonly sent: number
  readonly replies: string[]
}

/**
 * pipeline connects to a JSON-RPC/TCP port and writes `lines` without reading, until they
 * are all written or the connection stops taking them for `stallMs`; then it reads every
 * reply to what it wrote (up to `readMs`).
 */
export async function pipeline(
  port: number,
  lines: readonly string[],
  stallMs = 1500,
  readMs = 20_000,
): Promise<Pipelined> {
  const socket = connect({ host: '127.0.0.1', port })
  await once(socket, 'connect')
  socket.pause()
  let sent = 0
  for (const line of lines) {
    sent++
    if (!socket.write(line)) {
      const drained = await Promise.race([once(socket, 'drain').then(() => true), sleep(stallMs, false)])
      if (!drained) break
    }
  }
  const replies: string[] = []
  let tail = ''
  socket.on('data', (chunk: Buffer) => {
    const parts = (tail + chunk.toString('utf8')).split('\n')
    tail = parts.pop() ?? ''
    for (const p of parts) replies.push(p.length > 200 ? p.slice(0, 200) : p)
  })
  socket.resume()
  const deadline = performance.now() + readMs
  while (replies.length < sent && performance.now() < deadline) await sleep(20)
  socket.destroy()
  return { sent, replies }
}
