/** startFaultsService returns the one Service shape: its bound ports and close(). */
import { afterEach, describe, expect, it } from 'vitest'
import { createLogger } from '../../../../lib/log.ts'
import type { Service } from '../../../../lib/service.ts'
import { loadFaultsConfig } from '../../../../services/faults/config.ts'
import { startFaultsService } from '../../../../services/faults/server.ts'

describe('the faults service', () => {
  let svc: Service | undefined
  afterEach(async () => {
    await svc?.close()
    svc = undefined
  })

  it('reports the API port it bound (configured as 0) and serves there until closed', async () => {
    const config = loadFaultsConfig({ FAULTS_HOST: '127.0.0.1', FAULTS_API_PORT: '0', FAULTS_CONFIG: '' })
    svc = await startFaultsService(config, createLogger('faults', 'silent'))
    expect(svc.ports.api).toBeGreaterThan(0)
    const res = await fetch(`http://127.0.0.1:${svc.ports.api}/version`)
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ version: expect.any(String) })
    expect(await svc.close()).toEqual({ drained: 0, destroyed: 0 })
    await expect(fetch(`http://127.0.0.1:${svc.ports.api}/version`)).rejects.toThrow()
  })
})
