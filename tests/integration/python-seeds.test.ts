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
