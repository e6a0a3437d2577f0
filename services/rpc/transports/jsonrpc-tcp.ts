/**
 * JSON-RPC 2.0 over TCP, newline-delimited: each line is one request or batch, each
 * answer one line (nothing for notifications). Requests on one connection are answered
 * in order, and a client may pipeline them. A line over RPC_MAX_REQUEST_BYTES gets an
 * Invalid Request error and is skipped; the connection stays usable.
 *
 *   → {"jsonrpc":"2.0","method":"add","params":[2,3],"id":1}
 *   ← {"jsonrpc":"2.0","result":5,"id":1}
 */
import type { Socket } from 'node:net'
import { LineSplitter } from '../../../lib/framing/line-splitter.ts'
import type { Logger } from '../../../lib/log.ts'
import { DEFAULT_JSONRPC_LIMITS, encodeError, INVALID_REQUEST } from '../jsonrpc/codec.ts'
import type { Registry } from '../methods/registry.ts'
import type { Drainable } from './drainable.ts'
import { handleJsonRpc } from './jsonrpc.ts'

export interface JsonRpcTcpOptions {
  readonly maxLineBytes: number
  readonly maxDepth: number
  readonly idleTimeoutMs: number
}

/** serveJsonRpcConnection runs the protocol on one accepted socket until it closes. */
export function serveJsonRpcConnection(
  socket: Socket,
  registry: Registry,
  opts: JsonRpcTcpOptions,
  log: Logger,
): Drainable {
  const splitter = new LineSplitter({ maxLineBytes: opts.maxLineBytes })
  const limits = {
    maxBytes: opts.maxLineBytes,
    maxDepth: opts.maxDepth,
    maxBatch: DEFAULT_JSONRPC_LIMITS.maxBatch,
  }
  // Answers leave in request order: each line's work chains on the previous one's.
  let queue: Promise<void> = Promise.resolve()
  let draining = false
  socket.setNoDelay(true)
  socket.setTimeout(opts.idleTimeoutMs, () => socket.end())
  socket.on('error', (err) => log.debug({ err }, 'connection error'))
  // The peer half-closed: answer what it sent, then end our side too.
  socket.on('end', () => void queue.then(() => socket.end()))
  socket.on('data', (chunk: Buffer) => {
    const out: Promise<string | undefined>[] = []
    for (const line of splitter.push(chunk)) {
      if (typeof line !== 'string') {
        out.push(
          Promise.resolve(
            encodeError(null, INVALID_REQUEST, 'Invalid Request', `line exceeds ${line.maxLineBytes} bytes`),
          ),
        )
        continue
      }
      if (line.trim() === '') continue
      out.push(handleJsonRpc(line, registry, limits, log))
    }
    if (out.length === 0) return
    queue = queue.then(async () => {
      const replies = (await Promise.all(out)).filter((r) => r !== undefined)
      // A peer that stops reading stops being read: no unbounded reply buffer.
      if (replies.length > 0 && socket.writable && !socket.write(`${replies.join('\n')}\n`)) {
        socket.pause()
        socket.once('drain', () => {
          if (!draining) socket.resume()
        })
      }
    })
  })
  return {
    drain() {
      draining = true
      socket.pause()
      void queue.then(() => socket.end())
    },
  }
}
