/**
 * The TCP service's limits, each set low through its environment variable so the test
 * can reach it: connection limit (BUSY), idle timeout, write backpressure, and a bad
 * configuration refused at start-up with exit code 2.
 */
import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { LineClient } from '../../clients/cli/net/tcp-client.ts'
import { type Lab, startLab } from '../support/lab.ts'

describe('tcp service limits', { timeout: 30_000 }, () => {
  let lab: Lab
  beforeAll(async () => {
    lab = await startLab(['tcp'], {
      env: {
        tcp: { TCP_MAX_CONNECTIONS: '3', TCP_IDLE_TIMEOUT_MS: '1500', TCP_MAX_BUFFERED_BYTES: '65536' },
      },
    })
  })
  afterAll(() => lab?.stop())

  it('answers ERR BUSY and closes once TCP_MAX_CONNECTIONS are open, then accepts again', async () => {
    // Through docker-proxy, "connected" on the host is not yet "accepted" by the service:
    // each held connection proves it is in with a PING. The health check's own short
    // connection may take a slot for a moment; a held one refused for that is retried.
    const held: LineClient[] = []
    try {
      for (let attempt = 0; held.length < 3 && attempt < 10; attempt++) {
        const c = await lab.connect('tcp', 9998)
        if ((await c.request('PING')) === 'OK PONG') held.push(c)
        else c.close()
      }
      expect(held).toHaveLength(3)
      const refused = await lab.connect('tcp', 9998)
      expect(await refused.readLine()).toBe('ERR BUSY server at its limit of 3 connections')
      await refused.waitClosed()
    } finally {
      for (const c of held) c.close()
    }
    await expect
      .poll(async () => (await lab.client('tcp', 'cmd', 'PING')).stdout, { timeout: 5000 })
      .toBe('OK PONG\n')
  })

  it('closes an idle cmd connection with ERR IDLE_TIMEOUT', async () => {
    await using conn = await lab.connect('tcp', 9998)
    expect(await conn.request('PING')).toBe('OK PONG')
    expect(await conn.readLine(5000)).toBe('ERR IDLE_TIMEOUT no traffic for 1500 ms')
    await conn.waitClosed()
  })

  it('stops reading from a client that never reads, so the client (not the server) holds the data', async () => {
    const socket = connect({ host: '127.0.0.1', port: lab.hostPort('tcp', 20000) })
    socket.on('error', () => {})
    socket.pause() // never read the echo
    const total = 64 * 1024 * 1024
    const chunk = Buffer.alloc(64 * 1024, 0x61)
    try {
      for (let sent = 0; sent < total; sent += chunk.length) socket.write(chunk)
      await new Promise((r) => setTimeout(r, 1500))
      // Whatever the kernels and docker-proxy buffer, most of the 64 MiB is still queued in our own process.
      expect(socket.writableLength).toBeGreaterThan(total / 2)
      // ...and the server keeps serving everyone else.
      expect((await lab.client('tcp', 'cmd', 'PING')).stdout).toBe('OK PONG\n')
    } finally {
      socket.destroy()
    }
  })

  it('refuses to start with a bad variable, naming it, and exits 2', async () => {
    const { exitCode, logs } = await lab.runOnce('tcp', { TCP_WORKERS: 'many', TCP_IDLE_TIMEOUT_MS: '-5' })
    expect(exitCode).toBe(2)
    expect(logs).toContainEqual(
      expect.objectContaining({
        level: 'fatal',
        msg: 'invalid configuration',
        problems: [
          'TCP_WORKERS="many": expected an integer from 1 to 256',
          'TCP_IDLE_TIMEOUT_MS="-5": expected an integer from 100 to 3600000 (ms)',
        ],
      }),
    )
  })
})
