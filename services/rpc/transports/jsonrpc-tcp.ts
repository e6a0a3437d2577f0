/**
 * JSON-RPC 2.0 over TCP, newline-delimited: each line is one request or batch, each
 * answer one line (nothing for notifications). Requests on one connection are answered
 * in order, and a client may pipeline them. A line over RPC_MAX_REQUEST_BYTES gets an
 * Invalid Request error and is skipped; the connection stays usable.
 *
 *   → {"jsonrpc":"2.0","method":"add","params":[2,3],"id":1}
 *   ← {"jsonrpc":"2.0","result":5,"id":1}
 *
 * What one connection may hold is bounded, and reading pauses rather than buffering more:
 *
 *   socket ──▶ splitter ──▶ waiting lines ──▶ in flight (≤ RPC_JSONRPC_MAX_IN_FLIGHT) ──▶ replies, in order
 *
 * - bytes read are reserved from the memory budget as they arrive (the line being framed,
 *   the lines waiting, the lines in flight); a chunk the budget has no room for is set aside
 *   and reading pauses until there is room;
 * - at most `maxInFlight` requests run at once; beyond that the lines wait and reading pauses;
 * - a peer that does not read its replies stops being read (the socket's write buffer is
 *   the only queue), and each reply's reservation is kept until the kernel has taken it.
 * Every request's promise ends in a handler: a failure is answered with -32603 and logged,
 * and the connection carries on.
 */
import type { Socket } from 'node:net'
import type { Logger } from '../../../lib/log.ts'
import type { MemoryBudget } from '../../../lib/memory-budget.ts'
import { whenFlushed } from '../../../lib/net/flushed.ts'
import { encodeError, INTERNAL_ERROR, INVALID_REQUEST } from '../../../protocols/jsonrpc/codec.ts'
import { LineSplitter } from '../../../protocols/line-splitter.ts'
import type { Drainable } from './drainable.ts'
import { handleJsonRpc, type JsonRpcContext } from './jsonrpc.ts'
import { RequestHold } from './request-hold.ts'

export interface JsonRpcTcpOptions {
  readonly maxLineBytes: number
  /** RPC_JSONRPC_MAX_IN_FLIGHT */
  readonly maxInFlight: number
  readonly idleTimeoutMs: number
  readonly budget: MemoryBudget
}

/** Waiting is a line read and not started yet, or the error that stands for an over-long one. */
type Waiting =
  | { readonly line: string; readonly bytes: number }
  | { readonly reply: string; readonly bytes: 0 }

/** Slot is one request in flight; its reply is written once every earlier one has been. */
interface Slot {
  done: boolean
  reply: string | undefined
  /** the line's bytes, reserved in the connection's hold */
  readonly lineBytes: number
  /** the request's own reservation: decoded values and reply */
  readonly hold: RequestHold
}

