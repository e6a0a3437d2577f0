/**
 * The TCP service across a real container network: the CLI in a client container reaches
 * the service by name; the host reaches it through mapped ports. Covers each protocol,
 * the thread-per-listener concurrency, bad input and the CLI's failure modes.
 */
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { exchange } from '../../clients/cli/net/tcp-client.ts'
import { type Lab, startLab } from '../support/lab.ts'

describe('tcp service', { timeout: 30_000 }, () => {
  let lab: Lab
  beforeAll(async () => {
    lab = await startLab(['tcp'], { env: { tcp: { TCP_WORKERS: '2' } } })
  })
  afterAll(() => lab?.stop())

  describe('from a client container on the lab network', () => {
    it('upper-cases text: `tcp upper "hello world"` prints HELLO WORLD', async () => {
      expect(await lab.client('tcp', 'upper', 'hello world')).toEqual({
        exitCode: 0,
        stdout: 'HELLO WORLD\n',
        stderr: '',
      })
    })

    it('upper-cases Unicode, including characters that grow (ß → SS)', async () => {
      const { stdout } = await lab.client('tcp', 'upper', 'grüße, élan, δέλτα')
      expect(stdout).toBe('GRÜSSE, ÉLAN, ΔΈΛΤΑ\n')
    })

    it('echoes bytes exactly', async () => {
      expect((await lab.client('tcp', 'echo', '--hex', 'abc')).stdout).toBe('616263\n')
    })

    it('answers cmd lines in order on one connection, with --json', async () => {
      const { exitCode, stdout } = await lab.client(
        '--json',
        'tcp',
        'cmd',
        'UPPER straße',
        'ECHO  two  spaces',
        'PING',
        'QUIT',
      )
      expect(exitCode).toBe(0)
      expect(JSON.parse(stdout)).toMatchObject({
        service: 'tcp',
        proto: 'cmd',
        host: 'tcp',
        port: 9998,
        replies: ['OK STRASSE', 'OK  two  spaces', 'OK PONG', 'OK bye'],
      })
    })

    it('exits 1 and prints the ERR line for an unknown command', async () => {
      const { exitCode, stdout } = await lab.client('tcp', 'cmd', 'FROB x')
      expect(exitCode).toBe(1)
      expect(stdout).toBe('ERR UNKNOWN_COMMAND unknown command "FROB"; try HELP\n')
    })

    it('spreads connections over both worker threads (SO_REUSEPORT), as STATS shows', async () => {
      await Promise.all(Array.from({ length: 24 }, () => lab.client('tcp', 'cmd', 'WHOAMI')))
      const stats = JSON.parse((await lab.client('tcp', 'cmd', 'STATS')).stdout.replace(/^OK /, '')) as {
        workers: number
        mode: string
        acceptedPerWorker: number[]
      }
      expect(stats).toMatchObject({ workers: 2, mode: 'reuseport' })
      expect(stats.acceptedPerWorker.every((n) => n > 0)).toBe(true)
    })

    it('fails fast with a clear message when the host does not resolve', async () => {
      const r = await lab.client('tcp', 'upper', 'hi', '--host', 'no-such-service', '--timeout', '3000')
      expect(r.exitCode).toBe(1)
      expect(r.stderr).toMatch(
        /^netlab: cannot connect to no-such-service:9999: unknown host \(E[A-Z_]+\)\n$/,
      )
    })

    it('fails with ECONNREFUSED on a closed port, within the timeout', async () => {
      const r = await lab.client('tcp', 'cmd', 'PING', '--port', '1', '--timeout', '3000')
      expect(r).toEqual({
        exitCode: 1,
        stdout: '',
        stderr: 'netlab: cannot connect to tcp:1: ECONNREFUSED\n',
      })
    })
  })

  describe('from the host through mapped ports', () => {
    it('serves two concurrent SLEEP 1000 in about one second, not two', async () => {
      // Two host connections (no `docker exec` start-up in the timing): the SLEEPs overlap.
      await using a = await lab.connect('tcp', 9998)
      await using b = await lab.connect('tcp', 9998)
      expect(await a.request('PING')).toBe('OK PONG')
      expect(await b.request('PING')).toBe('OK PONG')
      const started = performance.now()
      const replies = await Promise.all([a.request('SLEEP 1000', 5000), b.request('SLEEP 1000', 5000)])
      const elapsed = performance.now() - started
      for (const r of replies) expect(r).toMatch(/^OK slept 10\d\d$/)
      expect(elapsed).toBeLessThan(1800)
    })

    it('answers ERR LINE_TOO_LONG for a 100 kB line and the connection stays usable', async () => {
      await using conn = await lab.connect('tcp', 9998)
      expect(await conn.request(`ECHO ${'x'.repeat(100_000)}`)).toBe(
        'ERR LINE_TOO_LONG line exceeds 8192 bytes',
      )
      expect(await conn.request('UPPER still here')).toBe('OK STILL HERE')
    })

    it('rejects bad arguments with ERR BAD_ARGUMENT and keeps the connection', async () => {
      await using conn = await lab.connect('tcp', 9998)
      expect(await conn.request('SLEEP forever')).toBe(
        'ERR BAD_ARGUMENT SLEEP takes milliseconds from 0 to 30000',
      )
      expect(await conn.request('SLEEP 999999')).toBe(
        'ERR BAD_ARGUMENT SLEEP takes milliseconds from 0 to 30000',
      )
      expect(await conn.request('UPPER')).toBe('ERR BAD_ARGUMENT UPPER needs an argument; try HELP')
      expect(await conn.request('ping')).toBe('OK PONG')
    })

    it('accepts CRLF line endings (telnet, nc -C)', async () => {
      await using conn = await lab.connect('tcp', 9998)
      conn.sendRaw('ECHO crlf\r\n')
      expect(await conn.readLine()).toBe('OK crlf')
    })

    it('echoes 4 MiB of random binary data byte for byte', async () => {
      const data = randomBytes(4 * 1024 * 1024)
      const reply = await exchange({ host: '127.0.0.1', port: lab.hostPort('tcp', 20000) }, data, 20_000)
      expect(reply.equals(data)).toBe(true)
    })

    it('upper-cases a character split across two TCP segments', async () => {
      await using conn = await lab.connect('tcp', 9999)
      conn.sendRaw(Buffer.from([0x68, 0xc3])) // "h" + first byte of "é"
      await new Promise((r) => setTimeout(r, 50))
      conn.sendRaw(Buffer.from([0xa9, 0x0a])) // second byte of "é" + newline
      expect(await conn.readLine()).toBe('HÉ')
    })

    it('logs one summary line per connection, and a client mistake is info, never error', async () => {
      const logs = await lab.logs('tcp')
      expect(
        logs.some(
          (l) => l.msg === 'connection closed' && l.proto === 'cmd' && typeof l.durationMs === 'number',
        ),
      ).toBe(true)
      expect(logs.find((l) => l.code === 'LINE_TOO_LONG')).toMatchObject({
        level: 'info',
        msg: 'bad request',
      })
      expect(logs.filter((l) => l.level === 'error' || l.level === 'fatal')).toEqual([])
    })
  })
})
