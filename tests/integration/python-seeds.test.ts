/**
 * The seeds' Python clients (tests/integration/python/), unchanged but for host and
 * port, run on the host against the TCP service's mapped ports, under the oldest and
 * newest CPython 3 we have (and the machine's python3); and seed 004's mp-connection echo
 * client and RPCProxy over a value matrix (python/mp_matrix.py) under every CPython pyenv
 * holds (2.7, 3.6 to 3.13), from the host and from a container on the lab network. The
 * matrix is written to .build/mp-matrix.md, version by value.
 */
import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Lab, startLab } from '../support/lab.ts'

const run = promisify(execFile)
const script = join(import.meta.dirname, 'python', 'seed_tcp_clients.py')
const pythons = [
  'python3',
  ...['3.6.15', '3.13.0']
    .map((v) => join(homedir(), '.pyenv', 'versions', v, 'bin', 'python3'))
    .filter((p) => existsSync(p)),
]

describe('seed Python clients against the tcp service', { timeout: 30_000 }, () => {
  let lab: Lab
  beforeAll(async () => {
    lab = await startLab(['tcp'])
  })
  afterAll(() => lab?.stop())

  it.each(pythons)('work unchanged under %s', async (python) => {
    const args = [script, '127.0.0.1', String(lab.hostPort('tcp', 9999)), String(lab.hostPort('tcp', 20000))]
    const { stdout } = await run(python, args, { timeout: 20_000 })
    expect(stdout).toBe(
      [
        "seed003 client: b'HELLO WORLD 123'",
        "seed003 two clients: [b'HELLO WORLD', b'HELLO WORLD 123']",
        "seed004 echo: (5, b'Hello')",
        "seed004 stream lines: [b'first line\\n', b'second line\\n']",
        '',
      ].join('\n'),
    )
  })
})

const httpScript = join(import.meta.dirname, 'python', 'seed_http_clients.py')
/** Debian's python3 imports `requests` (python3-requests, installed by setup.sh test). */
const debianPython = '/usr/bin/python3'

describe(
  'seed Python HTTP clients (seeds 000, 002, 004) against the http service',
  { timeout: 60_000 },
  () => {
    let lab: Lab
    beforeAll(async () => {
      lab = await startLab(['http'])
    })
    afterAll(() => lab?.stop())

    const urllibLines = [
      'urllib get keys: ["args", "headers", "origin", "url"]',
      'urllib get args: {"name1": "value1", "name2": "value2"}',
      'urllib get url ok: true',
      'urllib get ua: true',
      'urllib post form: {"name1": "value1", "name2": "value2"}',
      'urllib post json: null',
      'urllib headers: ["none/ofyourbusiness", "Eggs"]',
      '<html>\n  <head>\n     <title>Hello Guido</title>\n   </head>\n   <body>\n     <h1>Hello Guido!</h1>\n   </body>\n</html>',
      'localtime: ["time", "year", "month", "day", "hour", "minute", "second"]',
      'index: "<h1>Index</h1>"',
      'hello: "<h1>hello, Michael!</h1>"',
      'seed000 post: [3188890, "success", 100000, 3188890]',
      'seed000 get: [44900, 1000]', // len(json.dumps(...)) of the seed's 1000 items
    ]

    it.each(
      pythons.filter((p) => p !== 'python3'),
    )('urllib and http.client snippets work unchanged under %s', async (python) => {
      const { stdout } = await run(python, [httpScript, lab.baseUrl('http', 8080)], { timeout: 40_000 })
      const lines = stdout.split('\n').filter((l) => !l.startsWith('requests: '))
      expect(lines.join('\n')).toBe(`${urllibLines.join('\n')}\n`)
    })

    it.skipIf(!existsSync(debianPython))(
      'the requests snippets work unchanged under Debian python3 with python3-requests',
      async () => {
        const { stdout } = await run(debianPython, [httpScript, lab.baseUrl('http', 8080)], {
          timeout: 40_000,
        })
        expect(stdout).toBe(
          [
            ...urllibLines,
            'requests: post: [{}, "", {}, {"name1": "value1", "name2": "value2"}, null]',
            'requests: post headers: ["application/x-www-form-urlencoded", "Eggs", "none/ofyourbusiness"]',
            'requests: head: [200, true, ""]',
            'requests: basic auth: [200, {"authenticated": true, "user": "user"}]',
            'requests: basic auth wrong: [401, "Basic realm=\\"Fake Realm\\""]',
            'requests: cookies: [302, {"cookies": {"session": "abc123"}}]',
            'requests: files: [{"file": "Hello, world."}, {}, ""]',
            'requests: get: [["args", "headers", "origin", "url"], {"n": "37", "name": "Dave"}, "goaway/1.0"]',
            '',
          ].join('\n'),
        )
      },
    )
  },
)

