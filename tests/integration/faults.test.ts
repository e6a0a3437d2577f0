/**
 * The faults service in front of the real tcp and udp services, all on one network,
 * driven the way users drive it: the netlab CLI in the client container (through the
 * shipped proxies: faults:19999 → tcp:9999, faults:19000 → udp:9000, faults:40000 →
 * udp:20000), the control API from the host, and toxiproxy-node-client to prove that an
 * existing toxiproxy client works unchanged. Timing assertions are one-sided (at least
 * the configured latency); loss is asserted in a generous band around the configured rate.
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { Toxiproxy } from 'toxiproxy-node-client'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { VERSION } from '../../lib/version.ts'
import { type Lab, startLab } from '../support/lab.ts'

interface ProbeJson {
  sent: number
  received: number
  lost: number
  lossPercent: number
  duplicated: number
  reordered: number
  ignored: number
}

const run = promisify(execFile)

/** the subnet and gateway Docker gave a network */
async function networkOf(name: string): Promise<{ subnet: string; gateway: string }> {
  const { stdout } = await run('docker', [
    'network',
    'inspect',
    '--format',
    '{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}}',
    name,
  ])
  const [subnet = '', gateway = ''] = stdout.trim().split(' ')
  return { subnet, gateway }
}

describe('faults service (client container → faults → tcp, udp, http, rpc)', { timeout: 90_000 }, () => {
  let lab: Lab
  let api: string
  beforeAll(async () => {
    lab = await startLab(['tcp', 'udp', 'http', 'rpc', 'faults'])
    api = lab.baseUrl('faults', 8474)
  })
  afterAll(() => lab?.stop())
  afterEach(async () => {
    // every test starts clean; after the SIGTERM test there is no API left to reset
    await fetch(`${api}/reset`, { method: 'POST' }).catch(() => undefined)
  })

  const faults = (...args: string[]) => lab.client('faults', ...args)
  const probe = async (...args: string[]): Promise<ProbeJson> => {
    const r = await lab.client('--json', 'udp', 'probe', '--host', 'faults', '--port', '19000', ...args)
    expect(r.exitCode).toBe(0)
    return JSON.parse(r.stdout) as ProbeJson
  }
  const upper = (...args: string[]) =>
    lab.client('--json', 'tcp', 'upper', '--host', 'faults', '--port', '19999', ...args)

  it('ships the lab’s services behind proxies, listed by `faults list`', async () => {
    const { exitCode, stdout } = await faults('list')
    expect(exitCode).toBe(0)
    expect(stdout).toBe(
      [
        'PROXY        PROTO  LISTEN         UPSTREAM   ENABLED',
        'http         tcp    0.0.0.0:18080  http:8080  yes',
        'rpc-jsonrpc  tcp    0.0.0.0:35001  rpc:15001  yes',
        'rpc-mpconn   tcp    0.0.0.0:37000  rpc:17000  yes',
        'rpc-xmlrpc   tcp    0.0.0.0:35000  rpc:15000  yes',
        'tcp-cmd      tcp    0.0.0.0:19998  tcp:9998   yes',
        'tcp-echo     tcp    0.0.0.0:40000  tcp:20000  yes',
        'tcp-upper    tcp    0.0.0.0:19999  tcp:9999   yes',
        'udp-hello    udp    0.0.0.0:19999  udp:9999   yes',
        'udp-probe    udp    0.0.0.0:19000  udp:9000   yes',
        'udp-rfc868   udp    0.0.0.0:10037  udp:37     yes',
        'udp-sntp     udp    0.0.0.0:10123  udp:123    yes',
        'udp-time     udp    0.0.0.0:40000  udp:20000  yes',
        '',
      ].join('\n'),
    )
  })

  it('tcp upper through 200 ms latency: the answer is right and takes at least 200 ms', async () => {
    const clean = JSON.parse((await upper('hello')).stdout) as { reply: string; elapsedMs: number }
    expect((await faults('add', 'tcp-upper', 'latency', '-a', 'latency=200')).exitCode).toBe(0)
    const slow = JSON.parse((await upper('hello')).stdout) as { reply: string; elapsedMs: number }
    expect(slow.reply).toBe('HELLO')
    expect(slow.elapsedMs).toBeGreaterThanOrEqual(200)
    console.log(
      `figure: tcp upper ${clean.elapsedMs} ms through the proxy, ${slow.elapsedMs} ms with latency 200`,
    )
  })

  it('reset_peer gives a clear error; once removed, the next command connects and works', async () => {
    await faults('add', 'tcp-upper', 'reset_peer')
    const broken = await lab.client('tcp', 'upper', '--host', 'faults', '--port', '19999', 'hi')
    expect(broken.exitCode).toBe(1)
    expect(broken.stderr).toMatch(
      /^netlab: (cannot connect to faults:19999: ECONNRESET|faults:19999 closed the connection)\n$/,
    )
    expect((await faults('remove', 'tcp-upper', 'reset_peer_downstream')).stdout).toBe(
      'removed reset_peer_downstream from tcp-upper\n',
    )
    expect(JSON.parse((await upper('again')).stdout)).toMatchObject({ reply: 'AGAIN' })
  })

  it('limit_data cuts the reply at the byte limit', async () => {
    await faults('add', 'tcp-upper', 'limit_data', '-a', 'bytes=5')
    const r = await lab.client('tcp', 'upper', '--host', 'faults', '--port', '19999', 'abcdefghij')
    expect(r.stdout).toBe('ABCDE\n')
  })

  it('timeout: the client gives up with its own deadline error', async () => {
    await faults('add', 'tcp-upper', 'timeout', '-a', 'timeout=0')
    const r = await lab.client('tcp', 'upper', '--host', 'faults', '--port', '19999', '--timeout', '500', 'x')
    expect(r).toMatchObject({ exitCode: 1, stderr: 'netlab: no reply from faults:19999 within 500 ms\n' })
  })

  it('slicer and bandwidth still deliver the whole reply (bandwidth: at its pace)', async () => {
    const text = 'x'.repeat(4000)
    await faults(
      'add',
      'tcp-upper',
      'slicer',
      '-a',
      'average_size=64',
      '-a',
      'size_variation=32',
      '-a',
      'delay=100',
    )
    expect(JSON.parse((await upper(text)).stdout)).toMatchObject({ reply: text.toUpperCase() })
    await faults('reset')
    await faults('add', 'tcp-upper', 'bandwidth', '-a', 'rate=10')
    const t = JSON.parse((await upper('y'.repeat(3000))).stdout) as { reply: string; elapsedMs: number }
    expect(t.reply).toBe('Y'.repeat(3000))
    expect(t.elapsedMs).toBeGreaterThanOrEqual(280) // 3000 bytes at 10 KB/s is 300 ms
  })

  it('udp probe through 20% loss reports loss near 20%', async () => {
    await faults('add', 'udp-probe', 'loss', '--toxicity', '0.2')
    const r = await probe('--count', '1000', '--rate', '500')
    expect(r.sent).toBe(1000)
    expect(r.lossPercent).toBeGreaterThanOrEqual(10)
    expect(r.lossPercent).toBeLessThanOrEqual(30)
    console.log(`figure: udp probe loss configured 20 %, measured ${r.lossPercent} % of ${r.sent}`)
  })

  it('the reliable single-request client (udp time) still succeeds through 50% loss, by retrying', async () => {
    await faults('add', 'udp-time', 'loss', '--toxicity', '0.5')
    let attempts = 0
    for (let i = 0; i < 12; i++) {
      const r = await lab.client(
        '--json',
        'udp',
        'time',
        '--host',
        'faults',
        '--port',
        '40000',
        '--timeout',
        '100',
        '--retries',
        '15',
      )
      expect(r.exitCode).toBe(0)
      attempts += (JSON.parse(r.stdout) as { attempts: number }).attempts
    }
    // all 12 on the first attempt has probability 0.5^12 (0.02 %)
    expect(attempts).toBeGreaterThan(12)
    console.log(`figure: udp time through 50 % loss: 12 of 12 answered in ${attempts} attempts`)
  })

  it('duplicate shows duplicates, reorder shows reordering, corrupt shows bad datagrams in the probe report', async () => {
    await faults('add', 'udp-probe', 'duplicate')
    expect(await probe('--count', '100', '--rate', '200')).toMatchObject({
      sent: 100,
      received: 100,
      duplicated: 100,
    })
    await faults('reset')
    await faults('add', 'udp-probe', 'reorder', '--toxicity', '0.3', '-a', 'delay=40')
    const reordered = await probe('--count', '200', '--rate', '200')
    expect(reordered.received).toBe(200)
    expect(reordered.reordered).toBeGreaterThan(20)
    await faults('reset')
    await faults('add', 'udp-probe', 'corrupt')
    // 40-byte probes: every flipped byte is in the header (magic, type, sequence, session, times)
    const corrupt = await probe('--count', '100', '--rate', '200', '--size', '40')
    expect(corrupt.ignored).toBeGreaterThanOrEqual(10)
  })

  it('/reset restores a clean path', async () => {
    await faults('add', 'udp-probe', 'loss')
    expect((await probe('--count', '20', '--rate', '100', '--wait', '300')).received).toBe(0)
    expect((await faults('reset')).exitCode).toBe(0)
    expect(await probe('--count', '20', '--rate', '100')).toMatchObject({ sent: 20, received: 20 })
  })

  it('toxiproxy-node-client drives the API unchanged: create, toxics, update enabled, remove', async () => {
    const toxiproxy = new Toxiproxy(api)
    // one version for the package, the images and faults (lib/version.ts)
    expect(JSON.parse(await toxiproxy.getVersion())).toEqual({ version: VERSION })
    const proxy = await toxiproxy.createProxy({ name: 'compat', listen: '0.0.0.0:0', upstream: 'tcp:20000' })
    const port = proxy.listen.split(':')[1] as string
    const echo = (text: string) => lab.client('tcp', 'echo', '--host', 'faults', '--port', port, text)
    expect((await echo('via toxiproxy-node-client')).stdout).toBe('via toxiproxy-node-client\n')

    const toxic = await proxy.addToxic({
      name: 'slow',
      type: 'latency',
      stream: 'downstream',
      toxicity: 1,
      attributes: { latency: 150, jitter: 0 },
    })
    expect(toxic.toJson()).toEqual({
      name: 'slow',
      type: 'latency',
      stream: 'downstream',
      toxicity: 1,
      attributes: { latency: 150, jitter: 0 },
    })
    expect((await proxy.getToxic('slow')).attributes).toEqual({ latency: 150, jitter: 0 })
    await toxic.remove()
    expect(Object.keys(await toxiproxy.getAll())).toContain('compat')

    const disabled = await proxy.update({ ...proxy.toJson(), enabled: false })
    expect(disabled.enabled).toBe(false)
    const refused = await echo('nobody home')
    expect(refused).toMatchObject({
      exitCode: 1,
      stderr: `netlab: cannot connect to faults:${port}: ECONNREFUSED\n`,
    })
    await proxy.update({ ...proxy.toJson(), enabled: true })
    expect((await echo('back')).stdout).toBe('back\n')
    await proxy.remove()
    await expect(toxiproxy.get('compat')).rejects.toThrow('Request failed with status code 404')
  })

  it('answers bad API input with toxiproxy’s status and JSON', async () => {
    const post = (path: string, body: string) =>
      fetch(`${api}${path}`, { method: 'POST', body }).then(async (r) => [r.status, await r.json()])
    expect(await post('/proxies/udp-probe/toxics', '{"type":"slicer"}')).toEqual([
      400,
      {
        error:
          'invalid toxic type "slicer" for a udp proxy; valid types: latency, loss, duplicate, reorder, corrupt, rate',
        status: 400,
        code: 'INVALID_TOXIC_TYPE',
      },
    ])
    expect(await post('/proxies/nope/toxics', '{"type":"latency"}')).toEqual([
      404,
      { error: 'proxy not found', status: 404, code: 'PROXY_NOT_FOUND' },
    ])
    expect(await post('/proxies', '{"name":"tcp-upper","upstream":"tcp:9999"}')).toEqual([
      409,
      { error: 'proxy already exists', status: 409, code: 'PROXY_EXISTS' },
    ])
  })
  it('refuses every upstream outside the lab with 400 UPSTREAM_NOT_ALLOWED naming it, at create, update and populate', async () => {
    const { subnet, gateway } = await networkOf(lab.network.getName())
    const privateOutside = subnet.startsWith('10.') ? '192.168.255.1' : '10.255.255.1'
    const refused = [
      '169.254.169.254:80',
      '127.0.0.1:9999',
      '8.8.8.8:53',
      `${privateOutside}:80`,
      `${gateway}:8474`,
      '[::1]:80',
      '[2001:db8::1]:80',
      '[fd00::1]:80',
      'localhost:9999',
    ]
    const post = (path: string, body: unknown, method = 'POST') =>
      fetch(`${api}${path}`, { method, body: JSON.stringify(body) }).then(async (r) => ({
        status: r.status,
        body: (await r.json()) as { code?: string; error?: string; proxies?: unknown[] },
      }))
    const table: string[] = []
    for (const [i, upstream] of refused.entries()) {
      const r = await post('/proxies', { name: `out${i}`, listen: '0.0.0.0:0', upstream })
      expect(r.status).toBe(400)
      expect(r.body.code).toBe('UPSTREAM_NOT_ALLOWED')
      expect(r.body.error).toMatch(
        new RegExp(`^upstream ${upstream.replace(/[.[\]]/g, '\\$&')} is not a container of the lab: `),
      )
      table.push(`figure: refused upstream ${upstream} → ${r.status} ${r.body.code}: ${r.body.error}`)
    }
    console.log(`lab network ${subnet}, gateway ${gateway}\n${table.join('\n')}`)
    expect((await post('/proxies/tcp-upper', { upstream: '169.254.169.254:80' })).body.code).toBe(
      'UPSTREAM_NOT_ALLOWED',
    )
    expect((await post('/proxies/tcp-upper', {}, 'PATCH')).body).toMatchObject({ upstream: 'tcp:9999' })
    const populated = await post('/populate', [{ name: 'p-out', upstream: 'localhost:80' }])
    expect(populated).toMatchObject({ status: 400, body: { code: 'UPSTREAM_NOT_ALLOWED', proxies: [] } })
    expect(Object.keys((await (await fetch(`${api}/proxies`)).json()) as object)).toHaveLength(12)
  })

  it('accepts every lab service, by name and by address, and relays through a proxy made by address', async () => {
    const tcpAddress = lab.container('tcp').getIpAddress(lab.network.getName())
    const upstreams = [
      ['tcp', 'tcp:9999'],
      ['udp', 'udp:9999'],
      ['tcp', 'http:8080'],
      ['tcp', 'rpc:15000'],
      ['tcp', 'faults:8474'],
      ['tcp', `${tcpAddress}:9999`],
    ] as const
    const created: string[] = []
    for (const [i, [protocol, upstream]] of upstreams.entries()) {
      const r = await fetch(`${api}/proxies`, {
        method: 'POST',
        body: JSON.stringify({ name: `in${i}`, protocol, listen: '0.0.0.0:0', upstream }),
      })
      expect([upstream, r.status]).toEqual([upstream, 201])
      created.push(((await r.json()) as { listen: string }).listen)
    }
    const port = created.at(-1)?.split(':')[1] as string
    const r = await lab.client('tcp', 'upper', '--host', 'faults', '--port', port, 'by address')
    expect(r.stdout).toBe('BY ADDRESS\n')
    for (const i of upstreams.keys()) await fetch(`${api}/proxies/in${i}`, { method: 'DELETE' })
  })

  it('refuses to start with a FAULTS_CONFIG it cannot use: exit 2 and the reason', async () => {
    const { exitCode, logs } = await lab.runOnce('faults', { FAULTS_CONFIG: '/nope.json' })
    expect(exitCode).toBe(2)
    expect(logs).toContainEqual(
      expect.objectContaining({
        level: 'fatal',
        msg: 'invalid configuration',
        problems: [`FAULTS_CONFIG="/nope.json": ENOENT: no such file or directory, open '/nope.json'`],
      }),
    )
  })

  // last: it stops the lab's faults container
  it('stops on SIGTERM with exit code 0, connections drained', async () => {
    expect(JSON.parse((await upper('last')).stdout)).toMatchObject({ reply: 'LAST' })
    expect(await lab.terminate('faults', 15_000)).toBe(0)
    // (a connection still open then, from an earlier test, adds its own drain and close lines)
    const messages = (await lab.logs('faults'))
      .map((l) => l.msg)
      .filter(
        (m) =>
          ![
            'draining connections',
            'connection closed',
            'connections destroyed at end of grace period',
          ].includes(m),
      )
    // each of the 12 shipped proxies closes its listener, then the process reports
    expect(messages.slice(messages.indexOf('shutting down'))).toEqual([
      'shutting down',
      ...Array(12).fill('proxy stopped'),
      'shutdown complete',
    ])
  })
})
