/**
 * What the CLI's RPC clients (rpc-client.ts, rpc-mpconn-client.ts) share: the reply limits,
 * the call deadline and the errors that name the target.
 */
import { LabError } from '../../../lib/errors.ts'
import { MAX_RESPONSE_BYTES } from './http-client.ts'

/** A reply may be as large as the HTTP client takes. */
export const MAX_REPLY_BYTES = MAX_RESPONSE_BYTES
/** Replies may nest a little deeper than the server's request limit (64): the envelope adds levels. */
export const MAX_REPLY_DEPTH = 256

/** hostPort is `host:port`, an IPv6 host bracketed. */
export const hostPort = (host: string, port: number) => `${host.includes(':') ? `[${host}]` : host}:${port}`

/** badReply is RPC_BAD_REPLY: what `target` sent is not the protocol. */
export function badReply(target: string, what: string, err?: unknown): LabError {
  const why = err instanceof Error ? `: ${err.message}` : ''
  return new LabError('RPC_BAD_REPLY', `${target}: ${what}${why}`, { cause: err })
}

/** remaining is what is left of a call's `timeoutMs` since `started`; a TIMEOUT LabError when nothing is. */
export function remaining(target: string, started: number, timeoutMs: number): number {
  const left = Math.ceil(timeoutMs - (performance.now() - started))
  if (left <= 0) throw timeoutError(target, timeoutMs)
  return left
}

/** timeoutError is TIMEOUT: `target` did not answer within `timeoutMs`. */
export function timeoutError(target: string, timeoutMs: number): LabError {
  return new LabError('TIMEOUT', `no reply from ${target} within ${timeoutMs} ms`)
}
