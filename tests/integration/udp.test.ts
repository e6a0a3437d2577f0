/**
 * The UDP service across a real container network, from the host through mapped UDP
 * ports: the seeds' Python snippets, real third-party time clients (chronyd, rdate),
 * and the defences: malformed and oversized datagrams are counted and never answered.
 */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeStatsReply, encodeStatsRequest } from '../../protocols/probe/packet.ts'
import type { UdpStats } from '../../services/udp/counters.ts'
import { type Lab, startLab } from '../support/lab.ts'

const run = promisify(execFile)
const hasTool = (path: string) => existsSync(path)

describe('udp service', { timeout: 30_000 }, () => {
  let lab: Lab
  beforeAll(async () => {
    lab = await startLab(['udp'], { env: { udp: { UDP_WORKERS: '2', UDP_MAX_DATAGRAM_BYTES: '1024' } } })
  })
  afterAll(() => lab?.stop())

  const stats = async () => {
    // 1000 bytes: under this lab's UDP_MAX_DATAGRAM_BYTES, and room for the JSON counters.
    const [reply] = await lab.udp('udp', 9000, encodeStatsRequest(1000))
    const decoded = reply && decodeStatsReply(reply)
    if (!decoded || !('stats' in decoded)) throw new Error('no stats reply')
    return decoded.stats as UdpStats
  }

  it("answers the seeds' Python snippets unchanged (seed 004 ctime, seed 002 hello)", async () => {
    const script = join(import.meta.dirname, 'python', 'seed_udp_clients.py')
    const args = [
      script,
      '127.0.0.1',
      String(lab.hostPort('udp', 20000, 'udp')),
      String(lab.hostPort('udp', 9999, 'udp')),
    ]
    const { stdout } = await run('python3', args, { timeout: 20_000 })
    expect(stdout).toBe(
      [
        'seed004 sendto: 0',
        'seed004 ctime shape: True',
        'seed004 reply from server port: True',
        'Hello, Michael!',
        'Hello, Tracy!',
        'Hello, Sarah!',
        '',
      ].join('\n'),
    )
  })

  it('answers RFC 868 with 4 bytes of seconds since 1900, close to our clock', async () => {
    const [reply] = await lab.udp('udp', 37, Buffer.alloc(0))
    expect(reply).toHaveLength(4)
    const serverS = (reply as Buffer).readUInt32BE(0) - 2_208_988_800
    expect(Math.abs(serverS - Date.now() / 1000)).toBeLessThan(2)
  })

  it.runIf(hasTool('/usr/sbin/chronyd'))(
    'satisfies chronyd -Q (a real NTP client): offset near zero',
    async () => {
      const port = lab.hostPort('udp', 123, 'udp')
      const { stdout, stderr } = await run(
        'chronyd',
        ['-Q', '-t', '15', `server 127.0.0.1 port ${port} iburst maxsamples 4`],
        {
          timeout: 25_000,
        },
      )
      const match = /System clock wrong by (-?[\d.]+) seconds/.exec(stdout + stderr)
      expect(match, stdout + stderr).not.toBeNull()
      expect(Math.abs(Number(match?.[1]))).toBeLessThan(0.5)
    },
  )

  it.runIf(hasTool('/usr/sbin/rdate'))(
    'satisfies rdate over SNTP (-n) and over RFC 868 UDP (-u)',
    async () => {
      const sntp = await run(
        'rdate',
        ['-n', '-p', '-o', String(lab.hostPort('udp', 123, 'udp')), '127.0.0.1'],
        { timeout: 10_000 },
      )
      const rfc868 = await run(
        'rdate',
        ['-u', '-p', '-o', String(lab.hostPort('udp', 37, 'udp')), '127.0.0.1'],
        { timeout: 10_000 },
      )
      for (const out of [sntp.stdout, rfc868.stdout]) {
        expect(Math.abs(Date.parse(out.trim()) - Date.now())).toBeLessThan(5000)
      }
    },
  )

  it('drops malformed SNTP and probe datagrams unanswered, and counts them', async () => {
    const before = await stats()
    const junk = [
      Buffer.from('not ntp'),
      Buffer.alloc(48, 0),
      Buffer.concat([Buffer.from([0x24]), Buffer.alloc(47, 1)]),
    ]
    for (const datagram of junk) expect(await lab.udp('udp', 123, datagram, 300)).toEqual([])
    expect(
      await lab.udp('udp', 9000, Buffer.from('XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX'), 300),
    ).toEqual([])
    const after = await stats()
    expect(after.dropped.malformed - before.dropped.malformed).toBe(4)
  })

  it('drops datagrams over UDP_MAX_DATAGRAM_BYTES unanswered, and counts them', async () => {
    const before = await stats()
    expect(await lab.udp('udp', 9999, Buffer.alloc(1025, 0x41), 300)).toEqual([])
    expect(await lab.udp('udp', 9999, Buffer.alloc(1024, 0x41), 300)).toHaveLength(1)
    const after = await stats()
    expect(after.dropped.oversize - before.dropped.oversize).toBe(1)
  })

  it('never answers the probe port with more bytes than it received', async () => {
    const [reply] = await lab.udp('udp', 9000, encodeStatsRequest(16))
    expect(reply?.length).toBeLessThanOrEqual(16)
    expect(decodeStatsReply(reply as Buffer)).toEqual({ tooShort: expect.any(Number) })
  })
})

describe('udp rate limit', { timeout: 30_000 }, () => {
  let lab: Lab
  beforeAll(async () => {
    lab = await startLab(['udp'], { env: { udp: { UDP_RATE_LIMIT_PPS: '5', UDP_RATE_LIMIT_BURST: '10' } } })
  })
  afterAll(() => lab?.stop())

  it('answers a burst of 10 from one source, drops the rest, and warns once', async () => {
    // One socket (one source) sends 40 datagrams at once.
    const replies = await lab.udpBurst('udp', 9999, Buffer.from('x'), 40, 800)
    expect(replies).toBeGreaterThanOrEqual(10)
    expect(replies).toBeLessThan(14) // 10 + whatever refilled at 5/s while sending
    const warns = (await lab.logs('udp')).filter((l) => l.msg === 'source rate-limited')
    expect(warns).toHaveLength(1)
    expect(warns[0]).toMatchObject({ level: 'warn', code: 'RATE_LIMITED', proto: 'hello' })
  })
})
