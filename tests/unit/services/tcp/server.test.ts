/**
 * The threaded TCP service in-process, over real loopback sockets: worker threads, reusePort
 * listeners on ports the OS picks, and the limits that only show on a live connection.
 */
import { createHash, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { connect, type Socket } from 'node:net'
import { hostname } from 'node:os'
import { setTimeout as delay } from 'node:timers/promises'
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import type { Env } from '../../../../lib/config.ts'
import { createLogger } from '../../../../lib/log.ts'
import { lineCost } from '../../../../services/tcp/cmd/protocol.ts'
import { loadTcpConfig, tcpConfigSpec } from '../../../../services/tcp/config.ts'
import { startTcpService, type TcpService } from '../../../../services/tcp/server.ts'
import { freePorts } from '../../../support/free-ports.ts'
import { connectClient } from '../../../support/test-client.ts'

const log = createLogger('tcp', 'silent')

/** start runs the service on 127.0.0.1, free ports, two workers, silent, plus `env`. */
function start(env: Env = {}): Promise<TcpService> {
  const config = loadTcpConfig({
    TCP_HOST: '127.0.0.1',
    ...freePorts(tcpConfigSpec),
    TCP_WORKERS: '2',
    LOG_LEVEL: 'silent',
    ...env,
  })
  return startTcpService(config, log)
}

/** drainsWithin resolves true if `socket` emits 'drain' within `ms`, false if it stalls. */
async function drainsWithin(socket: Socket, ms: number): Promise<boolean> {
  const aborter = new AbortController()
  const { signal } = aborter
  try {
    return await Promise.race([
      once(socket, 'drain', { signal }).then(
        () => true,
        () => false,
      ),
      delay(ms, false, { signal }).catch(() => false),
    ])
  } finally {
    aborter.abort()
  }
}

describe('TCP service', () => {
  let svc: TcpService
  beforeAll(async () => {
    svc = await start({ TCP_MAX_LINE_BYTES: '64' })
    return async () => {
      await svc.close()
    }
  })

  it('binds six distinct ports when configured with port 0', () => {
    const ports = Object.values(svc.ports)
    expect(new Set(ports).size).toBe(6)
    for (const port of ports) expect(port).toBeGreaterThan(0)
    expect({ mode: svc.mode, workers: svc.workers }).toEqual({ mode: 'reuseport', workers: 2 })
  })

  it('upper answers a seed-style "Hello world 123" with "HELLO WORLD 123", no newline needed', async () => {
    const client = await connectClient(svc.ports.upper)
    client.write('Hello world 123')
    expect((await client.readBytes(15)).toString()).toBe('HELLO WORLD 123')
    client.socket.end()
    expect(await client.readToEnd()).toBe('')
  })

  it('upper holds back a character split across two writes until its second byte arrives', async () => {
    const client = await connectClient(svc.ports.upper)
    const bytes = Buffer.from('abcédef', 'utf8')
    const cut = 4 // inside é (0xC3 0xA9)
    client.write(bytes.subarray(0, cut))
    // The reply to the first write proves the server saw it alone: only the complete characters.
    expect((await client.readBytes(3)).toString()).toBe('ABC')
    client.write(bytes.subarray(cut))
    expect((await client.readBytes(Buffer.byteLength('ÉDEF'))).toString()).toBe('ÉDEF')
    client.socket.end()
    expect(await client.readToEnd()).toBe('')
  })

  it('upper flushes a truncated character as U+FFFD when the client half-closes', async () => {
    const client = await connectClient(svc.ports.upper)
    client.socket.end(Buffer.from([0x61, 0xe2, 0x82]))
    expect(await client.readToEnd()).toBe('A\uFFFD')
  })

  it('echo returns 1 MiB of random bytes byte-exact', async () => {
    const client = await connectClient(svc.ports.echo)
    const payload = randomBytes(1024 * 1024)
    client.write(payload)
    const back = await client.readBytes(payload.length)
    expect(back.equals(payload)).toBe(true)
    client.socket.end()
    expect(await client.readToEnd()).toBe('')
  })

  it('cmd answers pipelined requests in order, one reply per request', async () => {
    const client = await connectClient(svc.ports.cmd)
    client.write('PING\r\nSLEEP 30\nECHO after sleep\n\nupper é\nNOPE\nUPPER\nQUIT\nPING\n')
    expect(await client.readToEnd()).toMatch(
      new RegExp(
        [
          '^OK PONG\\n',
          'OK slept \\d+\\n',
          'OK after sleep\\n',
          'OK É\\n',
          'ERR UNKNOWN_COMMAND unknown command "NOPE"; try HELP\\n',
          'ERR BAD_ARGUMENT UPPER needs an argument; try HELP\\n',
          'OK bye\\n$',
        ].join(''),
      ),
    )
  })

  it('cmd serves two concurrent SLEEP 300 in parallel, not one after the other', async () => {
    const [a, b] = await Promise.all([connectClient(svc.ports.cmd), connectClient(svc.ports.cmd)])
    const started = performance.now()
    a.write('SLEEP 300\n')
    b.write('SLEEP 300\n')
    const replies = await Promise.all([a.readLine(), b.readLine()])
    const elapsed = performance.now() - started
    for (const reply of replies) {
      expect(reply).toMatch(/^OK slept \d+\n$/)
      expect(Number(reply.slice('OK slept '.length, -1))).toBeGreaterThanOrEqual(299)
    }
    expect(elapsed).toBeLessThan(500)
  })

  it('cmd reports an over-long line and then serves the next command on the same connection', async () => {
    const client = await connectClient(svc.ports.cmd)
    client.write(`ECHO ${'x'.repeat(200)}\nECHO ${'y'.repeat(59)}\n`)
    client.write(`${'z'.repeat(100)}`)
    client.write(`${'z'.repeat(100)}\r\nPING\n`)
    expect(await client.readLines(4)).toBe(
      `ERR LINE_TOO_LONG line exceeds 64 bytes\nOK ${'y'.repeat(59)}\nERR LINE_TOO_LONG line exceeds 64 bytes\nOK PONG\n`,
    )
  })

  it('cmd STATS reports the workers, the reuseport mode and the shared counters', async () => {
    const client = await connectClient(svc.ports.cmd)
    client.write('STATS\n')
    const reply = await client.readLine()
    expect(reply).toMatch(/^OK \{.*\}\n$/)
    const stats: unknown = JSON.parse(reply.slice(3))
    expect(stats).toEqual({
      workers: 2,
      mode: 'reuseport',
      active: expect.any(Number),
      accepted: expect.any(Number),
      busyRejected: 0,
      commands: expect.any(Number),
      commandErrors: expect.any(Number),
      backpressureCuts: 0,
      acceptedPerWorker: [expect.any(Number), expect.any(Number)],
      memory: {
        limitBytes: expect.any(Number),
        usedBytes: expect.any(Number),
        peakBytes: expect.any(Number),
        refusals: 0,
      },
    })
    const { active, accepted, acceptedPerWorker } = stats as {
      active: number
      accepted: number
      acceptedPerWorker: number[]
    }
    expect(active).toBeGreaterThanOrEqual(1)
    expect(acceptedPerWorker.reduce((n, w) => n + w, 0)).toBe(accepted)
  })

  it('cmd WHOAMI names the host, worker, thread, connection and the client address', async () => {
    const client = await connectClient(svc.ports.cmd)
    client.write('WHOAMI\n')
    expect(await client.readLine()).toMatch(
      new RegExp(
        `^OK host=${hostname().replace(/[.]/g, '\\.')} worker=[01] thread=\\d+ conn=\\d+ remote=127\\.0\\.0\\.1:${client.socket.localPort}\\n$`,
      ),
    )
  })

  it('echo to a client that never reads stalls its writes: the server stops reading instead of buffering', async () => {
    const socket = connect({ host: '127.0.0.1', port: svc.ports.echo })
    onTestFinished(() => {
      socket.destroy()
    })
    let socketError: Error | undefined
    socket.on('error', (err) => {
      socketError = err
    })
    await once(socket, 'connect')
    socket.pause() // never read: the echoed bytes pile up in the kernel, then in the server
    const chunk = randomBytes(64 * 1024)
    const limit = 64 * 1024 * 1024
    const rssBefore = process.memoryUsage.rss()
    let written = 0
    let stalled = false
    while (written < limit && !stalled) {
      const flowing = socket.write(chunk)
      written += chunk.length
      if (!flowing) stalled = !(await drainsWithin(socket, 500))
    }
    const rssGrowth = process.memoryUsage.rss() - rssBefore
    expect(stalled).toBe(true)
    expect(written).toBeLessThan(limit)
    // Our own unsent data sits in this socket: the server has stopped taking it.
    expect(socket.writableLength).toBeGreaterThan(0)
    expect(socket.destroyed).toBe(false)
    expect(socketError).toBeUndefined()
    expect(rssGrowth).toBeLessThan(16 * 1024 * 1024)

    // Reading again releases the stall, and every byte comes back in order.
    const hash = createHash('sha256')
    let received = 0
    socket.on('data', (data: Buffer) => {
      hash.update(data)
      received += data.length
    })
    socket.end()
    socket.resume()
    await once(socket, 'end')
    expect(received).toBe(written)
    const expected = createHash('sha256')
    for (let i = 0; i < written / chunk.length; i++) expected.update(chunk)
    expect(hash.digest('hex')).toBe(expected.digest('hex'))

    const cmd = await connectClient(svc.ports.cmd)
    cmd.write('STATS\n')
    expect(JSON.parse((await cmd.readLine()).slice(3))).toMatchObject({ backpressureCuts: 0 })
  })
})

describe('TCP service with TCP_MAX_CONNECTIONS=2', () => {
  let svc: TcpService
  beforeAll(async () => {
    svc = await start({ TCP_MAX_CONNECTIONS: '2' })
    return async () => {
      await svc.close()
    }
  })

  it('answers a third connection with exactly ERR BUSY, then closes it; the first two keep working', async () => {
    const a = await connectClient(svc.ports.cmd)
    const b = await connectClient(svc.ports.upper)
    // Replies prove both connections were accepted (and counted) before the third arrives.
    a.write('PING\n')
    b.write('x')
    expect([await a.readLine(), (await b.readBytes(1)).toString()]).toEqual(['OK PONG\n', 'X'])

    const c = await connectClient(svc.ports.echo)
    expect(await c.readToEnd()).toBe('ERR BUSY server at its limit of 2 connections\n')

    a.write('STATS\n')
    expect(JSON.parse((await a.readLine()).slice(3))).toMatchObject({
      active: 2,
      accepted: 2,
      busyRejected: 1,
    })
  })
})

describe('TCP service with TCP_MEMORY_BUDGET_BYTES=1048576', () => {
  let svc: TcpService
  beforeAll(async () => {
    svc = await start({ TCP_MEMORY_BUDGET_BYTES: '1048576' })
    return async () => {
      await svc.close()
    }
  })

  it('answers ERR BUSY to lines queued past the budget, stops reading until there is room, and gives it all back', async () => {
    const client = await connectClient(svc.ports.cmd)
    const line = `ECHO ${'x'.repeat(8187)}\n` // a maximum-length line: its cost is 5 x 8 KiB, about 41 kB
    client.write(`SLEEP 300\n${line.repeat(63)}`) // queued behind the SLEEP: about 2.6 MB of cost
    const replies = (await client.readLines(64)).split('\n').slice(0, 64)
    expect(replies[0]).toMatch(/^OK slept \d+$/)
    const ok = replies.slice(1).filter((r) => r === `OK ${'x'.repeat(8187)}`).length
    const busy = replies
      .slice(1)
      .filter((r) => r === 'ERR BUSY server at its memory budget; line not run, retry later')
    // waiting lines may fill 3/4 of the budget: about 19 of them; the lines read with the one
    // that filled it are refused, then the connection is not read until the SLEEP has ended
    // and the queue has run, and the rest are served
    expect(ok + busy.length).toBe(63)
    expect(busy.length).toBeGreaterThan(0)
    expect(replies.slice(1, 16).every((r) => r.startsWith('OK '))).toBe(true)
    expect(replies.at(-1)).toMatch(/^OK x+$/)
    client.write('STATS\n')
    const stats = JSON.parse((await client.readLine()).slice(3))
    expect(stats.memory).toMatchObject({ limitBytes: 1_048_576, refusals: busy.length })
    expect(stats.memory.usedBytes).toBeLessThan(64 * 1024)
  })
})

describe('TCP service: what an unread reply holds', () => {
  let svc: TcpService
  beforeAll(async () => {
    svc = await start()
    return async () => {
      await svc.close()
    }
  })

  it('counts echo bytes the kernel has not taken in the budget, and gives them back once the peer reads', async () => {
    const stats = await connectClient(svc.ports.cmd)
    const used = async (): Promise<number> => {
      stats.write('STATS\n')
      return JSON.parse((await stats.readLine()).slice(3)).memory.usedBytes
    }
    const peer = connect({ host: '127.0.0.1', port: svc.ports.echo })
    onTestFinished(() => {
      peer.destroy()
    })
    await once(peer, 'connect')
    peer.pause() // reads nothing: the echo fills both kernel buffers, then pauses with one read held
    const size = 16 * 1024 * 1024
    peer.write(randomBytes(size))
    let held = 0
    for (let i = 0; i < 100 && held < 16 * 1024; i++) {
      held = await used()
      if (held < 16 * 1024) await delay(20)
    }
    expect(held).toBeGreaterThanOrEqual(16 * 1024)
    // then reading stopped, holding a few reads' echo (64 KiB each), not the 16 MiB sent: a hold
    // is given back once its bytes have gone (lib/net/flushed.ts), which may come just after
    // 'drain' has let the next reads in, so two or three holds can overlap for a moment (a CI
    // run once saw 163 KiB here)
    expect(held).toBeLessThanOrEqual(4 * 64 * 1024)

    let got = 0
    peer.on('data', (chunk: Buffer) => {
      got += chunk.length
    })
    peer.resume()
    for (let i = 0; i < 250 && got < size; i++) await delay(20)
    expect(got).toBe(size)
    expect(await used()).toBe(lineCost('STATS')) // only the STATS line itself, held while it runs
  })
})

describe('TCP service with TCP_IDLE_TIMEOUT_MS=200', () => {
  let svc: TcpService
  beforeAll(async () => {
    svc = await start({ TCP_IDLE_TIMEOUT_MS: '200' })
    return async () => {
      await svc.close()
    }
  })

  it('tells an idle cmd connection why, then closes it', async () => {
    const client = await connectClient(svc.ports.cmd)
    const started = performance.now()
    expect(await client.readToEnd()).toBe('ERR IDLE_TIMEOUT no traffic for 200 ms\n')
    expect(performance.now() - started).toBeGreaterThanOrEqual(190)
  })

  it('closes an idle echo connection without a message', async () => {
    const client = await connectClient(svc.ports.echo)
    expect(await client.readToEnd()).toBe('')
  })

  it('restarts the idle timer on traffic', async () => {
    const client = await connectClient(svc.ports.cmd)
    const started = performance.now()
    client.write('SLEEP 150\n')
    expect(await client.readLine()).toMatch(/^OK slept \d+\n$/)
    client.write('PING\n')
    expect(await client.readLine()).toBe('OK PONG\n')
    expect(await client.readToEnd()).toBe('ERR IDLE_TIMEOUT no traffic for 200 ms\n')
    expect(performance.now() - started).toBeGreaterThanOrEqual(340)
  })
})

describe('TCP service close()', () => {
  let svc: TcpService
  beforeAll(async () => {
    svc = await start()
    return async () => {
      await svc.close()
    }
  })

  it('lets an in-flight SLEEP 500 answer, refuses what is queued behind it, and counts it drained', async () => {
    const client = await connectClient(svc.ports.cmd)
    // PING and SLEEP arrive together: once PONG is back, the SLEEP is already running.
    client.write('PING\nSLEEP 500\nECHO queued\n')
    expect(await client.readLine()).toBe('OK PONG\n')
    const summary = await svc.close()
    const rest = await client.readToEnd()
    expect(rest).toMatch(/^OK slept \d+\nERR SHUTTING_DOWN server is shutting down\n$/)
    expect(Number(rest.split('\n')[0]?.slice('OK slept '.length))).toBeGreaterThanOrEqual(499)
    expect(summary).toEqual({ drained: 1, destroyed: 0 })
    expect(await svc.close()).toBe(summary)
    await expect(connectClient(svc.ports.cmd)).rejects.toMatchObject({ code: 'ECONNREFUSED' })
  })
})
