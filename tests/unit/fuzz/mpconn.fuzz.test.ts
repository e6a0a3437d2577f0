/**
 * Fuzz: multiprocessing.connection framing (protocols/mpconn/framing.ts) and the
 * authkey handshake (handshake.ts) over an in-memory duplex pair. Frames survive any cut
 * of the stream; bad headers fail with FRAME_TOO_LARGE / INVALID_FRAME, sticky, before
 * their payload is held; the handshake lets in exactly the peers that know the key and
 * refuses every other answer with a documented code, within its deadline. With a memory
 * budget, frames still arrive whole, what a connection holds is reserved before it is kept,
 * a frame that does not fit fails with BUSY, and every byte reserved is given back.
 */
import { duplexPair } from 'node:stream'
import fc from 'fast-check'
import { describe, it } from 'vitest'
import { LabError } from '../../../lib/errors.ts'
import { MemoryBudget } from '../../../lib/memory-budget.ts'
import { MpConnection } from '../../../protocols/mpconn/connection.ts'
import { encodeFrame, FrameDecoder } from '../../../protocols/mpconn/framing.ts'
import { clientHandshake, serverHandshake } from '../../../protocols/mpconn/handshake.ts'
import { check, checkAsync } from '../../support/fuzz-budget.ts'
import { cut, cutPoints, hostile } from '../../support/mutate.ts'

const MAX = 64
const payloads = fc.array(fc.uint8Array({ maxLength: 80 }), { maxLength: 6 })
const stream = payloads.map((ps) => Buffer.concat(ps.map((p) => encodeFrame(p))))

describe('fuzz: mp-connection framing', () => {
  it('frames come out whole and in order however the stream is cut', () => {
    check(
      'mpconn-framing',
      'chunking',
      fc.property(payloads, cutPoints, (ps, points) => {
        const decoder = new FrameDecoder({ maxFrameBytes: 1 << 20 })
        const bytes = Buffer.concat(ps.map((p) => encodeFrame(p)))
        const frames = cut(bytes, points).flatMap((c) => decoder.push(c))
        if (frames.length !== ps.length || frames.some((f, i) => !f.equals(ps[i] as Uint8Array)))
          throw new Error('frames changed')
        if (decoder.pending !== 0) throw new Error('bytes left over at a frame boundary')
      }),
    )
  })

  it('hostile streams give frames within the limit or a sticky FRAME_TOO_LARGE / INVALID_FRAME', () => {
    check(
      'mpconn-framing',
      'hostile',
      fc.property(hostile(stream), cutPoints, (bytes, points) => {
        const decoder = new FrameDecoder({ maxFrameBytes: MAX })
        let failure: unknown
        for (const chunk of cut(bytes, points)) {
          try {
            for (const f of decoder.push(chunk))
              if (f.length > MAX) throw new Error(`frame of ${f.length} bytes`)
          } catch (err) {
            if (failure !== undefined && err !== failure) throw new Error('a second, different error')
            failure = err
          }
          if (decoder.pending > MAX + 12) throw new Error(`holding ${decoder.pending} bytes`)
        }
        if (failure === undefined) return
        if (!(failure instanceof LabError) || !['FRAME_TOO_LARGE', 'INVALID_FRAME'].includes(failure.code))
          throw failure
      }),
      2,
    )
  })
})

/** pair connects two MpConnections in memory; `cleanup` destroys both ends. */
function pair() {
  const [a, b] = duplexPair()
  const server = new MpConnection(a, { maxFrameBytes: 1 << 16, closeGraceMs: 50 })
  const client = new MpConnection(b, { maxFrameBytes: 1 << 16, closeGraceMs: 50 })
  return {
    server,
    client,
    raw: b,
    cleanup: () => {
      a.destroy()
      b.destroy()
    },
  }
}

const HANDSHAKE_CODES = [
  'AUTH_FAILED',
  'FRAME_TOO_LARGE',
  'INVALID_FRAME',
  'CONNECTION_CLOSED',
  'TRUNCATED_FRAME',
  'AUTH_TIMEOUT',
]

