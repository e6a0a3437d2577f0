/**
 * The two multiprocessing.connection ports: the authkey handshake (both CPython
 * generations, mpconn/handshake.ts), then one pickle per frame, decoded by the safe
 * subset (pickle/decode.ts: data opcodes and the allow-list of data constructors).
 *
 *   echo (25000)  recv() → the same object back (seed 004's echo_client)
 *   rpc  (17000)  the seed's RPCProxy: each frame is pickle.dumps(pickle.dumps((name, args,
 *                 kwargs))); the reply is wrapped the same way: the result, or the
 *                 exception the client re-raises (builtins.TypeError(...), KeyError, ...).
 *                 A client sending (name, args, kwargs) with one level of pickling gets
 *                 one level back (mpconn/call.ts runs the call).
 *
 * Each connection answers in its client's protocol: the highest PROTO it has sent so far
 * (2 until it has sent one), for replies and the RPC port's inner pickles alike, so Python
 * 2.7 (protocol 2) and 3.6/3.7 (protocol 3) read them.
 *
 * Refusals, each a pickled exception in the client's protocol (the RPC client raises it,
 * the echo client receives it):
 *   ValueError   a pickle the decoder refuses (PICKLE_REFUSED: a global off the allow-list,
 *                a constructor called with the wrong shapes, ...), malformed (PICKLE_FORMAT),
 *                over a limit (PICKLE_LIMIT), not an RPC request (BAD_REQUEST), or a frame
 *                over RPC_MAX_REQUEST_BYTES (FRAME_TOO_LARGE) or too slow to arrive (FRAME_TIMEOUT);
 *                the connection is then closed.
 *   ValueError   a reply that cannot be pickled at the client's protocol (PICKLE_ENCODE);
 *                the connection stays open.
 *   MemoryError  no room in the service's memory budget (BUSY) for the request, its
 *                decoded value or its reply; the connection stays open, unless the frame
 *                itself could not be read (then it is closed).
 *
 * Memory (after the handshake): a frame is admitted into the budget as soon as its header is
 * in, with ADMIT_FACTOR times its size (mpconn/connection.ts: the others wait, unread, up to
 * BUDGET_WAIT_MS); the hold then grows to what the decoded value and the reply's size bound
 * actually need, before the reply is built, and is released once the reply is written.
 */
import type { Socket } from 'node:net'
import type { Logger } from '../../../lib/log.ts'
import type { Hold, MemoryBudget } from '../../../lib/memory-budget.ts'
import { isProtocolError } from '../../../protocols/errors.ts'
import { keptForSmall, MpConnection, SMALL_HOLD_BYTES } from '../../../protocols/mpconn/connection.ts'
import { isFrameRefusal } from '../../../protocols/mpconn/errors.ts'
import { serverHandshake } from '../../../protocols/mpconn/handshake.ts'
import {
  type DecodedPickle,
  decodePickleMeasured,
  type PickleLimits,
} from '../../../protocols/pickle/decode.ts'
import { encodePickle, wrapBytes } from '../../../protocols/pickle/encode.ts'
import { pickledSizeBound } from '../../../protocols/pickle/size.ts'
import { PyException, type PyValue } from '../../../protocols/pickle/value.ts'
import type { RpcConfig } from '../config.ts'
import type { Registry } from '../methods/registry.ts'
import type { Drainable } from './drainable.ts'
import { BadRequest, callMp } from './mpconn-call.ts'

/** MpTransportOptions is the configuration and the service's memory budget (frames, decoded values and replies are held in it). */
export type MpTransportOptions = RpcConfig & { readonly budget: MemoryBudget }

/** How many times the frame size a pickle may expand to (shared parts counted each time they appear). */
export const EXPANSION_FACTOR = 4
/** How long reading a frame waits for room in the budget before the client gets MemoryError, ms. */
export const BUDGET_WAIT_MS = 2000
/**
 * What a frame is admitted with: the budget a request of that size usually takes (the frame,
 * its decoded value, up to twice its size for text, and a reply as large), reserved as soon
 * as its header is in; the actual figures replace the estimate as they are known.
 */
