/** CLI conventions: one version, exit 2 for usage errors, completion scripts. */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { VERSION } from '../../../lib/version.ts'
import { runCli } from '../../support/cli-harness.ts'

const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', '..', 'package.json'), 'utf8')) as {
  version: string
}

describe('netlab', () => {
  it("prints package.json's version for --version and -V", async () => {
    expect(VERSION).toBe(pkg.version)
    for (const flag of ['--version', '-V'])
      expect(await runCli({}, [flag])).toMatchObject({ stdout: `${pkg.version}\n`, code: 0 })
  })

  it.each([
    [['nosuch'], "error: unknown command 'nosuch'"],
    [['tcp', 'upper', '--nosuch'], "error: unknown option '--nosuch'"],
    [['udp', 'hello'], "error: missing required argument 'name'"],
    [
      ['completion', 'tcsh'],
      "value 'tcsh' is invalid for argument 'shell'. Allowed choices are bash, zsh, fish.",
    ],
  ])('exits 2 for the usage error %j', async (args, message) => {
    const r = await runCli({}, args)
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(message)
  })

  it.each(['bash', 'zsh', 'fish'])('prints a %s completion script', async (shell) => {
    const r = await runCli({}, ['completion', shell])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('__complete')
  })
})