describe('fuzz: mp-connection handshake', () => {
  // HMAC pads a key shorter than its block with zero bytes, so `b'k'` and `b'k\0'` are one
  // key (in CPython too): "the same key" is the same once trailing zeros are dropped.
  const hmacKey = (k: Uint8Array) =>
    Buffer.from(k)
      .toString('hex')
      .replace(/(00)+$/, '')

  it('succeeds exactly when both sides hold the same key', async () => {
    await checkAsync(
      'mpconn-handshake',
      'keys',
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 32 }),
        fc.uint8Array({ maxLength: 32 }),
        fc.boolean(),
        async (k1, k2, same) => {
          const { server, client, cleanup } = pair()
          try {
            const key2 = same ? k1 : k2
            const results = await Promise.allSettled([
              serverHandshake(server, k1, { timeoutMs: 5000 }),
              clientHandshake(client, key2, { timeoutMs: 5000 }),
            ])
            const ok = hmacKey(k1) === hmacKey(key2)
            for (const r of results) {
              if (ok && r.status === 'rejected') throw r.reason
              if (!ok && (r.status === 'fulfilled' || (r.reason as LabError).code !== 'AUTH_FAILED'))
                throw new Error(`different keys: ${r.status} ${String((r as PromiseRejectedResult).reason)}`)
            }
          } finally {
            cleanup()
          }
        },
      ),
      0.25,
    )
  })

  it('refuses any other answer to its challenge with a documented code', async () => {
    const answer = fc.oneof(
      hostile(
        fc
          .uint8Array({ minLength: 16, maxLength: 48 })
          .map((b) => Buffer.concat([Buffer.from('{sha256}'), b])),
      ),
      fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
    )
    await checkAsync(
      'mpconn-handshake',
      'hostile answers',
      fc.asyncProperty(answer, fc.boolean(), async (bytes, framed) => {
        const { server, client, raw, cleanup } = pair()
        try {
          const result = serverHandshake(server, Buffer.from('peekaboo'), { timeoutMs: 2000 }).then(
            () => new Error('a hostile answer was accepted'),
            (err: unknown) => err,
          )
          await client.recv(256) // the challenge
          raw.write(framed ? encodeFrame(bytes) : bytes)
          raw.end()
          const err = await result
          if (!(err instanceof LabError) || !HANDSHAKE_CODES.includes(err.code)) throw err
        } finally {
          cleanup()
        }
      }),
      0.5,
    )
  })
})

describe('fuzz: mp-connection with a memory budget', () => {
  it('frames arrive whole or fail with BUSY / FRAME_TOO_LARGE, and the budget is given back', async () => {
    await checkAsync(
      'mpconn-framing',
      'budget',
      fc.asyncProperty(
        fc.array(fc.uint8Array({ maxLength: 3000 }), { maxLength: 6 }),
        cutPoints,
        fc.integer({ min: 16, max: 12_000 }),
        fc.boolean(),
        async (ps, points, limit, linger) => {
          const budget = MemoryBudget.create(limit)
          const [a, b] = duplexPair()
          const conn = new MpConnection(a, {
            maxFrameBytes: 2048,
            budget,
            budgetWaitMs: 10,
            lingerOnError: linger,
          })
          try {
            for (const chunk of cut(Buffer.concat(ps.map((p) => encodeFrame(p))), points)) b.write(chunk)
            b.end()
            for (const p of ps) {
              let held: Awaited<ReturnType<MpConnection['recvHeld']>>
              try {
                held = await conn.recvHeld()
              } catch (err) {
                if (err instanceof LabError && ['BUSY', 'FRAME_TOO_LARGE'].includes(err.code)) break
                throw err
              }
              if (!held.frame.equals(p)) throw new Error('frame changed')
              if (budget.usedBytes > limit) throw new Error(`holding ${budget.usedBytes} > ${limit}`)
              held.hold?.release()
            }
          } finally {
            conn.destroy()
            a.destroy()
            b.destroy()
          }
          if (budget.usedBytes !== 0) throw new Error(`${budget.usedBytes} bytes still reserved`)
        },
      ),
      0.5,
    )
  })
})