export const ADMIT_FACTOR = 4
/** How long an admitted frame's bytes may take to arrive, ms. */
export const FRAME_TIMEOUT_MS = 30_000

/** Busy: the budget has no room for the next step of a request; answered with MemoryError. */
class Busy extends Error {}

/** Unpicklable: the reply could not be written at the client's protocol; answered with ValueError. */
class Unpicklable extends Error {}

/** Request is one frame's work: its hold in the budget, and the bytes it needs so far. */
interface Request {
  readonly hold: Hold | undefined
  need: number
}

/** decode runs the safe decoder; any refusal becomes a BadRequest naming it. */
function decode(frame: Uint8Array, limits: PickleLimits): DecodedPickle {
  try {
    return decodePickleMeasured(frame, limits)
  } catch (err) {
    const code = (err as { code?: string }).code ?? 'PICKLE_FORMAT'
    throw new BadRequest(code, `netlab refused the pickle: ${(err as Error).message}`)
  }
}

/**
 * ensure makes the request's hold at least `need` bytes (it holds the admission estimate at
 * first); a hold past SMALL_HOLD_BYTES leaves the budget's last eighth to small requests.
 */
function ensure(
  budget: MemoryBudget,
  hold: Hold | undefined,
  need: number,
  what: string,
  bytes: number,
): void {
  if (hold === undefined || need <= hold.bytes) return
  const more = need - hold.bytes
  const tooLarge =
    need > SMALL_HOLD_BYTES && budget.usedBytes + more > budget.limitBytes - keptForSmall(budget)
  if (tooLarge || !hold.grow(more))
    throw new Busy(
      `netlab is over its memory budget (RPC_MEMORY_BUDGET_BYTES): no room for ${what} of ${bytes} bytes; try again`,
    )
}

