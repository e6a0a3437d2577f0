/** MpConnection over real loopback sockets: EOF, limits, backpressure; every wait has a deadline. */
import { once } from 'node:events'
import { setTimeout as delay } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { MpConnection } from '../../../protocols/mpconn/connection.ts'
import { encodeFrame } from '../../../protocols/mpconn/framing.ts'
import { connPair, hex, rejection, settles, socketPair, until, within } from '../../support/mpconn-sockets.ts'

describe('MpConnection over a loopback socket', () => {
  it('sends and receives frames both ways, in order, empty and large ones too', async () => {
    const [a, b] = await connPair()
    const payloads = [
      Buffer.from('hello'),
      Buffer.alloc(0),
      Buffer.alloc(1024 * 1024, 7),
      ...Array.from({ length: 100 }, (_, i) => Buffer.from(String(i))),
    ]
    const sent = Promise.all(payloads.map((p) => a.send(p)))
    const got: Buffer[] = []
    for (let i = 0; i < payloads.length; i++) got.push(await within(b.recv()))
    await within(sent)
    expect(got).toEqual(payloads)
    await within(b.send(Buffer.from('back')))
    expect(String(await within(a.recv()))).toBe('back')
  })

  it('rejects a frame over recv(maxBytes) as soon as its header arrives', async () => {
    const [client, peer] = await socketPair()
    const conn = new MpConnection(peer)
    const got = conn.recv(256)
    client.write(hex('000003e8')) // announces 1000 bytes, sends none
    const err = await rejection(got)
    expect(err).toMatchObject({ code: 'FRAME_TOO_LARGE' })
    expect(err.message).toBe('frame of 1000 bytes exceeds the limit of 256 bytes')
    // The stream is out of sync: later reads fail the same way, and the socket is gone.
    expect((await rejection(conn.recv())).message).toBe('frame of 1000 bytes exceeds the limit of 256 bytes')
    await within(once(peer, 'close'))
  })

  it('rejects at once when the frame being received is already over the new recv limit', async () => {
    const [client, peer] = await socketPair()
    const conn = new MpConnection(peer)
    client.write(hex('000003e8 6162'))
    await delay(50)
    expect((await rejection(conn.recv(256))).message).toBe(
      'frame of 1000 bytes exceeds the limit of 256 bytes',
    )
  })

  it('delivers received frames, then CONNECTION_CLOSED on EOF at a frame boundary', async () => {
    const [client, peer] = await socketPair()
    const conn = new MpConnection(peer)
    client.end(Buffer.concat([encodeFrame(Buffer.from('last')), encodeFrame(Buffer.from('words'))]))
    expect(String(await within(conn.recv()))).toBe('last')
    expect(String(await within(conn.recv()))).toBe('words')
    const err = await rejection(conn.recv())
    expect(err).toMatchObject({ code: 'CONNECTION_CLOSED' })
    expect(err.message).toBe('connection closed by the peer')
    expect(await rejection(conn.recv())).toBe(err)
  })

  it.each([
    ['inside the payload', hex('00000005 6162')],
    ['inside the header', hex('0000')],
  ])('rejects with TRUNCATED_FRAME on EOF %s', async (_where, bytes) => {
    const [client, peer] = await socketPair()
    const conn = new MpConnection(peer)
    client.end(bytes)
    const err = await rejection(conn.recv())
    expect(err).toMatchObject({ code: 'TRUNCATED_FRAME' })
    expect(err.message).toBe('got end of file during message')
  })

  it('stops reading while frames wait for recv (the peer fills its window, not our memory)', async () => {
    const [client, peer] = await socketPair()
    const conn = new MpConnection(peer)
    client.write(Buffer.concat([encodeFrame(Buffer.from('a')), encodeFrame(Buffer.from('b'))]))
    await until(() => peer.isPaused())
    expect(String(await within(conn.recv()))).toBe('a')
    expect(String(await within(conn.recv()))).toBe('b')
    const third = conn.recv()
    expect(peer.isPaused()).toBe(false)
    client.write(encodeFrame(Buffer.from('c')))
    expect(String(await within(third))).toBe('c')
  })

  it('send waits for drain when the peer does not read', async () => {
    const [client, peer] = await socketPair()
    const conn = new MpConnection(client)
    peer.pause()
    const sending = conn.send(Buffer.alloc(32 * 1024 * 1024))
    expect(await settles(sending, 200)).toBe(false)
    peer.resume()
    await within(sending, 10_000)
  })

  it('destroy rejects the pending recv with its error; close afterwards still resolves', async () => {
    const [a] = await connPair()
    const pending = a.recv()
    a.destroy(new Error('shutting down'))
    expect((await rejection(pending)).message).toBe('shutting down')
    await within(a.close())
    expect(a.socket.destroyed).toBe(true)
  })

  it('send fails with CONNECTION_CLOSED after close, and the peer sees EOF', async () => {
    const [a, b] = await connPair()
    await within(a.close())
    expect((await rejection(b.recv())).message).toBe('connection closed by the peer')
    const err = await rejection(a.send(Buffer.from('x')))
    expect(err).toMatchObject({ code: 'CONNECTION_CLOSED' })
    expect(err.message).toBe('cannot send: the connection is closed')
  })
})