const matrixScript = join(import.meta.dirname, 'python', 'mp_matrix.py')
const pyenvRoot = join(homedir(), '.pyenv', 'versions')
/** Every CPython pyenv holds here: [version, interpreter]. */
const pyenvs: Array<[string, string]> = existsSync(pyenvRoot)
  ? readdirSync(pyenvRoot)
      .sort(compareVersions)
      .map((v): [string, string] => [v, join(pyenvRoot, v, 'bin', 'python')])
      .filter(([, exe]) => existsSync(exe))
  : []
/** The checks mp_matrix.py prints (one `ok` line each when all pass). */
const MATRIX_VALUES = [
  'None',
  'bool',
  'bigint',
  'float',
  'str',
  'bytes',
  'tuple',
  'list',
  'dict',
  'set',
  'frozenset',
  'datetime',
  'Decimal',
  'OrderedDict',
  'complex',
]
const MATRIX_LINES = [
  ...MATRIX_VALUES.map((v) => `echo ${v} ok`),
  ...MATRIX_VALUES.map((v) => `rpc ${v} ok`),
  'rpc add(Decimal, Decimal) ok',
  'rpc add(timedelta, timedelta) ok',
  'rpc exception ok',
  ...['os.system', 'eval', 'subprocess.Popen', 'getattr'].map((g) => `refused ${g} ok`),
  'echo after refusals ok',
]

function compareVersions(a: string, b: string): number {
  const [x, y] = [a, b].map((v) => v.split('.').map(Number)) as [number[], number[]]
  for (let i = 0; i < Math.max(x.length, y.length); i++)
    if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0)
  return 0
}

/** matrixTable renders the results as Markdown, version by value (pass/fail), for the closing note. */
function matrixTable(results: ReadonlyMap<string, string>): string {
  const columns = [...MATRIX_VALUES, 'exception', 'add(Decimal)', 'add(timedelta)', 'refusals']
  const cell = (out: string, col: string) => {
    const lines = out.split('\n')
    const ok = (l: string) => lines.includes(l)
    if (col === 'exception') return ok('rpc exception ok') ? 'pass' : 'FAIL'
    if (col.startsWith('add('))
      return ok(`rpc ${col.replace(')', `, ${col.slice(4, -1)})`)} ok`) ? 'pass' : 'FAIL'
    if (col === 'refusals')
      return MATRIX_LINES.filter((l) => l.startsWith('refused')).every(ok) ? 'pass' : 'FAIL'
    return ok(`echo ${col} ok`) && ok(`rpc ${col} ok`) ? 'pass' : 'FAIL'
  }
  // host rows, then container rows, each by version (Debian's python3 last)
  const rank = (who: string) => (who.includes('container') ? 2 : 0) + (who.startsWith('Debian') ? 1 : 0)
  const sorted = [...results].sort((a, b) => rank(a[0]) - rank(b[0]) || compareVersions(a[0], b[0]))
  const rows = sorted.map(([who, out]) => `| ${who} | ${columns.map((c) => cell(out, c)).join(' | ')} |`)
  return [`| CPython | ${columns.join(' | ')} |`, `| --- |${' --- |'.repeat(columns.length)}`, ...rows].join(
    '\n',
  )
}

