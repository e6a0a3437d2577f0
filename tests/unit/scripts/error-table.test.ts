/** docs/errors/<service>.md are scripts/error-table.ts's output: regenerate them when a catalogue changes. */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { PROTOCOL_ERRORS } from '../../../protocols/errors.ts'
import { catalogues, errorDoc } from '../../../scripts/error-table.ts'

const DOCS = join(import.meta.dirname, '..', '..', '..', 'docs', 'errors')

describe('docs/errors', () => {
  it.each(Object.keys(catalogues))('docs/errors/%s.md is in step with its catalogue', (service) => {
    const onDisk = readFileSync(join(DOCS, `${service}.md`), 'utf8')
    expect(onDisk, 'run `node scripts/error-table.ts`').toBe(errorDoc(service))
  })

  it('every code is UPPER_SNAKE and every row says what it means and what to do', () => {
    for (const [service, c] of Object.entries(catalogues))
      for (const [code, entry] of Object.entries(c.errors)) {
        expect(code, service).toMatch(/^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$/)
        expect(entry.meaning.length, `${service} ${code}`).toBeGreaterThan(0)
        expect(entry.action.length, `${service} ${code}`).toBeGreaterThan(0)
      }
  })

  it('renders a table row per code, with the HTTP status where there is one', () => {
    expect(errorDoc('http')).toContain('| `BODY_TOO_LARGE` | 413 |')
    expect(errorDoc('tcp')).toContain('| code | meaning | what to do |')
    expect(errorDoc('tcp')).toMatch(/^\| `LINE_TOO_LONG` \| .+ \| send shorter lines \|$/m)
  })

  it('the RPC table holds every mp-connection and pickle code, worded as protocols/errors.ts words it', () => {
    const rpc = catalogues.rpc?.errors ?? {}
    for (const [code, entry] of Object.entries(PROTOCOL_ERRORS)) expect(rpc[code], code).toEqual(entry)
    expect(errorDoc('rpc')).toMatch(/^\| `PICKLE_ENCODE` \| {2}\| /m)
  })
})
