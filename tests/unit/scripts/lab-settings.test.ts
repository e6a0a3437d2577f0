/** `make up`'s settings kept in .env: which variables, and the marked block rewritten in place. */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { badValues, composeVariables, settingsFrom, withSettings } from '../../../scripts/lab-settings.ts'

const compose = readFileSync(join(import.meta.dirname, '..', '..', '..', 'docker-compose.yml'), 'utf8')

describe('lab settings', () => {
  it("takes the variables docker-compose.yml reads, but not the image's tag or base", () => {
    const names = composeVariables(compose)
    expect(names).toEqual(
      expect.arrayContaining(['TCP_WORKERS', 'LOG_LEVEL', 'TCP_UPPER_HOST_PORT', 'RPC_AUTHKEY']),
    )
    expect(names).not.toContain('NETLAB_TAG')
    expect(names).not.toContain('NETLAB_NODE_IMAGE')
  })

  it('keeps a setting given empty (a random host port), not one left unset', () => {
    expect(
      settingsFrom(['TCP_WORKERS', 'HTTP_HOST_PORT', 'LOG_LEVEL'], { TCP_WORKERS: '1', HTTP_HOST_PORT: '' }),
    ).toEqual([
      ['TCP_WORKERS', '1'],
      ['HTTP_HOST_PORT', ''],
    ])
  })

  it('rewrites only its own block, leaving the rest of .env as it was', () => {
    const start = 'NETLAB_NODE_IMAGE=netlab-node-runtime:24\n'
    const once = withSettings(start, [['TCP_WORKERS', '1']])
    expect(once).toBe(
      'NETLAB_NODE_IMAGE=netlab-node-runtime:24\n' +
        '# --- settings given to `make up` (scripts/lab-settings.ts; `make down` clears them)\n' +
        "TCP_WORKERS='1'\n" +
        '# --- end of the settings given to `make up`\n',
    )
    expect(withSettings(once, [['LOG_LEVEL', 'debug']])).toContain("LOG_LEVEL='debug'\n# --- end")
    expect(withSettings(once, [['LOG_LEVEL', 'debug']])).not.toContain('TCP_WORKERS')
    expect(withSettings(once, [])).toBe(start)
  })

  it('refuses a value .env cannot hold literally', () => {
    expect(
      badValues([
        ['A', "it's"],
        ['B', 'fine'],
        ['C', 'two\nlines'],
      ]),
    ).toEqual(['A', 'C'])
  })
})