/** matrixRun runs one matrix client; a failure says what it printed, so the table shows where it stopped. */
async function matrixRun(file: string, args: readonly string[]): Promise<string> {
  try {
    return (await run(file, args, { timeout: 60_000 })).stdout
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; signal?: string }
    return `${e.stdout ?? ''}FAILED (${e.signal ?? 'exit'}): ${(e.stderr ?? '').trim().split('\n').slice(-3).join(' | ')}\n`
  }
}

/** inBatches runs `f` over `items`, `size` at a time (two cores: a few Pythons at once). */
async function inBatches<T, R>(items: readonly T[], size: number, f: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = []
  for (let i = 0; i < items.length; i += size)
    out.push(...(await Promise.all(items.slice(i, i + size).map(f))))
  return out
}

describe(
  "seed 004's mp echo client and RPCProxy, unchanged, under every CPython (2.7, 3.6-3.13)",
  { timeout: 90_000 },
  () => {
    const KEY = 'matrix-key'
    let lab: Lab
    const results = new Map<string, string>()
    beforeAll(async () => {
      // A handshake deadline of 30 s: a loaded machine can take longer than 5 s to answer one.
      lab = await startLab(['rpc'], { env: { rpc: { RPC_AUTHKEY: KEY, RPC_AUTH_TIMEOUT_MS: '30000' } } })
    })
    afterAll(async () => {
      await lab?.stop()
      if (results.size > 0) {
        mkdirSync('.build', { recursive: true })
        writeFileSync('.build/mp-matrix.md', `${matrixTable(results)}\n`)
      }
    })

    it.skipIf(pyenvs.length === 0)(
      'from the host, through the mapped ports: every value passes',
      async () => {
        const ports = [25000, 17000].map((p) => String(lab.hostPort('rpc', p)))
        const outs = await inBatches(pyenvs, 3, async ([v, exe]) => {
          const stdout = await matrixRun(exe, [matrixScript, '127.0.0.1', ...ports, KEY])
          results.set(`${v} (host)`, stdout)
          return [v, stdout] as const
        })
        for (const [v, stdout] of outs) expect(`${v}:\n${stdout}`).toBe(`${v}:\n${MATRIX_LINES.join('\n')}\n`)
      },
    )

    it('from a container on the lab network (netlab-pybase: Debian python3, and each pyenv CPython mounted)', async () => {
      const network = lab.network.getName()
      const interpreters: Array<[string, string, string[]]> = [
        ['Debian python3 (container)', 'python3', []],
        ...pyenvs.map(([v, exe]): [string, string, string[]] => [
          `${v} (container)`,
          exe,
          ['-v', `${dirname(dirname(exe))}:${dirname(dirname(exe))}:ro`],
        ]),
      ]
      const outs = await inBatches(interpreters, 3, async ([who, exe, mounts]) => {
        const args = [
          'run',
          '--rm',
          '--network',
          network,
          '--label',
          `netlab.test=${process.env.NETLAB_TAG || 'dev'}`,
          '--read-only',
          '--cap-drop',
          'ALL',
          '--user',
          '1000:1000',
          '-v',
          `${matrixScript}:/app/mp_matrix.py:ro`,
          ...mounts,
          `netlab-pybase:${process.env.NETLAB_TAG || 'dev'}`,
          exe,
          '/app/mp_matrix.py',
          'rpc',
          '25000',
          '17000',
          KEY,
        ]
        const stdout = await matrixRun('docker', args)
        results.set(who, stdout)
        return [who, stdout] as const
      })
      for (const [who, stdout] of outs)
        expect(`${who}:\n${stdout}`).toBe(`${who}:\n${MATRIX_LINES.join('\n')}\n`)
    })
  },
)
