/**
 * The seeds' three TCP programs on the threaded service, in-process over loopback: seed 001's
 * welcome server and tcpServer (ack), and seed 002's threaded Welcome/Hello server, with the
 * seeds' exact bytes, their timeout and sleep (shortened here), and the bad input they meet.
 */
import { once } from 'node:events'
import type { Socket } from 'node:net'
import { setTimeout as delay } from 'node:timers/promises'
import { beforeAll, describe, expect, it } from 'vitest'
import type { Env } from '../../../../lib/config.ts'
import { createLogger } from '../../../../lib/log.ts'
import { loadTcpConfig, tcpConfigSpec } from '../../../../services/tcp/config.ts'
import { messageLength } from '../../../../services/tcp/hello.ts'
import { startTcpService, type TcpService } from '../../../../services/tcp/server.ts'
import { freePorts } from '../../../support/free-ports.ts'
import { connectClient } from '../../../support/test-client.ts'

const ACK = 'tcpServer has received your message'
const WELCOME_TIMEOUT_MS = 300
const HELLO_DELAY_MS = 200

function start(env: Env = {}): Promise<TcpService> {
  const config = loadTcpConfig({
    TCP_HOST: '127.0.0.1',
    ...freePorts(tcpConfigSpec),
    TCP_WORKERS: '2',
    TCP_WELCOME_TIMEOUT_MS: String(WELCOME_TIMEOUT_MS),
    TCP_HELLO_DELAY_MS: String(HELLO_DELAY_MS),
    LOG_LEVEL: 'silent',
    ...env,
  })
  return startTcpService(config, createLogger('tcp', 'silent'))
}

/** stalls is true when `socket` has unsent data that the peer does not take within `ms`. */
async function stalls(socket: Socket, ms: number): Promise<boolean> {
  const aborter = new AbortController()
  try {
    return await Promise.race([
      once(socket, 'drain', { signal: aborter.signal }).then(
        () => false,
        () => true,
      ),
      delay(ms, true, { signal: aborter.signal }).catch(() => true),
    ])
  } finally {
    aborter.abort()
  }
}

