/**
 * When bytes written to a socket have reached the kernel, for a reservation held until then.
 * A write that finds nothing queued usually completes within `write()` (libuv writes at once),
 * and then there is nothing to wait for; otherwise an empty write queued behind the bytes
 * completes once they have all gone (writes complete in order). Either way no write callback
 * is paid on the common path.
 */
import type { Socket } from 'node:net'

const EMPTY = Buffer.alloc(0)

/**
 * whenFlushed calls `done` once every byte written to `socket` so far is in the kernel: at
 * once, returning true, when nothing is queued; else later, returning false.
 */
export function whenFlushed(socket: Socket, done: () => void): boolean {
  if (socket.writableLength === 0) {
    done()
    return true
  }
  socket.write(EMPTY, done)
  return false
}
