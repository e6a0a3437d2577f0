/**
 * The docs state what the code does: each docs/<service>.md carries its configuration table
 * exactly as the service's VarSpec list prints it (`node scripts/config-table.ts tcp`; the
 * dashboard's and METRICS_* in docs/dashboard.md and docs/metrics.md),
 * docs/setup.md lists every `make` target the Makefile documents, and docs/safety.md quotes
 * the NETLAB_BIND warning `make up` prints. Each fails when one side changes without the other.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { configTable } from '../../scripts/config-table.ts'

const root = join(import.meta.dirname, '..', '..')
const read = (path: string) => readFileSync(join(root, path), 'utf8')
const makefile = read('Makefile')

describe('docs/<service>.md', () => {
  it.each([
    'tcp',
    'udp',
    'http',
    'rpc',
    'faults',
    'dashboard',
    'metrics',
  ] as const)('docs/%s.md shows the configuration table exactly as `node scripts/config-table.ts` prints it', (service) => {
    expect(read(`docs/${service}.md`)).toContain(configTable(service))
  })
})

describe('docs/setup.md', () => {
  // The targets `make help` lists: a line `name: ... ## description`.
  const targets = [...makefile.matchAll(/^([a-z-]+):.*##/gm)].map((m) => m[1] as string)

  it('finds the Makefile targets', () => {
    expect(targets).toEqual(expect.arrayContaining(['up', 'down', 'test', 'test-unit', 'help']))
  })

  it.each(targets)('lists `make %s`', (target) => {
    expect(read('docs/setup.md')).toMatch(new RegExp(`\`make ${target}[\` ]`))
  })
})

describe('docs/safety.md', () => {
  it('quotes the warning `make up` prints for a NETLAB_BIND beyond loopback', () => {
    const recipe = makefile.split('\n').find((l) => l.includes('NETLAB_BIND') && l.includes('echo')) ?? ''
    const warning = /echo "warning: NETLAB_BIND=\$\$bind (.*)" >&2/.exec(recipe)?.[1]
    expect(warning, 'the Makefile line that warns about NETLAB_BIND').toBeDefined()
    expect(read('docs/safety.md')).toContain(warning as string)
  })
})