/** serveJsonRpcConnection runs the protocol on one accepted socket until it closes. */
export function serveJsonRpcConnection(
  socket: Socket,
  ctx: JsonRpcContext,
  opts: JsonRpcTcpOptions,
  log: Logger,
): Drainable {
  const splitter = new LineSplitter({ maxLineBytes: opts.maxLineBytes })
  const conn = new RequestHold(opts.budget) // bytes read and not yet answered
  const waiting: Waiting[] = []
  const slots: Slot[] = []
  const stalled: Buffer[] = []
  const writing = new Set<RequestHold>()
  let queuedBytes = 0 // lines waiting or in flight
  let waitingForRoom = false
  let pumping = false
  let writeBlocked = false
  let draining = false
  let peerEnded = false
  let closed = false
  let ended = false
  let calls = 0
  const socketClosed = new Promise<void>((resolve) => socket.once('close', () => resolve()))

  socket.setNoDelay(true)
  socket.setTimeout(opts.idleTimeoutMs, () => {
    // A peer that neither sends nor reads its replies is cut off, its pending replies dropped.
    if (socket.writableLength > 0) socket.destroy()
    else socket.end()
  })
  socket.on('error', (err) => log.debug({ err }, 'connection error'))
  socket.on('close', () => {
    closed = true
    for (const slot of slots) slot.hold.release()
    for (const hold of writing) hold.release()
    conn.release()
  })
  /** guarded runs an event's work; a bug in it is logged and ends this connection, not the process. */
  const guarded = (work: () => void) => () => {
    try {
      work()
    } catch (err) {
      log.error({ err }, 'connection failed')
      socket.destroy()
    }
  }
  socket.on(
    'end',
    guarded(() => {
      peerEnded = true
      pump()
    }),
  )
  socket.on(
    'drain',
    guarded(() => {
      writeBlocked = false
      pump()
    }),
  )
  socket.on('data', (chunk: Buffer) =>
    guarded(() => {
      if (stalled.length > 0 || !conn.grow(chunk.length)) {
        stalled.push(chunk)
        waitForRoom().catch((err: unknown) => {
          log.error({ err }, 'connection failed')
          socket.destroy()
        })
      } else frame(chunk)
      pump()
    })(),
  )

  /** frame splits a reserved chunk into waiting lines, and gives back what no line keeps. */
  function frame(chunk: Buffer): void {
    for (const line of splitter.push(chunk)) {
      if (typeof line !== 'string') {
        const reply = encodeError(
          null,
          INVALID_REQUEST,
          'Invalid Request',
          `line exceeds ${line.maxLineBytes} bytes`,
        )
        waiting.push({ reply, bytes: 0 })
        continue
      }
      if (line.trim() === '') continue
      const bytes = Buffer.byteLength(line)
      waiting.push({ line, bytes })
      queuedBytes += bytes
    }
    conn.shrink(conn.bytes - splitter.pending - queuedBytes)
  }

  /** waitForRoom takes the set-aside chunks in once the budget can hold them. */
  async function waitForRoom(): Promise<void> {
    if (waitingForRoom) return
    waitingForRoom = true
    try {
      while (stalled.length > 0 && !closed && !draining) {
        const chunk = stalled[0] as Buffer
        if (conn.grow(chunk.length)) {
          stalled.shift()
          frame(chunk)
          pump()
        } else await conn.waitForRoom(chunk.length, opts.idleTimeoutMs)
      }
    } catch (err) {
      log.error({ err }, 'waiting for memory failed')
      socket.destroy()
    } finally {
      waitingForRoom = false
      pump()
    }
  }

  /**
   * pump starts waiting lines while there is room in flight, writes the replies that are
   * ready, and pauses or resumes reading. A call answered at once is written after the loop,
   * with every other reply ready by then, as one write; the loop, not recursion, takes the
   * next lines, however many a chunk held.
   */
  function pump(): void {
    if (closed || pumping) return
    pumping = true
    try {
      for (;;) {
        while (waiting.length > 0 && slots.length < opts.maxInFlight) start(waiting.shift() as Waiting)
        if (slots.length === 0 || !(slots[0] as Slot).done) break
        writeReady()
      }
    } finally {
      pumping = false
    }
    if (closed) return
    const idle = waiting.length === 0 && slots.length === 0 && stalled.length === 0
    if ((peerEnded || draining) && idle) {
      if (!ended) socket.end()
      ended = true
      return
    }
    const full = stalled.length > 0 || waiting.length > 0 || slots.length >= opts.maxInFlight
    if (full || writeBlocked || draining) socket.pause()
    else socket.resume()
  }

  function start(item: Waiting): void {
    const slot: Slot = {
      done: false,
      reply: undefined,
      lineBytes: item.bytes,
      hold: new RequestHold(opts.budget),
    }
    slots.push(slot)
    const reply = 'reply' in item ? item.reply : handleJsonRpc(item.line, ctx, slot.hold)
    if (!(reply instanceof Promise)) {
      settle(slot, reply)
      return
    }
    reply
      .catch((err: unknown) => {
        log.error({ err }, 'request failed')
        return encodeError(null, INTERNAL_ERROR, 'Internal error')
      })
      .then((reply) => {
        settle(slot, reply)
        pump()
      })
      .catch((err: unknown) => {
        log.error({ err }, 'writing the reply failed')
        socket.destroy()
      })
  }

  /** settle records a request's reply; pump writes it when its turn comes. */
  function settle(slot: Slot, reply: string | undefined): void {
    calls++
    slot.reply = reply
    slot.done = true
  }

  /** writeReady writes, in order, every reply whose turn has come, as one write. */
  function writeReady(): void {
    const out: string[] = []
    const holds: RequestHold[] = []
    while (slots.length > 0 && (slots[0] as Slot).done) {
      const slot = slots.shift() as Slot
      queuedBytes -= slot.lineBytes
      conn.shrink(slot.lineBytes)
      if (slot.reply === undefined) slot.hold.release()
      else {
        out.push(slot.reply)
        holds.push(slot.hold)
      }
    }
    if (out.length > 0 && !closed && socket.writable) {
      // The reservations stay until the kernel has the bytes: a reader that stops reading
      // keeps them, and so pauses this connection and, past the budget, everyone's reading.
      if (!socket.write(out.length === 1 ? `${out[0]}\n` : `${out.join('\n')}\n`)) writeBlocked = true
      for (const hold of holds) writing.add(hold)
      whenFlushed(socket, () => {
        for (const hold of holds) {
          hold.release()
          writing.delete(hold)
        }
      })
    } else for (const hold of holds) hold.release()
  }

  return {
    drain() {
      draining = true
      stalled.length = 0
      pump()
    },
    destroy() {
      socket.destroy()
    },
    closed: socketClosed,
    summary: () => ({ calls }),
  }
}
