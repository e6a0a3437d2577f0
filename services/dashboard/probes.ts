/**
 * Each service's own health check, run by the dashboard over the lab network: the same one
 * protocol exchange as its container health check (scripts/healthcheck.sh), so `healthy`
 * means the service answers its protocol, not only that its metrics endpoint is up.
 */
import { createSocket } from 'node:dgram'
import { connect } from 'node:net'

export interface ProbeResult {
  readonly ok: boolean
  readonly detail: string
}

/** tcpLine connects, sends `line`, and expects a reply line equal to `expect`. */
export function tcpLine(
  host: string,
  port: number,
  line: string,
  expect: string,
  timeoutMs: number,
): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = connect({ host, port })
    let got = ''
    const done = (r: ProbeResult) => {
      clearTimeout(timer)
      socket.destroy()
      resolve(r)
    }
    const timer = setTimeout(() => done({ ok: false, detail: `no reply within ${timeoutMs} ms` }), timeoutMs)
    socket.setEncoding('utf8')
    socket.on('connect', () => socket.write(`${line}\n`))
    socket.on('data', (chunk: string) => {
      got += chunk
      const nl = got.indexOf('\n')
      if (nl >= 0 || got.length > 256) {
        const reply = got.slice(0, nl >= 0 ? nl : 256).trim()
        done({ ok: reply === expect, detail: `${line} -> ${reply}` })
      }
    })
    socket.on('error', (err: NodeJS.ErrnoException) => done({ ok: false, detail: err.code ?? err.message }))
  })
}

/** udpExchange sends `payload` and expects the reply `expect`. */
export function udpExchange(
  host: string,
  port: number,
  payload: string,
  expect: string,
  timeoutMs: number,
): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4')
    const done = (r: ProbeResult) => {
      clearTimeout(timer)
      socket.close()
      resolve(r)
    }
    const timer = setTimeout(
      () => done({ ok: false, detail: `no datagram within ${timeoutMs} ms` }),
      timeoutMs,
    )
    socket.on('message', (msg) => {
      const reply = msg.toString('utf8')
      done({ ok: reply === expect, detail: `${payload} -> ${reply}` })
    })
    socket.on('error', (err: NodeJS.ErrnoException) => done({ ok: false, detail: err.code ?? err.message }))
    socket.send(payload, port, host)
  })
}

/** httpCheck expects a 200 whose body contains `expect`. */
export async function httpCheck(
  url: string,
  init: { method: string; body?: string },
  expect: string,
  timeoutMs: number,
): Promise<ProbeResult> {
  try {
    const res = await fetch(url, {
      method: init.method,
      ...(init.body ? { body: init.body, headers: { 'content-type': 'application/json' } } : {}),
      signal: AbortSignal.timeout(timeoutMs),
    })
    const body = (await res.text()).slice(0, 4096)
    return {
      ok: res.status === 200 && body.includes(expect),
      detail: `${init.method} ${new URL(url).pathname} -> ${res.status}`,
    }
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } }
    return { ok: false, detail: e.cause?.code ?? e.name }
  }
}

/** probeFor returns the health check of a service reached by its name, or undefined. */
export function probeFor(service: string, timeoutMs: number): (() => Promise<ProbeResult>) | undefined {
  switch (service) {
    case 'tcp':
      return () => tcpLine('tcp', 9998, 'PING', 'OK PONG', timeoutMs)
    case 'udp':
      return () => udpExchange('udp', 9999, 'health', 'Hello, health!', timeoutMs)
    case 'http':
      return () => httpCheck('http://http:8080/health', { method: 'GET' }, '"ok"', timeoutMs)
    case 'rpc':
      return () =>
        httpCheck(
          'http://rpc:15000/jsonrpc',
          { method: 'POST', body: '{"jsonrpc":"2.0","method":"echo","params":["ok"],"id":1}' },
          '"result":"ok"',
          timeoutMs,
        )
    case 'faults':
      return () => httpCheck('http://faults:8474/version', { method: 'GET' }, '"version"', timeoutMs)
    default:
      return undefined
  }
}