describe('seed TCP ports', () => {
  let svc: TcpService
  beforeAll(async () => {
    svc = await start()
    return async () => {
      await svc.close()
    }
  })

  describe("welcome (seed 001's server.py)", () => {
    it.each([
      ['1', 'welcome to server!'],
      ['2', 'please go out!'],
      ['11', 'please go out!'],
      ['1\n', 'please go out!'],
    ])('answers %j with %j and closes', async (sent, reply) => {
      const client = await connectClient(svc.ports.welcome)
      client.write(sent)
      expect(await client.readToEnd()).toBe(reply)
    })

    it('answers a client that half-closes without a word with "please go out!"', async () => {
      const client = await connectClient(svc.ports.welcome)
      client.socket.end()
      expect(await client.readToEnd()).toBe('please go out!')
    })

    it('closes a silent client after TCP_WELCOME_TIMEOUT_MS, sending nothing', async () => {
      const started = performance.now() // the server's clock starts at its accept, after this
      const client = await connectClient(svc.ports.welcome)
      expect(await client.readToEnd(3000)).toBe('')
      const elapsed = performance.now() - started
      expect(elapsed).toBeGreaterThanOrEqual(WELCOME_TIMEOUT_MS - 5)
      expect(elapsed).toBeLessThan(WELCOME_TIMEOUT_MS + 2000)
    })

    it('reads and discards what follows the first message', async () => {
      const client = await connectClient(svc.ports.welcome)
      client.write('1')
      expect((await client.readBytes(18)).toString()).toBe('welcome to server!')
      client.write(Buffer.alloc(100_000, 0xff))
      client.socket.end()
      expect(await client.readToEnd()).toBe('')
    })
  })

  describe("ack (seed 001's tcpServer)", () => {
    it('answers every message with the seed bytes until the client closes', async () => {
      const client = await connectClient(svc.ports.ack)
      client.write('hello, tcpServer!')
      expect((await client.readBytes(ACK.length)).toString()).toBe(ACK)
      client.write(Buffer.from([0, 1, 2, 0xff]))
      expect((await client.readBytes(ACK.length)).toString()).toBe(ACK)
      client.socket.end()
      expect(await client.readToEnd()).toBe('')
    })

    it('counts a long send as one message per 4096 bytes read, like recv(4096)', async () => {
      const client = await connectClient(svc.ports.ack)
      client.write(Buffer.alloc(10_000, 0x61))
      client.socket.end()
      const all = await client.readToEnd()
      const count = all.length / ACK.length
      expect(all).toBe(ACK.repeat(count))
      expect(count).toBeGreaterThanOrEqual(3) // ceil(10000 / 4096), more if read in smaller pieces
    })

    it('serves others while a client sends without reading, and owes it only whole replies', async () => {
      const hog = await connectClient(svc.ports.ack)
      hog.socket.setNoDelay(true)
      for (let i = 0; i < 20_000; i++) hog.socket.write('x')
      await delay(100)
      const other = await connectClient(svc.ports.ack)
      other.write('still there?')
      expect((await other.readBytes(ACK.length)).toString()).toBe(ACK)
      hog.socket.end()
      const owed = await hog.readToEnd()
      expect(owed.length).toBeGreaterThanOrEqual(ACK.length)
      expect(owed).toBe(ACK.repeat(owed.length / ACK.length))
    })
  })

  describe("hello (seed 002's threaded server)", () => {
    it("greets, answers each name after the seed's sleep, and closes on exit", async () => {
      const client = await connectClient(svc.ports.hello)
      expect((await client.readBytes(8)).toString()).toBe('Welcome!')
      for (const name of ['Michael', 'Tracy', 'Sarah']) {
        const sent = performance.now()
        client.write(name)
        const reply = `Hello, ${name}!`
        expect((await client.readBytes(Buffer.byteLength(reply))).toString()).toBe(reply)
        expect(performance.now() - sent).toBeGreaterThanOrEqual(HELLO_DELAY_MS - 20)
      }
      client.write('exit')
      expect(await client.readToEnd()).toBe('')
    })

    it('serves four clients side by side: all answered sooner than one after the other could be', async () => {
      const names = ['Michael', 'Tracy', 'Sarah', 'Bob']
      const clients = await Promise.all(names.map(() => connectClient(svc.ports.hello)))
      await Promise.all(clients.map((c) => c.readBytes(8)))
      const started = performance.now()
      for (const [i, c] of clients.entries()) c.write(names[i] as string)
      const replies = await Promise.all(clients.map((c, i) => c.readBytes(`Hello, ${names[i]}!`.length)))
      expect(replies.map(String)).toEqual(names.map((n) => `Hello, ${n}!`))
      expect(performance.now() - started).toBeLessThan(names.length * HELLO_DELAY_MS)
    })

    it('answers a long send in 1024-byte messages, never splitting a UTF-8 character', async () => {
      const client = await connectClient(svc.ports.hello)
      await client.readBytes(8)
      client.write(`${'a'.repeat(1023)}é${'b'.repeat(1500)}`)
      const first = `Hello, ${'a'.repeat(1023)}!`
      expect((await client.readBytes(first.length)).toString()).toBe(first)
      const second = `Hello, é${'b'.repeat(1022)}!`
      expect((await client.readBytes(Buffer.byteLength(second))).toString()).toBe(second)
      const third = `Hello, ${'b'.repeat(478)}!`
      expect((await client.readBytes(third.length)).toString()).toBe(third)
    })

    it('answers bytes that are not UTF-8 with ERR BAD_UTF8 and closes (the seed thread dies there)', async () => {
      const client = await connectClient(svc.ports.hello)
      await client.readBytes(8)
      client.write(Buffer.from([0x4d, 0xff, 0xfe, 0x00]))
      expect(await client.readToEnd()).toBe('ERR BAD_UTF8 message is not valid UTF-8; closing\n')
    })

    it('takes `exit` only as the whole message, as the seed compares it', async () => {
      const client = await connectClient(svc.ports.hello)
      await client.readBytes(8)
      client.write('exit\n')
      expect((await client.readBytes(13)).toString()).toBe('Hello, exit\n!')
    })

    it('closes after the sleep when the client half-closes, as recv() returning b"" does', async () => {
      const client = await connectClient(svc.ports.hello)
      await client.readBytes(8)
      client.write('Sarah')
      client.socket.end()
      expect(await client.readToEnd()).toBe('Hello, Sarah!')
    })

    it('stops taking messages from a client that never reads its replies', { timeout: 60_000 }, async () => {
      const quick = await start({ TCP_HELLO_DELAY_MS: '0', TCP_WORKERS: '1' })
      try {
        const hog = await connectClient(quick.ports.hello)
        // 1 MiB at a time until a write is not drained for 300 ms (the kernel's buffers full and
        // the server's reading paused): about 20 MiB here, more on a loaded machine (a CI run
        // was still draining after 40)
        let stalled = false
        for (let i = 0; i < 100 && !stalled; i++) {
          hog.socket.write(Buffer.alloc(1024 * 1024, 0x61))
          stalled = hog.socket.writableNeedDrain && (await stalls(hog.socket, 300))
        }
        expect(stalled).toBe(true)
        const other = await connectClient(quick.ports.hello)
        expect((await other.readBytes(8)).toString()).toBe('Welcome!')
        other.write('Tracy')
        expect((await other.readBytes(13)).toString()).toBe('Hello, Tracy!')
      } finally {
        await quick.close()
      }
    })
  })

  describe('messageLength (one recv(1024))', () => {
    it.each([
      ['short', Buffer.from('Michael'), 7],
      ['exactly 1024', Buffer.alloc(1024, 0x61), 1024],
      ['longer, cut at 1024', Buffer.alloc(3000, 0x61), 1024],
      ['a 2-byte character across 1024', Buffer.from(`${'a'.repeat(1023)}é`), 1023],
      ['a 4-byte character across 1024', Buffer.from(`${'a'.repeat(1022)}😀`), 1022],
      ['invalid continuation bytes', Buffer.alloc(2000, 0x80), 1024],
    ])('%s', (_name, pending, n) => {
      expect(messageLength(pending)).toBe(n)
    })
  })
})

