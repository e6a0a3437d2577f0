/**
 * udpRequests' accounting against a deliberately bad responder on loopback: a request left
 * unanswered is lost after REPLY_TIMEOUT_MS and counted as an error (the sender moves on), and
 * a reply that fails the check is counted as bad, never as a success.
 */
import { createSocket, type Socket } from 'node:dgram'
import { once } from 'node:events'
import { afterEach, describe, expect, it } from 'vitest'
import { REPLY_TIMEOUT_MS, udpRequests } from '../../../bench/load/udp-requests.ts'

const HOST = '127.0.0.1'
let server: Socket | undefined

/** responder answers the n-th datagram (1-based) with `answer(n)`, or drops it when that is undefined. */
async function responder(answer: (n: number) => Buffer | undefined): Promise<number> {
  const s = createSocket('udp4')
  server = s
  let n = 0
  s.on('message', (_msg, rinfo) => {
    const reply = answer(++n)
    if (reply) s.send(reply, rinfo.port, rinfo.address)
  })
  s.bind(0, HOST)
  await once(s, 'listening')
  return s.address().port
}

afterEach(() => {
  server?.close()
  server = undefined
})

describe('udpRequests', () => {
  it('counts an unanswered request as lost after the reply timeout, then carries on', async () => {
    // answers the first datagram, drops the second; the step ends while that one waits
    const port = await responder((n) => (n === 2 ? undefined : Buffer.from('ok')))
    const out = await udpRequests({
      host: HOST,
      port,
      concurrency: 1,
      seconds: 0.3,
      request: () => Buffer.from('q'),
      check: (reply) => reply.toString() === 'ok',
    })
    expect(out.errors).toBe(1)
    expect(out.extra).toMatchObject({ lost: 1, badReplies: 0 })
    expect(out.ops).toBe(1)
    expect(out.firstError).toBe(`no reply from ${HOST}:${port} within ${REPLY_TIMEOUT_MS} ms`)
  })

  it('counts a reply that fails the check as bad, not as a success', async () => {
    const port = await responder(() => Buffer.from('nope'))
    const out = await udpRequests({
      host: HOST,
      port,
      concurrency: 2,
      seconds: 0.05,
      request: () => Buffer.from('q'),
      check: (reply) => reply.toString() === 'ok',
    })
    expect(out.ops).toBe(0)
    expect(out.extra?.badReplies).toBe(2)
    // the wrong replies did not answer the requests: each sender's request timed out
    expect(out.errors).toBe(2)
    expect(out.firstError).toBe(`unexpected reply from ${HOST}:${port}: "nope"`)
  })
})
