/**
 * Seed 001's three servers (welcome, tcpServer, udpServer) and seed 002's threaded
 * Welcome/Hello server, across a real container network, with the seeds' own timings
 * (TCP_WELCOME_TIMEOUT_MS 5000, TCP_HELLO_DELAY_MS 1000). Proves that the seeds' clients
 * (tests/integration/python/) print what the seeds say: under CPython 2.7 as printed, under
 * 3.x where the code allows, from the host and from a Python client container on the lab
 * network; that the welcome server times out a silent client at 5 s; that two seed 002
 * clients finish in about the time of one; and the CLI from the client container. Also
 * seed 004's runoob client, which no other file runs, against the upper port. The
 * scenarios run at once (describe.concurrent), so the file costs about its slowest one.
 */
import { execFile, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { open } from '../../clients/cli/net/tcp-client.ts'
import { testLabel } from '../support/images.ts'
import { type Lab, startLab } from '../support/lab.ts'

const exec = promisify(execFile)
const tag = process.env.NETLAB_TAG || 'dev'
const pyDir = join(import.meta.dirname, 'python')
const pyenv = (v: string, bin: string) => join(homedir(), '.pyenv', 'versions', v, 'bin', bin)
const PY27 = pyenv('2.7.18', 'python2.7')
const PY3 = [pyenv('3.6.15', 'python3'), pyenv('3.13.0', 'python3')].filter((p) => existsSync(p))
const ACK = 'tcpServer has received your message'
const SAID = `[tcpServer said]: ${ACK}\n`
const SAID_PY3 = `[tcpServer said]: b'${ACK}'\n`
const HELLO = 'Welcome!\nHello, Michael!\nHello, Tracy!\nHello, Sarah!\n'

interface PyRun {
  readonly stdout: string
  readonly elapsedMs: number
}

const timed = async (run: () => Promise<{ stdout: string }>): Promise<PyRun> => {
  const started = performance.now()
  const { stdout } = await run()
  return { stdout, elapsedMs: performance.now() - started }
}

describe.concurrent('seed 001 and 002 programs', { timeout: 60_000 }, () => {
  let lab: Lab
  beforeAll(async () => {
    lab = await startLab(['tcp', 'udp'], { env: { tcp: { TCP_WORKERS: '2' } } })
  })
  afterAll(() => lab?.stop())

  /** host runs a seed client on the host: `script 127.0.0.1 <mapped port> ...args`. */
  const host = (python: string, script: string, port: number, proto: 'tcp' | 'udp', ...args: string[]) =>
    timed(() =>
      exec(
        python,
        [
          join(pyDir, script),
          '127.0.0.1',
          String(lab.hostPort(proto === 'tcp' ? 'tcp' : 'udp', port, proto)),
          ...args,
        ],
        { timeout: 20_000 },
      ),
    )

  /**
   * inContainer runs seed clients at once with Debian's python3 (netlab-pybase) in one
   * container on the lab network; each `run` is `script arg...`. Returns their outputs, in order.
   */
  const inContainer = async (...runs: string[][]): Promise<string[]> => {
    const [key, value] = Object.entries(testLabel)[0] as [string, string]
    const driver = [
      'import subprocess, sys',
      "ps = [subprocess.Popen(['python3', '/seeds/' + a] + b.split(), stdout=subprocess.PIPE) for a, b in zip(sys.argv[1::2], sys.argv[2::2])]",
      "sys.stdout.write('\\0'.join(p.communicate()[0].decode() for p in ps))",
    ].join('\n')
    const { stdout } = await exec(
      'docker',
      [
        ...['run', '--rm', '--label', `${key}=${value}`, '--network', lab.network.getName()],
        ...['--read-only', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges:true'],
        ...['--user', '1000:1000', '-v', `${pyDir}:/seeds:ro`, `netlab-pybase:${tag}`],
        ...['python3', '-c', driver, ...runs.flatMap(([script, ...args]) => [script ?? '', args.join(' ')])],
      ],
      { timeout: 30_000 },
    )
    return stdout.split('\0')
  }

  describe.runIf(existsSync(PY27))('seed 001 clients as printed, CPython 2.7, from the host', () => {
    it('welcome: sleep 2, send 1, print "welcome to server!"', async ({ expect }) => {
      const r = await host(PY27, 'seed001_welcome_client.py', 8001, 'tcp')
      expect(r.stdout).toBe('welcome to server!\n')
      expect(r.elapsedMs).toBeGreaterThanOrEqual(2000)
    })

    it('welcome, the seed first edit: send something else, print "please go out!"', async ({ expect }) => {
      const r = await host(PY27, 'seed001_welcome_client.py', 8001, 'tcp', '2')
      expect(r.stdout).toBe('please go out!\n')
    })

    it('welcome, the seed second edit: sleep 6 s, the server has timed out (recv is empty)', async ({
      expect,
    }) => {
      const r = await host(PY27, 'seed001_welcome_client.py', 8001, 'tcp', '1', '6')
      expect(r.stdout).toBe('\n')
      expect(r.elapsedMs).toBeGreaterThanOrEqual(6000)
    })

    it('tcpServer: prints "[tcpServer said]: tcpServer has received your message"', async ({ expect }) => {
      expect((await host(PY27, 'seed001_tcp_client.py', 50000, 'tcp')).stdout).toBe(SAID)
    })

    it('udpServer, over a connected UDP socket: the same line', async ({ expect }) => {
      expect((await host(PY27, 'seed001_udp_client.py', 50001, 'udp')).stdout).toBe(SAID)
    })

    it('seed 002 client under 2.7: the welcome and three greetings', async ({ expect }) => {
      expect((await host(PY27, 'seed002_hello_client.py', 9997, 'tcp')).stdout).toBe(HELLO)
    })
  })

  it.for(
    PY3,
  )('under %s from the host: seed 002 client unchanged, seed 001 clients with bytes literals', async (py, {
    expect,
  }) => {
    const runs = await Promise.all([
      host(py, 'seed002_hello_client.py', 9997, 'tcp'),
      host(py, 'seed001_clients_py3.py', 8001, 'tcp', 'welcome'),
      host(py, 'seed001_clients_py3.py', 50000, 'tcp', 'tcp'),
      host(py, 'seed001_clients_py3.py', 50001, 'udp', 'udp'),
    ])
    expect(runs.map((r) => r.stdout)).toEqual([HELLO, "b'welcome to server!'\n", SAID_PY3, SAID_PY3])
  })

  it('from a client container (Debian python3, lab network, by service name)', async ({ expect }) => {
    const outputs = await inContainer(
      ['seed002_hello_client.py', 'tcp', '9997'],
      ['seed001_clients_py3.py', 'tcp', '8001', 'welcome', '2'],
      ['seed001_clients_py3.py', 'tcp', '50000', 'tcp'],
      ['seed001_clients_py3.py', 'udp', '50001', 'udp'],
    )
    expect(outputs).toEqual([HELLO, "b'please go out!'\n", SAID_PY3, SAID_PY3])
  })

  it("seed 004's runoob client (its endless loop bounded to 3) against the upper port", async ({
    expect,
  }) => {
    const py = PY3.at(-1) ?? 'python3'
    const r = await host(py, 'seed004_runoob_client.py', 9999, 'tcp')
    expect(r.stdout).toBe('recv: 欢迎访问菜鸟教程！\n'.repeat(3))
  })

  it('two seed 002 clients at once finish in about the time of one (3 answers, 1 s each)', async ({
    expect,
  }) => {
    const py = PY3.at(-1) ?? 'python3'
    const started = performance.now()
    const [a, b] = await Promise.all([
      host(py, 'seed002_hello_client.py', 9997, 'tcp'),
      host(py, 'seed002_hello_client.py', 9997, 'tcp'),
    ])
    const wallMs = performance.now() - started
    expect([a.stdout, b.stdout]).toEqual([HELLO, HELLO])
    for (const r of [a, b]) expect(r.elapsedMs).toBeGreaterThanOrEqual(3000)
    expect(wallMs).toBeLessThan(5500) // one after the other takes over 6 s (6 answers, 1 s each)
  })

  it('closes a silent welcome client at 5 s (TCP_WELCOME_TIMEOUT_MS), sending nothing', async ({
    expect,
  }) => {
    const started = performance.now() // the server's clock starts at its accept, after this
    const socket = await open({ host: '127.0.0.1', port: lab.hostPort('tcp', 8001) }, 5000)
    let received = 0
    socket.on('data', (c: Buffer) => {
      received += c.length
    })
    await new Promise((resolve) => socket.once('end', resolve))
    const elapsed = performance.now() - started
    socket.destroy()
    expect(received).toBe(0)
    expect(elapsed).toBeGreaterThanOrEqual(5000)
    expect(elapsed).toBeLessThan(6500)
  })

  it('the CLI in the client container: a command line, and the interactive session', async ({ expect }) => {
    // One session (one Node start) types the other commands, as a user would at the prompt.
    const session = (input: string) =>
      new Promise<string>((resolve, reject) => {
        const child = spawn('docker', [
          ...['exec', '-i', '-u', '1000:1000', '-e', 'NETLAB_IN_LAB=1', lab.clientId()],
          ...['node', 'dist/clients/cli/main.js'],
        ])
        let out = ''
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString('utf8')
        })
        child.on('error', reject)
        child.on('close', () => resolve(out))
        child.stdin.end(input)
      })
    const [hello, typed] = await Promise.all([
      lab.client('--json', 'tcp', 'hello', 'Michael', 'Tracy'),
      session('tcp welcome\ntcp ack hello, tcpServer!\nudp ack "hello, tcpServer!"\nexit\n'),
    ])
    expect(hello.exitCode).toBe(0)
    expect(JSON.parse(hello.stdout)).toMatchObject({
      service: 'tcp',
      proto: 'hello',
      host: 'tcp',
      port: 9997,
      welcome: 'Welcome!',
      replies: ['Hello, Michael!', 'Hello, Tracy!'],
    })
    expect(
      typed
        .replace(/netlab> /g, '')
        .split('\n')
        .slice(2), // the banner's two lines
    ).toEqual(['welcome to server!', ACK, ACK, ''])
  })
})
