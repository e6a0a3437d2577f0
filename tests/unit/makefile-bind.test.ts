/**
 * `make up`'s warning when NETLAB_BIND publishes the lab beyond loopback: the recipe line
 * from the Makefile, run by bash as make runs it (`$$` unescaped), in a scratch directory
 * whose .env may set NETLAB_BIND too, as compose would read it.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

const makefile = readFileSync(join(import.meta.dirname, '..', '..', 'Makefile'), 'utf8')
const upRecipe = makefile.slice(makefile.indexOf('\nup:'))
const line = (upRecipe.split('\n').find((l) => l.includes('NETLAB_BIND')) ?? '')
  .replace(/^\t@/, '')
  .replaceAll('$$', '$')
const dir = mkdtempSync(join(tmpdir(), 'netlab-bind-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function warning(env: Record<string, string>, dotEnv = ''): string {
  writeFileSync(join(dir, '.env'), dotEnv)
  const out = execFileSync('bash', ['-c', `${line} 2>&1`], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', ...env },
  })
  return out.toString()
}

const expected = (bind: string) =>
  `warning: NETLAB_BIND=${bind} publishes the lab beyond this machine: the UDP ports and the unauthenticated faults API (8474) become reachable from the LAN\n`

describe('make up: NETLAB_BIND warning', () => {
  it.each(['0.0.0.0', '192.168.1.20', '::'])('warns for NETLAB_BIND=%s', (bind) => {
    expect(warning({ NETLAB_BIND: bind })).toBe(expected(bind))
  })

  it.each([
    [{}],
    [{ NETLAB_BIND: '127.0.0.1' }],
    [{ NETLAB_BIND: '127.0.0.2' }],
    [{ NETLAB_BIND: '::1' }],
  ])('is silent for loopback (%j)', (env) => {
    expect(warning(env)).toBe('')
  })

  it('reads NETLAB_BIND from .env, as compose does, unless the environment sets it', () => {
    expect(warning({}, 'NETLAB_NODE_IMAGE=x\nNETLAB_BIND=0.0.0.0\n')).toBe(expected('0.0.0.0'))
    expect(warning({ NETLAB_BIND: '127.0.0.1' }, 'NETLAB_BIND=0.0.0.0\n')).toBe('')
  })
})
