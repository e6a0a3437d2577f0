/**
 * The seeds' Python clients (tests/integration/python/), unchanged but for host and
 * port, run on the host against the TCP service's mapped ports, under the oldest and
 * newest CPython 3 we have (and the machine's python3).
 */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Lab, startLab } from './lab.ts'

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
