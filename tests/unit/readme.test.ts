/** README.md's configuration tables are generated from the services' VarSpec lists; this keeps them in step. */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { configTable } from '../../scripts/config-table.ts'

const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8')

describe('README.md', () => {
  it.each([
    'tcp',
    'udp',
    'http',
    'rpc',
    'faults',
  ] as const)('shows the %s configuration table exactly as `node scripts/config-table.ts` prints it', (service) => {
    expect(readme).toContain(configTable(service))
  })
})
