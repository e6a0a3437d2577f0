/**
 * `netlab tcp welcome|hello|ack` and `netlab udp ack` in-process, against the real TCP and UDP
 * services on loopback ports the OS picks (reached through the host-port variables), and the
 * same commands typed into the interactive session.
 */
import { PassThrough } from 'node:stream'
import { beforeAll, describe, expect, it } from 'vitest'
import { startSession } from '../../../clients/cli/session.ts'
import { defaultTargets } from '../../../clients/cli/targets.ts'
import type { Env } from '../../../lib/config.ts'
import { createLogger } from '../../../lib/log.ts'
import { loadTcpConfig, tcpConfigSpec } from '../../../services/tcp/config.ts'
import { startTcpService } from '../../../services/tcp/server.ts'
import { loadUdpConfig, udpConfigSpec } from '../../../services/udp/config.ts'
import { startUdpService } from '../../../services/udp/server.ts'
import { Capture, runCli } from '../../support/cli-harness.ts'
import { freePorts } from '../../support/free-ports.ts'

const ACK = 'tcpServer has received your message'
const HELLO_DELAY_MS = 100

describe('netlab tcp welcome|hello|ack, udp ack', () => {
  let env: Env
  beforeAll(async () => {
    const tcp = await startTcpService(
      loadTcpConfig({
        TCP_HOST: '127.0.0.1',
        ...freePorts(tcpConfigSpec),
        TCP_WORKERS: '1',
        TCP_WELCOME_TIMEOUT_MS: '400',
        TCP_HELLO_DELAY_MS: String(HELLO_DELAY_MS),
        LOG_LEVEL: 'silent',
      }),
      createLogger('tcp', 'silent'),
    )
    const udp = await startUdpService(
      loadUdpConfig({
        UDP_HOST: '127.0.0.1',
        ...freePorts(udpConfigSpec),
        UDP_WORKERS: '1',
        LOG_LEVEL: 'silent',
      }),
      createLogger('udp', 'silent'),
    )
    env = {
      NETLAB_TCP_HOST: '127.0.0.1',
      NETLAB_UDP_HOST: '127.0.0.1',
      TCP_WELCOME_HOST_PORT: String(tcp.ports.welcome),
      TCP_HELLO_HOST_PORT: String(tcp.ports.hello),
      TCP_ACK_HOST_PORT: String(tcp.ports.ack),
      UDP_ACK_HOST_PORT: String(udp.ports.ack),
    }
    return async () => {
      await Promise.all([tcp.close(), udp.close()])
    }
  })

  it('`tcp welcome` sends 1 and prints the answer; --send 2 gets the other one', async () => {
    expect(await runCli(env, ['tcp', 'welcome'])).toMatchObject({ code: 0, stdout: 'welcome to server!\n' })
    expect(await runCli(env, ['tcp', 'welcome', '--send', '2'])).toMatchObject({
      code: 0,
      stdout: 'please go out!\n',
    })
  })

  it('`--json tcp welcome --sleep` past the server timeout fails, naming it', async () => {
    const r = await runCli(env, ['--json', 'tcp', 'welcome', '--sleep', '3000'])
    expect(r.code).toBe(1)
    expect(JSON.parse(r.stdout)).toMatchObject({ error: 'TIMED_OUT_BY_SERVER' })
    expect(r.stderr).toMatch(
      /^netlab: 127\.0\.0\.1:\d+ closed the connection after \d+ ms, before anything was sent \(the welcome server's timeout\)\n$/,
    )
    expect(r.elapsedMs).toBeLessThan(2900) // it fails when the server closes, not when the sleep ends
  })

  it('`tcp hello` prints the welcome and each greeting, one delay per name', async () => {
    const r = await runCli(env, ['tcp', 'hello', 'Michael', 'Tracy', 'Sarah'])
    expect(r).toMatchObject({ code: 0, stdout: 'Welcome!\nHello, Michael!\nHello, Tracy!\nHello, Sarah!\n' })
    expect(r.elapsedMs).toBeGreaterThanOrEqual(3 * HELLO_DELAY_MS - 10)
  })

  it('`--json tcp hello` reports the replies; a name over 1024 bytes is a usage error', async () => {
    const r = await runCli(env, ['--json', 'tcp', 'hello', 'grüße'])
    expect(JSON.parse(r.stdout)).toMatchObject({
      proto: 'hello',
      names: ['grüße'],
      welcome: 'Welcome!',
      replies: ['Hello, grüße!'],
    })
    const long = await runCli(env, ['tcp', 'hello', 'x'.repeat(1025)])
    expect(long.code).toBe(2)
    expect(long.stderr).toMatch(/each name is one message: 1 to 1024 bytes \(got 1025\)/)
  })

  it('`tcp ack` and `udp ack` print the seed reply; --json counts the TCP replies', async () => {
    expect(await runCli(env, ['tcp', 'ack', 'hello,', 'tcpServer!'])).toMatchObject({
      code: 0,
      stdout: `${ACK}\n`,
    })
    const json = JSON.parse((await runCli(env, ['--json', 'tcp', 'ack', 'hi'])).stdout)
    expect(json).toMatchObject({ proto: 'ack', bytesSent: 2, reply: ACK, replies: 1 })
    expect(await runCli(env, ['udp', 'ack', 'hello, tcpServer!'])).toMatchObject({
      code: 0,
      stdout: `${ACK}\n`,
    })
  })

  it('`udp ack` refuses a datagram the server would drop (under 4 bytes), as a usage error', async () => {
    const r = await runCli(env, ['udp', 'ack', 'abc'])
    expect(r.code).toBe(2)
    expect(r.stderr).toBe(
      'error: the ack port answers datagrams of 4 bytes or more (its reply is 35); got 3\n(add --help for usage)\n',
    )
  })

  it('work in the interactive session, --json included', async () => {
    const stdin = new PassThrough()
    const stdout = new Capture()
    const stderr = new Capture()
    const done = startSession({ stdin, stdout, stderr }, env).done
    stdin.end('tcp hello Michael\n--json udp ack "hello, udpServer"\ntcp welcome --send 1\nexit\n')
    await done
    // after the banner, each command's output follows its prompt (`netlab> `)
    const lines = stdout.text.slice(stdout.text.indexOf('Welcome!')).replaceAll('netlab> ', '').split('\n')
    expect(lines.slice(0, 2)).toEqual(['Welcome!', 'Hello, Michael!'])
    expect(lines[3]).toBe('welcome to server!')
    const json = lines[2]
    expect(JSON.parse(json ?? '{}')).toMatchObject({ service: 'udp', proto: 'ack', reply: ACK })
    expect(stderr.text).toBe('')
  })
})

describe('defaultTargets: the seed ports', () => {
  it.each([
    { name: 'on the host', env: {}, tcp: [8001, 9997, 50000], udp: 50001 },
    {
      name: 'on the host, with published ports from the environment',
      env: {
        TCP_WELCOME_HOST_PORT: '18001',
        TCP_HELLO_HOST_PORT: '19997',
        TCP_ACK_HOST_PORT: 'x',
        UDP_ACK_HOST_PORT: '5',
      },
      tcp: [18001, 19997, 50000],
      udp: 5,
    },
    {
      name: 'in the lab',
      env: { NETLAB_IN_LAB: '1', TCP_HELLO_HOST_PORT: '19997' },
      tcp: [8001, 9997, 50000],
      udp: 50001,
    },
  ])('$name', ({ env, tcp, udp }) => {
    const t = defaultTargets(env)
    expect([t.tcp.ports.welcome, t.tcp.ports.hello, t.tcp.ports.ack]).toEqual(tcp)
    expect(t.udp.ports.ack).toBe(udp)
  })
})
