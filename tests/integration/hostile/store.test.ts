/**
 * Hostile: the RPC store's budget (RPC_STORE_MAX_BYTES, 64 MiB by default) against many
 * concurrent writes of the largest value allowed (RPC_KV_MAX_VALUE_BYTES, 1 MiB): new keys
 * until the budget refuses them (STORE_FULL), and overwrites that churn the log into
 * background compactions. The container must not be OOM-killed or restarted, must answer
 * during and after, and every acknowledged write must read back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { recordAttack } from '../../support/hostile/attack-report.ts'
import { watchContainer } from '../../support/hostile/container-watch.ts'
import { type Lab, startLab } from '../../support/lab.ts'

const CONNECTIONS = 24
const WRITES = 110
/** the largest string whose stored form ("..." in JSON) fits RPC_KV_MAX_VALUE_BYTES (1 MiB) */
const VALUE_CHARS = 1024 * 1024 - 2

describe('hostile: rpc store budget', { timeout: 120_000 }, () => {
  let lab: Lab
  beforeAll(async () => {
    lab = await startLab(['rpc'])
  })
  afterAll(() => lab?.stop())

  const call = async (method: string, params: unknown[]) => {
    const res = await fetch(`${lab.baseUrl('rpc', 15000)}/jsonrpc`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', method, params, id: 1 }),
    })
    return (await res.json()) as { result?: unknown; error?: { message: string } }
  }
  const answers = async () =>
    (await call('echo', ['still here']).catch(() => undefined))?.result === 'still here'

  it('refuses growth past the budget with STORE_FULL, stays up, and keeps what it acknowledged', async () => {
    const watch = await watchContainer(lab.container('rpc').getId())
    const value = (i: number) => `${i}:`.padEnd(VALUE_CHARS, 'x')
    const acked = new Map<string, number>()
    const refused: Record<string, number> = {}
    let next = 0
    let answeredDuring = false
    const attack = Promise.all(
      Array.from({ length: CONNECTIONS }, async () => {
        const mine: string[] = [] // keys this connection stored: only it overwrites them, in order
        for (let i = next++; i < WRITES; i = next++) {
          // Two in three grow the store (a new key); the rest overwrite an acknowledged key.
          const key = i % 3 === 2 && mine.length > 0 ? (mine[i % mine.length] as string) : `big${i}`
          const reply = await call('set', [key, value(i)]).catch((err: Error) => ({
            error: { message: err.message },
          }))
          if (reply.error === undefined) {
            if (!acked.has(key)) mine.push(key)
            acked.set(key, i)
          } else {
            const code = /\((STORE_[A-Z_]+)\)$/.exec(reply.error.message)?.[1] ?? reply.error.message
            refused[code] = (refused[code] ?? 0) + 1
          }
        }
      }),
    )
    const probe = (async () => {
      while (next < WRITES) {
        if (await answers()) answeredDuring = true
        await new Promise((r) => setTimeout(r, 250))
      }
    })()
    await Promise.all([attack, probe])
    const answeredAfter = await answers()
    const verdict = await watch.stop()
    const served = WRITES - Object.values(refused).reduce((a, b) => a + b, 0)
    recordAttack({
      service: 'rpc',
      attack: `store: ${WRITES} sets of 1 MiB values over ${CONNECTIONS} connections, past RPC_STORE_MAX_BYTES (64 MiB)`,
      sent: WRITES,
      refused,
      served,
      verdict,
      answeredDuring,
      answeredAfter,
    })
    expect(Object.keys(refused)).toEqual(['STORE_FULL'])
    expect([verdict.oomKilled, verdict.restarts - verdict.restartsBefore, verdict.running]).toEqual([
      false,
      0,
      true,
    ])
    expect(verdict.peakBytes).toBeLessThan(verdict.limitBytes)
    expect([answeredDuring, answeredAfter]).toEqual([true, true])
    // Every acknowledged write is there, and every fourth (1 MiB each) reads back its latest
    // value; the live data fits the budget.
    for (const [n, [key, i]] of [...acked].entries())
      if (n % 4 === 0) expect((await call('get', [key])).result).toBe(value(i))
      else expect((await call('exists', [key])).result).toBe(true)
    const keys = (await call('keys', [])).result as string[]
    expect(keys.length * (VALUE_CHARS + 2)).toBeLessThanOrEqual(64 * 1024 * 1024)
    expect(keys.length).toBeGreaterThan(55)
  })
})
