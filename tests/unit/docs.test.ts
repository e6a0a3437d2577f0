/** docs/dashboard.md and docs/metrics.md show their configuration tables as `node scripts/config-table.ts` prints them. */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { configTable } from '../../scripts/config-table.ts'

const doc = (name: string) => readFileSync(join(import.meta.dirname, '..', '..', 'docs', name), 'utf8')

describe('docs', () => {
  it.each([
    ['dashboard.md', 'dashboard'],
    ['metrics.md', 'metrics'],
  ] as const)('%s shows the %s configuration table exactly as scripts/config-table.ts prints it', (file, table) => {
    expect(doc(file)).toContain(configTable(table))
  })
})