/** serveMpConnection runs one accepted connection: handshake, then frames until EOF. */
export function serveMpConnection(
  socket: Socket,
  kind: 'echo' | 'rpc',
  registry: Registry,
  authkey: Uint8Array,
  config: MpTransportOptions,
  log: Logger,
): Drainable {
  const { budget } = config
  const remote = `${socket.remoteAddress}:${socket.remotePort}`
  const conn = new MpConnection(socket, {
    maxFrameBytes: config.maxRequestBytes,
    budgetWaitMs: BUDGET_WAIT_MS,
    lingerOnError: true,
    admitBytes: (n) => ADMIT_FACTOR * n,
    frameTimeoutMs: FRAME_TIMEOUT_MS,
    closeGraceMs: 5000,
  })
  const maxExpandedBytes = EXPANSION_FACTOR * config.maxRequestBytes
  const limits: PickleLimits = {
    maxBytes: config.maxRequestBytes,
    maxDepth: config.maxDepth,
    maxItems: config.maxItems,
    maxMemo: config.maxItems,
    maxIntBytes: 1024,
    allowExceptions: false,
    maxExpandedBytes,
  }
  socket.setNoDelay(true)
  socket.setTimeout(config.idleTimeoutMs, () => conn.destroy())
  let busy = false
  let draining = false
  let calls = 0
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
  /** the highest pickle protocol this client has used; replies are written at it */
  let protocol = 2

  const decoded = (bytes: Uint8Array, req: Request): PyValue => {
    // The client used this protocol even if its pickle is refused: the refusal is written at it.
    if (bytes[0] === 0x80 && (bytes[1] as number) <= 5) protocol = Math.max(protocol, bytes[1] as number)
    const d = decode(bytes, limits)
    protocol = Math.min(5, Math.max(protocol, d.protocol))
    req.need += d.retainedBytes
    ensure(budget, req.hold, req.need, 'the decoded value', d.retainedBytes)
    return d.value as PyValue
  }

  /** encodeReply accounts for the reply's size bound, then builds it (wrapped for RPCProxy when `wrap`). */
  const encodeReply = (value: PyValue | PyException, wrap: boolean, req: Request): Buffer => {
    const p = protocol as 2 | 3 | 4 | 5
    const bound = pickledSizeBound(value, maxExpandedBytes, p)
    if (bound === undefined)
      throw new Unpicklable(
        `netlab could not pickle the reply: it would be larger than ${maxExpandedBytes} bytes (4 x RPC_MAX_REQUEST_BYTES)`,
      )
    const replyBytes = wrap ? 2 * bound + 64 : bound
    req.need += replyBytes
    ensure(budget, req.hold, req.need, 'the reply', replyBytes)
    let reply: Buffer
    try {
      reply = encodePickle(value, { protocol: p })
    } catch (err) {
      // A value deeper than the encoder goes (or than the JS stack): the request was fine.
      if (!(isProtocolError(err, 'PICKLE_ENCODE') || err instanceof RangeError)) throw err
      throw new Unpicklable(`netlab could not pickle the reply: ${err.message}`)
    }
    return wrap ? wrapBytes(reply, p) : reply
  }

  const handle = async (frame: Buffer, hold: Hold | undefined): Promise<Buffer> => {
    const req: Request = { hold, need: frame.length }
    const outer = decoded(frame, req)
    if (kind === 'echo') return encodeReply(outer, false, req)
    // A request is a tuple, so bytes (a Python 2 str under 2.7) are the RPCProxy's inner pickle,
    // whatever its protocol (2.7's pickle.dumps writes protocol 0).
    const inner = outer instanceof Uint8Array ? outer : undefined
    const request = inner ? decoded(inner, req) : outer
    return encodeReply(await callMp(request, registry, log), inner !== undefined, req)
  }

  /** refuse sends a pickled exception in the client's protocol, wrapped on the RPC port. */
  const refuse = async (name: string, message: string): Promise<void> => {
    const e = encodePickle(new PyException('builtins', name, [message]), {
      protocol: protocol as 2 | 3 | 4 | 5,
    })
    await conn.send(kind === 'rpc' ? wrapBytes(e, protocol as 2 | 3 | 4 | 5) : e).catch(() => undefined)
  }

  const run = async () => {
    try {
      await serverHandshake(conn, authkey, { timeoutMs: config.authTimeoutMs })
    } catch (err) {
      log.info({ remote, code: 'AUTH_FAILED', message: (err as Error).message }, 'authentication failed')
      return
    }
    conn.useBudget(budget)
    while (!draining) {
      let frame: Buffer
      let hold: Hold | undefined
      try {
        ;({ frame, hold } = await conn.recvHeld())
      } catch (err) {
        // EOF, a reset, or a frame we will not read (the connection is already closed for reading).
        if (isFrameRefusal(err)) {
          log.warn({ remote, code: err.code, message: err.message }, 'request refused')
          const name = err.code === 'BUSY' ? 'MemoryError' : 'ValueError'
          await refuse(name, `netlab refused the frame: ${err.message}`)
        }
        break
      }
      busy = true
      try {
        await conn.send(await handle(frame, hold))
        calls++
      } catch (err) {
        if (err instanceof Busy) {
          log.warn({ remote, code: 'BUSY', message: err.message }, 'request refused')
          await refuse('MemoryError', err.message)
          continue
        }
        if (err instanceof Unpicklable) {
          log.info({ remote, code: 'PICKLE_ENCODE', message: err.message }, 'request refused')
          await refuse('ValueError', err.message)
          continue
        }
        if (!(err instanceof BadRequest)) throw err
        log.info({ remote, code: err.code, message: err.message }, 'request refused')
        await refuse('ValueError', err.message)
        break
      } finally {
        hold?.release()
        busy = false
      }
    }
    await conn.close()
  }
  void run().catch((err: unknown) => {
    log.error({ err, remote }, 'connection failed')
    conn.destroy()
  })
  return {
    drain() {
      draining = true
      if (!busy) void conn.close()
    },
    destroy() {
      conn.destroy()
    },
    closed,
    summary: () => ({ calls }),
  }
}
