/** lib/main.ts: every bad configuration, found by load() or by start(), exits 2. */
import { afterEach, describe, expect, it } from 'vitest'
import { ConfigError, LabError } from '../../../lib/errors.ts'
import { runService } from '../../../lib/main.ts'

const config = { logLevel: 'silent', shutdownGraceMs: 100 }

describe('runService', () => {
  afterEach(() => {
    process.exitCode = undefined
  })

  it('exits 2 when load() throws a ConfigError', async () => {
    await runService(
      'unit',
      () => {
        throw new ConfigError(['UNIT_PORT="x": expected an integer'])
      },
      () => Promise.reject(new Error('start must not run')),
    )
    expect(process.exitCode).toBe(2)
  })

  it('exits 2 when start() refuses the configuration (INVALID_CONFIG), as faults does for FAULTS_CONFIG', async () => {
    await runService(
      'unit',
      () => config,
      () => Promise.reject(new LabError('INVALID_CONFIG', 'FAULTS_CONFIG="/nope.json": ENOENT')),
    )
    expect(process.exitCode).toBe(2)
  })

  it('lets any other start() failure through', async () => {
    await expect(
      runService(
        'unit',
        () => config,
        () => Promise.reject(new LabError('LISTEN_FAILED', 'EADDRINUSE')),
      ),
    ).rejects.toMatchObject({ code: 'LISTEN_FAILED' })
    expect(process.exitCode).toBeUndefined()
  })
})
