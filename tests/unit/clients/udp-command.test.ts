/**
 * `netlab udp …` end to end inside the process: the real command tree (buildProgram) with
 * its defaults pointed at loopback test doubles through the host-port variables.
 */
import { Writable } from 'node:stream'
import { beforeAll, describe, expect, it } from 'vitest'
import { buildProgram, commanderExitCode } from '../../../clients/cli/program.ts'
import { defaultTargets } from '../../../clients/cli/targets.ts'
import type { Env } from '../../../lib/config.ts'
import { ctime, rfc868 } from '../../../protocols/ctime.ts'
import { nowMs } from '../../../protocols/ntp-time.ts'
import { decodeProbeRequest, encodeProbeReply, encodeStatsReply } from '../../../protocols/probe/packet.ts'
import { freePort, sntpReply, startDouble } from '../../support/udp-double.ts'

class Capture extends Writable {
  text = ''
  isTTY: boolean
  columns = 80
  constructor(tty = false) {
    super()
    this.isTTY = tty
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString('utf8')
    done()
  }
}

const STATS = { workers: 2, mode: 'reuseport', received: { ctime: 1 } }

/** run executes one command line against `env` and returns its output and exit code. */
async function run(env: Env, args: string[], opts: { ttyStderr?: boolean } = {}) {
  const stdout = new Capture()
  const stderr = new Capture(opts.ttyStderr)
  let code: number | undefined
  const program = buildProgram({ stdout, stderr }, env, (c) => {
    code = c
  })
  try {
    await program.parseAsync(args, { from: 'user' })
  } catch (err) {
    code = commanderExitCode(err)
    if (code === undefined) throw err
  }
  return { stdout: stdout.text, stderr: stderr.text, code }
}

