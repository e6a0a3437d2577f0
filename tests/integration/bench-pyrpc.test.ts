/**
 * The bench's Python RPC baseline (bench/baselines/python/pyrpc.py in the offline
 * netlab-pybase image), hardened as in docker-compose.yml, driven from the host by the
 * seeds' own client code: XML-RPC through xmlrpc.client, and the seed's pickle RPCProxy over
 * multiprocessing.connection. Proves the baseline answers what the bench's load generator
 * sends, refuses a wrong authkey and keeps serving, refuses to start without a key of its
 * own (none, or the seeds' public `peekaboo`), and stops cleanly on SIGTERM.
 */
import { execFile } from 'node:child_process'
import { setTimeout as delay } from 'node:timers/promises'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { testLabel } from '../support/images.ts'

const run = promisify(execFile)
const tag = process.env.NETLAB_TAG || 'dev'
const image = `netlab-pybase:${tag}`
const label = Object.entries(testLabel).map(([k, v]) => `${k}=${v}`)[0] ?? ''
const docker = async (...args: string[]) => (await run('docker', args, { timeout: 30_000 })).stdout.trim()

/** The seed's client side (seed 004): ServerProxy, and RPCProxy over a Client connection. */
const CLIENT = `
import pickle, sys
from multiprocessing.connection import Client
from xmlrpc.client import ServerProxy
xml_port, mp_port, key = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3].encode()
s = ServerProxy(f"http://127.0.0.1:{xml_port}", allow_none=True)
print("xmlrpc", s.add(2, 3), s.sub(10, 4), s.echo({"a": [1, None]}))
class RPCProxy:
    def __init__(self, connection):
        self._connection = connection
    def __getattr__(self, name):
        def do_rpc(*args, **kwargs):
            self._connection.send(pickle.dumps((name, args, kwargs)))
            result = pickle.loads(self._connection.recv())
            if isinstance(result, Exception):
                raise result
            return result
        return do_rpc
c = Client(("127.0.0.1", mp_port), authkey=key)
proxy = RPCProxy(c)
print("mpconn", proxy.add(2, 3), proxy.sub(2, 3), proxy.echo(b"x" * 3))
try:
    proxy.add(1, "a")
except TypeError as e:
    print("TypeError", e)
`

describe('bench python baseline (netlab-pybase)', { timeout: 60_000 }, () => {
  let id = ''
  let xmlPort = 0
  let mpPort = 0
  const network = `netlab-test-pyrpc-${process.pid}`

  beforeAll(async () => {
    await docker('image', 'inspect', image).catch(() => {
      throw new Error(`missing image ${image}: run \`make images\` (scripts/bench-images/build.sh) first`)
    })
    await docker('network', 'create', '--label', label, network)
    id = await docker(
      'run',
      '-d',
      '--label',
      label,
      '--network',
      network,
      '--read-only',
      '--cap-drop',
      'ALL',
      '--security-opt',
      'no-new-privileges:true',
      '--user',
      '1000:1000',
      '--tmpfs',
      '/tmp:size=16m',
      '-e',
      'BENCH_AUTHKEY=s3cret',
      '-p',
      '127.0.0.1::15000',
      '-p',
      '127.0.0.1::17000',
      image,
    )
    const port = async (p: number) => Number((await docker('port', id, String(p))).split(':').pop())
    xmlPort = await port(15000)
    mpPort = await port(17000)
    // Ready means the container's own health check (one call over each transport) passes.
    for (let i = 0; ; i++) {
      const ok = await run('docker', ['exec', id, 'python3', '/app/pyrpc.py', 'check'], {
        timeout: 10_000,
      }).then(
        () => true,
        () => false,
      )
      if (ok) break
      if (i >= 40) throw new Error('baseline-pyrpc did not pass its check within 40 tries')
      await delay(250)
    }
  })
  afterAll(async () => {
    if (id) await docker('rm', '-f', id).catch(() => undefined)
    await docker('network', 'rm', network).catch(() => undefined)
  })

  it('answers the seeds clients over XML-RPC and pickle RPC, raising the server-side TypeError', async () => {
    const { stdout } = await run(
      '/usr/bin/python3',
      ['-c', CLIENT, String(xmlPort), String(mpPort), 's3cret'],
      {
        timeout: 20_000,
      },
    )
    expect(stdout).toBe(
      [
        "xmlrpc 5 6 {'a': [1, None]}",
        "mpconn 5 -1 b'xxx'",
        "TypeError unsupported operand type(s) for +: 'int' and 'str'",
        '',
      ].join('\n'),
    )
  })

  it('refuses a wrong authkey and keeps serving the next client', async () => {
    const bad = await run('/usr/bin/python3', ['-c', CLIENT, String(xmlPort), String(mpPort), 'peekaboo'], {
      timeout: 20_000,
    }).then(
      () => undefined,
      (err: unknown) => err as { code?: number; stderr?: string },
    )
    expect(bad?.code).toBe(1)
    expect(bad?.stderr).toMatch(/multiprocessing\.context\.AuthenticationError: digest sent was rejected/)
    await run('/usr/bin/python3', ['-c', CLIENT, String(xmlPort), String(mpPort), 's3cret'], {
      timeout: 20_000,
    })
  })

  it.each([
    ['no BENCH_AUTHKEY', [], 'is not set'],
    ["the seeds' public key", ['-e', 'BENCH_AUTHKEY=peekaboo'], "is the seeds' public key"],
  ])('refuses to start with %s: exit 2 and the reason', async (_case, env, reason) => {
    const failed = await run(
      'docker',
      [
        'run',
        '--rm',
        '--label',
        label,
        '--read-only',
        '--cap-drop',
        'ALL',
        '--user',
        '1000:1000',
        ...env,
        image,
      ],
      { timeout: 30_000 },
    ).then(
      () => undefined,
      (err: unknown) => err as { code?: number; stdout?: string; stderr?: string },
    )
    expect(failed).toMatchObject({
      code: 2,
      stdout: '',
      stderr: `pyrpc: BENCH_AUTHKEY ${reason}: this server unpickles what it receives; \`make bench\` gives each run its own random key\n`,
    })
  })

  it('exits 0 on SIGTERM after saying so', async () => {
    await docker('stop', '--time', '10', id)
    expect(await docker('inspect', '-f', '{{.State.ExitCode}}', id)).toBe('0')
    const { stdout, stderr } = await run('docker', ['logs', id])
    expect(stdout).toBe('listening xmlrpc=15000 mpconn=17000\nshutting down\n')
    // the wrong-key client is reported, and nothing else
    expect(stderr).toMatch(/AuthenticationError: digest received was wrong/)
  })
})
