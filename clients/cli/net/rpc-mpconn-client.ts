/**
 * The CLI's mp-connection RPC client (`--via mpconn`, TCP host:17000): the seed's RPCProxy
 * over the authkey handshake, on protocols/mpconn and protocols/pickle.
 */
import type { Socket } from 'node:net'
import { LabError } from '../../../lib/errors.ts'
import { MpConnection } from '../../../protocols/mpconn/connection.ts'
import { clientHandshake } from '../../../protocols/mpconn/handshake.ts'
import { pyToRpc, rpcToPy } from '../../../protocols/pickle/convert.ts'
import { DEFAULT_PICKLE_LIMITS, decodePickle, type PickleLimits } from '../../../protocols/pickle/decode.ts'
import { encodePickle, unwrapBytes, wrapBytes } from '../../../protocols/pickle/encode.ts'
import { PyDict, PyException, PyTuple, type PyValue } from '../../../protocols/pickle/value.ts'
import type { RpcValue } from '../../../protocols/value.ts'
import {
  badReply,
  hostPort,
  MAX_REPLY_BYTES,
  MAX_REPLY_DEPTH,
  remaining,
  timeoutError,
} from './rpc-call-support.ts'
import type { RpcClient, RpcClientOptions, RpcOutcome } from './rpc-types.ts'
import { open, type Target } from './tcp-client.ts'

const PICKLE_LIMITS: PickleLimits = {
  ...DEFAULT_PICKLE_LIMITS,
  maxBytes: MAX_REPLY_BYTES,
  maxDepth: MAX_REPLY_DEPTH,
  maxItems: 10_000_000,
  maxMemo: 10_000_000,
  allowExceptions: true,
}

/** mpError rewords the connection's and handshake's errors for a person at a terminal. */
function mpError(target: string, err: unknown, timeoutMs: number): LabError {
  const code = err instanceof LabError ? err.code : undefined
  const message = err instanceof Error ? err.message : String(err)
  if (code === 'AUTH_TIMEOUT')
    return new LabError(
      'TIMEOUT',
      `${target}: the authkey handshake did not finish within ${timeoutMs} ms (is it a multiprocessing.connection port?)`,
      { cause: err },
    )
  if (code === 'AUTH_FAILED') {
    // the server said #FAILURE#: our key is not its key
    const hint = message === 'digest sent was rejected' ? ' (check RPC_AUTHKEY)' : ''
    return new LabError('AUTH_FAILED', `${target}: authentication failed: ${message}${hint}`, { cause: err })
  }
  if (code === 'CONNECTION_CLOSED' || code === 'TRUNCATED_FRAME')
    return new LabError('CLOSED', `${target} closed the connection (${message})`, { cause: err })
  if (err instanceof LabError && message.includes(target)) return err
  return new LabError(code ?? 'RPC_FAILED', `${target}: ${message}`, { cause: err })
}

/**
 * MpConnClient is the seed's RPCProxy: after the authkey handshake, each call sends
 * pickle.dumps(pickle.dumps((name, args, {}))) and reads the reply wrapped the same way;
 * a reply that is an exception means the call raised it.
 */
export class MpConnClient implements RpcClient {
  readonly via = 'mpconn'
  readonly target: string
  readonly #where: Target
  readonly #timeoutMs: number
  readonly #authkey: Buffer
  readonly #signal: AbortSignal | undefined
  #conn: MpConnection | undefined

  constructor(opts: RpcClientOptions) {
    this.#where = { host: opts.host, port: opts.ports.mpRpc, retryForMs: opts.retryForMs }
    this.target = hostPort(opts.host, opts.ports.mpRpc)
    this.#timeoutMs = opts.timeoutMs
    this.#authkey = Buffer.from(opts.authkey, 'utf8')
    this.#signal = opts.signal
  }

  async call(method: string, args: readonly RpcValue[]): Promise<RpcOutcome> {
    const started = performance.now()
    const conn = this.#conn ?? (await this.#connect(started))
    const request = new PyTuple([method, new PyTuple(args.map(rpcToPy)), new PyDict()])
    const frame = await this.#withDeadline(conn, started, async () => {
      await conn.send(wrapBytes(encodePickle(request)))
      return conn.recv()
    })
    return this.#outcome(frame)
  }

  async #connect(started: number): Promise<MpConnection> {
    const socket: Socket = await open(this.#where, this.#timeoutMs, { signal: this.#signal })
    socket.setNoDelay(true)
    const conn = new MpConnection(socket, { maxFrameBytes: MAX_REPLY_BYTES, closeGraceMs: 500 })
    try {
      await clientHandshake(conn, this.#authkey, {
        timeoutMs: remaining(this.target, started, this.#timeoutMs),
      })
    } catch (err) {
      conn.destroy()
      throw mpError(this.target, err, this.#timeoutMs)
    }
    this.#conn = conn
    return conn
  }

  /** withDeadline runs one exchange; on timeout the connection is destroyed (the stream would be out of step). */
  async #withDeadline<T>(conn: MpConnection, started: number, exchange: () => Promise<T>): Promise<T> {
    const left = remaining(this.target, started, this.#timeoutMs)
    let timer: NodeJS.Timeout | undefined
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const err = timeoutError(this.target, this.#timeoutMs)
        conn.destroy(err)
        reject(err)
      }, left)
    })
    try {
      return await Promise.race([exchange(), timedOut])
    } catch (err) {
      this.#conn = undefined
      conn.destroy()
      throw mpError(this.target, err, this.#timeoutMs)
    } finally {
      clearTimeout(timer)
    }
  }

  #outcome(frame: Buffer): RpcOutcome {
    let reply: PyValue | PyException
    try {
      const outer = decodePickle(frame, PICKLE_LIMITS)
      const inner = outer instanceof PyException ? undefined : unwrapBytes(outer)
      reply = inner === undefined ? outer : decodePickle(inner, PICKLE_LIMITS)
      if (inner === undefined && !(reply instanceof PyException))
        throw new Error('expected pickle.dumps(bytes of a pickle), as RPCProxy sends')
    } catch (err) {
      throw badReply(this.target, 'the reply is not a pickled RPC reply', err)
    }
    if (reply instanceof PyException) {
      const text = reply.toString()
      const message = text === reply.name ? '' : text.slice(reply.name.length + 2)
      return { kind: 'raised', raised: { type: reply.name, message } }
    }
    try {
      return { kind: 'result', value: pyToRpc(reply) }
    } catch (err) {
      throw badReply(this.target, 'the reply holds a value the CLI cannot show', err)
    }
  }

  async close(): Promise<void> {
    const conn = this.#conn
    this.#conn = undefined
    await conn?.close()
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }
}
