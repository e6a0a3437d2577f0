/**
 * The UDP send queue sends a big fan-out a batch per turn of the event loop, so work queued
 * behind it (the control API's requests) runs between batches; what it drops on clear() gives
 * its budget share back like what it sends.
 */
import type { Socket } from 'node:dgram'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import type { Outgoing } from '../../../../services/faults/udp-fanout.ts'
import { SENDS_PER_TURN, SendQueue } from '../../../../services/faults/udp-send-queue.ts'

/** a socket double whose send completes at once, counting */
function fakeSocket(): { socket: Socket; sent: () => number } {
  let n = 0
  const socket = {
    send: (...args: unknown[]) => {
      n++
      const cb = args.at(-1) as (err: Error | null) => void
      cb(null)
    },
  } as unknown as Socket
  return { socket, sent: () => n }
}

describe('SendQueue', () => {
  it(`sends ${SENDS_PER_TURN} per turn, letting other work run in between`, async () => {
    const outcomes = { sent: 0, dropped: 0 }
    const q = new SendQueue((ok) => (ok ? outcomes.sent++ : outcomes.dropped++))
    const { socket, sent } = fakeSocket()
    let done = 0
    const out: Outgoing = { data: Buffer.from('x'), delayMs: 0, done: () => done++ }
    for (let i = 0; i < 600; i++) q.push(socket, out)
    expect(sent()).toBe(0)
    const seen: number[] = []
    for (let turn = 0; turn < 4; turn++) {
      await nextTurn()
      seen.push(sent())
    }
    expect(seen).toEqual([256, 512, 600, 600])
    expect(outcomes).toEqual({ sent: 600, dropped: 0 })
    expect(done).toBe(600)
    expect(q.length).toBe(0)
  })

  it('clear() drops what waits and gives each share back', async () => {
    const outcomes = { sent: 0, dropped: 0 }
    const q = new SendQueue((ok) => (ok ? outcomes.sent++ : outcomes.dropped++))
    const { socket } = fakeSocket()
    let done = 0
    for (let i = 0; i < 300; i++) q.push(socket, { data: Buffer.alloc(0), delayMs: 0, done: () => done++ })
    await nextTurn()
    q.clear()
    await nextTurn()
    expect(outcomes).toEqual({ sent: 256, dropped: 44 })
    expect(done).toBe(300)
  })
})