describe('seed TCP ports at shutdown', () => {
  it('hello: the answer in flight is sent, what waits behind it gets ERR SHUTTING_DOWN', async () => {
    const svc = await start({ TCP_WORKERS: '1', TCP_HELLO_DELAY_MS: '1000' })
    const client = await connectClient(svc.ports.hello)
    await client.readBytes(8)
    client.write('Michael')
    await delay(300) // read by the server, which waits 1 s before answering
    client.write('Tracy')
    await delay(100)
    const closed = svc.close()
    expect(await client.readToEnd()).toBe('Hello, Michael!ERR SHUTTING_DOWN server is shutting down\n')
    expect(await closed).toEqual({ drained: 1, destroyed: 0 })
  })

  it('welcome: an exchange in flight still gets its answer', async () => {
    const svc = await start({ TCP_WORKERS: '1' })
    const client = await connectClient(svc.ports.welcome)
    await delay(50) // accepted by the worker, not still in the listen queue
    const closed = svc.close()
    await delay(50)
    client.write('1')
    expect(await client.readToEnd()).toBe('welcome to server!')
    expect(await closed).toEqual({ drained: 1, destroyed: 0 })
  })
})

describe("echo with seed 004's `timeout = 5` (StreamRequestHandler): TCP_IDLE_TIMEOUT_MS", () => {
  it('echoes, then closes a connection idle for TCP_IDLE_TIMEOUT_MS', async () => {
    const svc = await start({ TCP_WORKERS: '1', TCP_IDLE_TIMEOUT_MS: '300' })
    try {
      const client = await connectClient(svc.ports.echo)
      const sentAt = performance.now() // the server's last traffic, its echo, comes after this
      client.write('first line\n')
      expect(await client.readLine()).toBe('first line\n')
      expect(await client.readToEnd(3000)).toBe('')
      expect(performance.now() - sentAt).toBeGreaterThanOrEqual(295)
    } finally {
      await svc.close()
    }
  })
})
