/**
 * The two multiprocessing.connection ports: the authkey handshake (both CPython
 * generations, mpconn/handshake.ts), then one pickle per frame, decoded by the safe
 * subset (pickle/decode.ts: data opcodes only, nothing that imports or calls).
 *
 *   echo (25000)  recv() → the same object back (seed 004's echo_client)
 *   rpc  (17000)  the seed's RPCProxy: each frame is pickle.dumps(pickle.dumps((name, args,
 *                 kwargs))); the reply is wrapped the same way: the result, or the
 *                 exception the client re-raises (builtins.TypeError(...), KeyError, ...).
 *                 A client sending (name, args, kwargs) with one level of pickling gets
 *                 one level back.
 *
 * A pickle the decoder refuses (a global such as os.system, REDUCE, BUILD, ...), a
 * malformed one, or one over the limits gets a pickled ValueError naming the reason
 * (the RPC client raises it, the echo client receives it), is logged, and the
 * connection is closed.
 */
import type { Socket } from 'node:net'
import type { Logger } from '../../../lib/log.ts'
import type { RpcConfig } from '../config.ts'
import { PyError } from '../errors.ts'
import type { Registry } from '../methods/registry.ts'
import { MpConnection } from '../mpconn/connection.ts'
import { serverHandshake } from '../mpconn/handshake.ts'
import { pyToRpc, rpcToPy } from '../pickle/convert.ts'
import { decodePickle, type PickleLimits } from '../pickle/decode.ts'
import { encodePickle, unwrapBytes, wrapBytes } from '../pickle/encode.ts'
import { PyDict, PyException, PyTuple, type PyValue } from '../pickle/value.ts'
import type { RpcValue } from '../value.ts'
import type { Drainable } from './drainable.ts'

/** BadRequest is a frame we will not run: answered with a ValueError, then the connection closes. */
class BadRequest extends Error {
  readonly code: string
  constructor(code: string, message: string) {
    super(message)
    this.code = code
  }
}

function decodeSafely(frame: Uint8Array, limits: PickleLimits): PyValue {
  try {
    return decodePickle(frame, limits) as PyValue
  } catch (err) {
    const code = (err as { code?: string }).code ?? 'PICKLE_FORMAT'
    throw new BadRequest(code, `netlab refused the pickle: ${(err as Error).message}`)
  }
}

function exceptionOf(err: PyError): PyException {
  return new PyException('builtins', err.pyClass, err.args.map(rpcToPy))
}

/** call runs one (name, args, kwargs) request; returns the reply object (result or exception). */
async function call(request: PyValue, registry: Registry, log: Logger): Promise<PyValue | PyException> {
  if (!(request instanceof PyTuple) || request.items.length !== 3)
    throw new BadRequest('BAD_REQUEST', 'an RPC request is the tuple (name, args, kwargs)')
  const [name, args, kwargs] = request.items
  if (typeof name !== 'string') throw new BadRequest('BAD_REQUEST', 'the method name must be a str')
  const positional = args instanceof PyTuple ? args.items : Array.isArray(args) ? args : undefined
  if (positional === undefined || !(kwargs instanceof PyDict))
    throw new BadRequest('BAD_REQUEST', 'args must be a tuple and kwargs a dict')
  try {
    const keywords = new Map<string, RpcValue>()
    for (const [k, v] of kwargs.entries) {
      if (typeof k !== 'string')
        throw new PyError('TypeError', 'keywords must be strings', ['keywords must be strings'])
      keywords.set(k, pyToRpc(v))
    }
    return rpcToPy(await registry.invoke(name, positional.map(pyToRpc), keywords))
  } catch (err) {
    if (!(err instanceof PyError)) throw err
    log.info({ code: err.code, method: name }, 'call raised')
    return exceptionOf(err)
  }
}

/** serveMpConnection runs one accepted connection: handshake, then frames until EOF. */
export function serveMpConnection(
  socket: Socket,
  kind: 'echo' | 'rpc',
  registry: Registry,
  authkey: Uint8Array,
  config: RpcConfig,
  log: Logger,
): Drainable {
  const remote = `${socket.remoteAddress}:${socket.remotePort}`
  const conn = new MpConnection(socket, { maxFrameBytes: config.maxRequestBytes })
  const limits: PickleLimits = {
    maxBytes: config.maxRequestBytes,
    maxDepth: config.maxDepth,
    maxItems: config.maxItems,
    maxMemo: config.maxItems,
    maxIntBytes: 1024,
    allowExceptions: false,
  }
  socket.setNoDelay(true)
  socket.setTimeout(config.idleTimeoutMs, () => conn.destroy())
  let busy = false
  let draining = false
  let calls = 0

  const run = async () => {
    try {
      await serverHandshake(conn, authkey, { timeoutMs: config.authTimeoutMs })
    } catch (err) {
      log.info({ remote, code: 'AUTH_FAILED', message: (err as Error).message }, 'authentication failed')
      return
    }
    while (!draining) {
      let frame: Buffer
      try {
        frame = await conn.recv()
      } catch {
        break // EOF, a reset, or a frame over the limit (the connection is already closed)
      }
      busy = true
      try {
        const outer = decodeSafely(frame, limits)
        if (kind === 'echo') await conn.send(encodePickle(outer))
        else {
          const inner = unwrapBytes(outer)
          const request = inner ? decodeSafely(inner, limits) : outer
          const reply = encodePickle(await call(request, registry, log))
          await conn.send(inner ? wrapBytes(reply) : reply)
        }
        calls++
      } catch (err) {
        if (!(err instanceof BadRequest)) throw err
        log.info({ remote, code: err.code, message: err.message }, 'request refused')
        const refusal = encodePickle(new PyException('builtins', 'ValueError', [err.message]))
        await conn.send(kind === 'rpc' ? wrapBytes(refusal) : refusal).catch(() => undefined)
        break
      } finally {
        busy = false
      }
    }
    await conn.close()
  }
  void run()
    .catch((err: unknown) => {
      log.error({ err, remote }, 'connection failed')
      conn.destroy()
    })
    .finally(() => log.debug({ remote, calls }, 'connection closed'))
  return {
    drain() {
      draining = true
      if (!busy) void conn.close()
    },
  }
}