describe('netlab udp', () => {
  let env: Env
  beforeAll(async () => {
    // doubles live for the whole file and close in this hook's teardown
    const keep = { autoClose: false }
    const doubles = await Promise.all([
      startDouble((req, d) => d.reply(req.from, Buffer.from(ctime(new Date()), 'ascii')), keep),
      startDouble(
        (req, d) => d.reply(req.from, Buffer.concat([Buffer.from('Hello, '), req.msg, Buffer.from('!')])),
        keep,
      ),
      startDouble((req, d) => d.reply(req.from, rfc868(Date.now())), keep),
      startDouble((req, d) => sntpReply(d, req), keep),
      startDouble((req, d) => {
        const p = decodeProbeRequest(req.msg)
        if (typeof p === 'string') return
        d.reply(
          req.from,
          p.type === 'stats'
            ? encodeStatsReply(p.length, STATS)
            : encodeProbeReply(req.msg, req.receivedMs, nowMs()),
        )
      }, keep),
    ])
    const [ctimeD, helloD, timeD, sntpD, probeD] = doubles.map((d) => String(d.port))
    env = {
      UDP_CTIME_HOST_PORT: ctimeD,
      UDP_HELLO_HOST_PORT: helloD,
      UDP_TIME_HOST_PORT: timeD,
      UDP_SNTP_HOST_PORT: sntpD,
      UDP_PROBE_HOST_PORT: probeD,
    }
    return async () => {
      await Promise.all(doubles.map((d) => d.close()))
    }
  }, 5000)

  it('udp hello prints the greeting', async () => {
    expect(await run(env, ['udp', 'hello', 'Michael'])).toEqual({
      stdout: 'Hello, Michael!\n',
      stderr: '',
      code: 0,
    })
  })

  it('udp hello joins words', async () => {
    expect((await run(env, ['udp', 'hello', 'Mary', 'Ann'])).stdout).toBe('Hello, Mary Ann!\n')
  })

  it('udp time prints ctime text', async () => {
    const r = await run(env, ['udp', 'time'])
    expect(r.stdout).toMatch(/^[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}\n$/)
    expect(r.code).toBe(0)
  })

  it('udp rfc868 prints ISO time and seconds since 1900', async () => {
    const r = await run(env, ['udp', 'rfc868'])
    const m = /^(\S+Z) \((\d+) s since 1900\)\n$/.exec(r.stdout)
    expect(m).not.toBeNull()
    expect(Date.parse(m?.[1] ?? '') / 1000 + 2_208_988_800).toBe(Number(m?.[2]))
  })

  it('udp sntp prints offset, delay, stratum, refid and server time', async () => {
    const r = await run(env, ['udp', 'sntp'])
    expect(r.stdout).toMatch(
      /^offset {3}[+-]\d+\.\d{3} ms\ndelay {4}-?\d+\.\d{3} ms\nstratum {2}1\nrefid {4}LOCL\nserver {3}\S+Z\n$/,
    )
  })

  it('--json udp sntp gives numbers', async () => {
    const r = await run(env, ['--json', 'udp', 'sntp'])
    const data = JSON.parse(r.stdout) as Record<string, unknown>
    expect(data).toMatchObject({
      service: 'udp',
      proto: 'sntp',
      stratum: 1,
      refId: 'LOCL',
      attempts: 1,
      answered: 1,
    })
    expect(typeof data.offsetMs).toBe('number')
    expect(typeof data.delayMs).toBe('number')
    expect(typeof data.serverTimeMs).toBe('number')
  })

  it('udp probe prints a table, and no progress bar when stderr is not a terminal', async () => {
    const r = await run(env, ['udp', 'probe', '--count', '20', '--rate', '1000', '--wait', '30'])
    expect(r.code).toBe(0)
    expect(r.stderr).toBe('')
    expect(r.stdout).toMatch(/^sent\s+20$/m)
    expect(r.stdout).toMatch(/^received\s+20$/m)
    expect(r.stdout).toMatch(/^lost\s+0 \(0 %\)$/m)
    expect(r.stdout).toMatch(
      /^rtt ms\s+min [\d.]+ {2}mean [\d.]+ {2}p50 [\d.]+ {2}p90 [\d.]+ {2}p99 [\d.]+ {2}max [\d.]+$/m,
    )
  })

  it('udp probe draws a progress bar on a terminal stderr, but not with --json', async () => {
    const args = ['udp', 'probe', '--count', '10', '--rate', '1000', '--wait', '20']
    const tty = await run(env, args, { ttyStderr: true })
    expect(tty.stderr).toContain('probe [')
    const json = await run(env, ['--json', ...args], { ttyStderr: true })
    expect(json.stderr).toBe('')
    expect(JSON.parse(json.stdout)).toMatchObject({ proto: 'probe', sent: 10, received: 10, lost: 0 })
  })

  it('udp stats prints the counters as JSON', async () => {
    const r = await run(env, ['udp', 'stats'])
    expect(JSON.parse(r.stdout)).toEqual(STATS)
    const j = await run(env, ['--json', 'udp', 'stats'])
    expect(JSON.parse(j.stdout)).toMatchObject({ proto: 'stats', requestBytes: 1400, stats: STATS })
  })

  it('a closed port fails with netlab: <message> and exit code 1', async () => {
    const port = await freePort()
    const r = await run(env, ['udp', 'time', '--port', String(port), '--timeout', '20', '--retries', '1'])
    expect(r.code).toBe(1)
    expect(r.stdout).toBe('')
    expect(r.stderr).toMatch(
      new RegExp(
        `^netlab: no reply from 127\\.0\\.0\\.1:${port} after 2 attempts \\(\\d+ ms\\): port unreachable \\(ECONNREFUSED\\)\\n$`,
      ),
    )
  })

  it('--json reports a failure as an error object', async () => {
    const port = await freePort()
    const r = await run(env, [
      '--json',
      'udp',
      'hello',
      'x',
      '--port',
      String(port),
      '--timeout',
      '10',
      '--retries',
      '0',
    ])
    expect(JSON.parse(r.stdout)).toMatchObject({ error: 'NO_REPLY' })
    expect(r.code).toBe(1)
  })

  it.each([
    ['udp', 'probe', '--count', '0'],
    ['udp', 'probe', '--rate', '100001'],
    ['udp', 'probe', '--size', '39'],
    ['udp', 'time', '--retries', '21'],
    ['udp', 'time', '--timeout', '0'],
  ])('rejects bad options: %s %s %s %s', async (...args) => {
    const r = await run(env, args)
    expect(r.code).toBe(2) // a usage error
    expect(r.stderr).toMatch(/^error: option .* argument .* is invalid\. expected /)
  })
})

describe('defaultTargets().udp', () => {
  it.each([
    {
      name: 'on the host',
      env: {},
      want: {
        host: '127.0.0.1',
        ports: { ctime: 20000, hello: 9999, time: 3737, sntp: 12300, probe: 9000, ack: 50001 },
      },
    },
    {
      name: 'on the host, with published ports from the environment',
      env: { UDP_TIME_HOST_PORT: '4037', UDP_SNTP_HOST_PORT: '4123', UDP_PROBE_HOST_PORT: 'junk' },
      want: {
        host: '127.0.0.1',
        ports: { ctime: 20000, hello: 9999, time: 4037, sntp: 4123, probe: 9000, ack: 50001 },
      },
    },
    {
      name: 'in the lab',
      env: { NETLAB_IN_LAB: '1', UDP_TIME_HOST_PORT: '4037' },
      want: {
        host: 'udp',
        ports: { ctime: 20000, hello: 9999, time: 37, sntp: 123, probe: 9000, ack: 50001 },
      },
    },
    {
      name: 'with NETLAB_UDP_HOST',
      env: { NETLAB_UDP_HOST: '10.0.0.7' },
      want: {
        host: '10.0.0.7',
        ports: { ctime: 20000, hello: 9999, time: 3737, sntp: 12300, probe: 9000, ack: 50001 },
      },
    },
  ])('$name', ({ env, want }) => {
    expect(defaultTargets(env).udp).toEqual(want)
  })
})
