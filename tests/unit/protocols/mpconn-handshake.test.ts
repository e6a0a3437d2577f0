/** The authkey handshake between our two sides and against hand-written peers. */
import { once } from 'node:events'
import { describe, expect, it } from 'vitest'
import { MpConnection } from '../../../protocols/mpconn/connection.ts'
import { authFailed, handshakeTimeout } from '../../../protocols/mpconn/errors.ts'
import { encodeFrame } from '../../../protocols/mpconn/framing.ts'
import { clientHandshake, serverHandshake } from '../../../protocols/mpconn/handshake.ts'
import {
  CHALLENGE,
  connPair,
  hex,
  hmac,
  KEY,
  rejection,
  socketPair,
  WELCOME,
  within,
} from '../../support/mpconn-sockets.ts'

describe('handshake', () => {
  it('lets our client in to our server with the same key, then carries frames', async () => {
    const [client, server] = await connPair()
    await within(Promise.all([serverHandshake(server, KEY), clientHandshake(client, KEY)]))
    await within(client.send(Buffer.from('ping')))
    expect(String(await within(server.recv()))).toBe('ping')
  })

  it('refuses a wrong key on both sides with CPython texts, and closes the connection', async () => {
    const [client, server] = await connPair()
    const [s, c] = await Promise.all([
      rejection(serverHandshake(server, KEY)),
      rejection(clientHandshake(client, Buffer.from('wrong'))),
    ])
    expect(s).toEqual(authFailed('digest received was wrong'))
    expect(c).toEqual(authFailed('digest sent was rejected'))
    expect(s).toMatchObject({ code: 'AUTH_FAILED' })
    await within(once(server.socket, 'close'))
  })

  it('accepts a 3.11-style client: raw 16-byte HMAC-MD5, then a 20-byte challenge', async () => {
    const [client, peer] = await socketPair()
    const done = serverHandshake(new MpConnection(peer), KEY)
    const raw = new MpConnection(client)
    const challenge = await within(raw.recv())
    expect(challenge.length).toBe(59)
    expect(challenge.subarray(0, 19).toString()).toBe('#CHALLENGE#{sha256}')
    // A 3.11 client MACs everything after #CHALLENGE#, prefix included, with MD5.
    await raw.send(hmac('md5', KEY, challenge.subarray(11)))
    expect(await within(raw.recv())).toEqual(WELCOME)
    const legacy = Buffer.alloc(20, 9)
    await raw.send(Buffer.concat([CHALLENGE, legacy]))
    expect(await within(raw.recv())).toEqual(hmac('md5', KEY, legacy))
    await raw.send(WELCOME)
    await within(done)
  })

  it.each([
    'sha3_256',
    'sha384',
    'md5',
  ])('accepts a {%s} answer (the answerer picks the digest)', async (name) => {
    const [client, peer] = await socketPair()
    const done = serverHandshake(new MpConnection(peer), KEY)
    const raw = new MpConnection(client)
    const message = (await within(raw.recv())).subarray(11)
    await raw.send(Buffer.concat([Buffer.from(`{${name}}`), hmac(name.replace('_', '-'), KEY, message)]))
    expect(await within(raw.recv())).toEqual(WELCOME)
    // Our answer to a {sha384} challenge is {sha384} + HMAC-SHA384.
    const ours = Buffer.concat([Buffer.from('{sha384}'), Buffer.alloc(40, 1)])
    await raw.send(Buffer.concat([CHALLENGE, ours]))
    expect(await within(raw.recv())).toEqual(
      Buffer.concat([Buffer.from('{sha384}'), hmac('sha384', KEY, ours)]),
    )
    await raw.send(WELCOME)
    await within(done)
  })

  it.each([
    [
      'an unknown digest',
      (m: Buffer) => Buffer.concat([Buffer.from('{sha1}'), hmac('sha1', KEY, m)]),
      // repr() picks b"..." when the random MAC bytes contain a single quote
      /^unsupported message length, missing digest prefix, or unsupported digest: message=b['"]\{sha1\}/,
    ],
    [
      'a MAC of the wrong length',
      () => Buffer.from('{sha256}0123456789'),
      /^expected 'sha256' of length 32 got 10$/,
    ],
    ['a wrong raw MD5', () => Buffer.alloc(16), /^digest received was wrong$/],
  ])('sends #FAILURE# for %s', async (_what, answer, message) => {
    const [client, peer] = await socketPair()
    const done = rejection(serverHandshake(new MpConnection(peer), KEY))
    const raw = new MpConnection(client)
    await raw.send(answer((await within(raw.recv())).subarray(11)))
    expect(String(await within(raw.recv()))).toBe('#FAILURE#')
    const err = await done
    expect(err).toMatchObject({ code: 'AUTH_FAILED' })
    expect(err.message).toMatch(message)
  })

  it.each([
    [
      'a challenge under 20 bytes',
      Buffer.concat([CHALLENGE, Buffer.alloc(10)]),
      'challenge too short: 10 bytes',
    ],
    [
      'a frame without #CHALLENGE#',
      Buffer.from("hello'\n"),
      'Protocol error, expected challenge: message=b"hello\'\\n"',
    ],
  ])('our client refuses %s', async (_what, frame, message) => {
    const [client, peer] = await socketPair()
    const done = rejection(clientHandshake(new MpConnection(client), KEY))
    await new MpConnection(peer).send(frame)
    expect(await done).toEqual(authFailed(message))
  })

  it('reads auth frames with a 256-byte limit', async () => {
    const [client, peer] = await socketPair()
    const done = rejection(clientHandshake(new MpConnection(client), KEY))
    peer.write(hex('000003e8'))
    expect((await done).message).toBe('frame of 1000 bytes exceeds the limit of 256 bytes')
  })

  it('gives up on a silent peer after timeoutMs and destroys the connection', async () => {
    const [, peer] = await socketPair()
    const conn = new MpConnection(peer)
    const err = await rejection(serverHandshake(conn, KEY, { timeoutMs: 100 }))
    expect(err).toEqual(handshakeTimeout(100))
    expect(err.message).toBe('authentication handshake timed out after 100 ms')
    expect(peer.destroyed).toBe(true)
  })

  it("takes the client's first request in the same chunk as its #WELCOME#", async () => {
    // A Python client sends WELCOME and, right after Client() returns, its first call: both
    // can arrive together, and the request (> 256 bytes) is not an auth frame.
    const [client, peer] = await socketPair()
    const server = new MpConnection(peer)
    const done = serverHandshake(server, KEY)
    const raw = new MpConnection(client)
    await raw.send(hmac('md5', KEY, (await within(raw.recv())).subarray(11)))
    expect(await within(raw.recv())).toEqual(WELCOME)
    const legacy = Buffer.alloc(20, 3)
    await raw.send(Buffer.concat([CHALLENGE, legacy]))
    await within(raw.recv())
    client.write(Buffer.concat([encodeFrame(WELCOME), encodeFrame(Buffer.alloc(1000, 'q'))]))
    await within(done)
    expect(await within(server.recv())).toEqual(Buffer.alloc(1000, 'q'))
  })
})
