/**
 * The HTTP memory budget at work in the app (budget.ts): a body is reserved at its headers
 * and refused with 503 busy and Retry-After when the budget has no room, a request whose
 * cost can never fit is refused with 413 naming the budget, and everything a request held
 * is given back when its response ends.
 */
import { PassThrough } from 'node:stream'
import Fastify, { type FastifyRequest } from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import { createLogger } from '../../../../lib/log.ts'
import { MemoryBudget } from '../../../../lib/memory-budget.ts'
import { buildApp } from '../../../../services/http/app.ts'
import { installBudget } from '../../../../services/http/budget.ts'
import { loadHttpConfig } from '../../../../services/http/config.ts'

const MiB = 1024 * 1024

describe('the HTTP memory budget', () => {
  const apps: ReturnType<typeof buildApp>[] = []
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()))
  })
  const app = (budget: MemoryBudget) => {
    const a = buildApp(loadHttpConfig({}), createLogger('http', 'silent'), budget)
    apps.push(a)
    return a
  }
  const json = (bytes: number) => `[${'0,'.repeat(Math.floor(bytes / 2) - 1)}0]`

  it('refuses a body with 503 busy and Retry-After when the budget is full, and serves it once there is room', async () => {
    const budget = MemoryBudget.create(8 * MiB)
    const a = app(budget)
    const taken = budget.hold(8 * MiB - 1000) // another request holds almost all of it
    const payload = json(100_000)
    const busy = await a.inject({
      method: 'POST',
      url: '/anything',
      payload,
      headers: { 'content-type': 'application/json' },
    })
    expect(busy.statusCode).toBe(503)
    expect(busy.headers['retry-after']).toBe('1')
    expect(busy.json()).toEqual({
      code: 'BUSY',
      error: 'the server is at its memory budget; retry in 1 s',
      status: 503,
    })
    taken?.release()
    const served = await a.inject({
      method: 'POST',
      url: '/anything',
      payload,
      headers: { 'content-type': 'application/json' },
    })
    expect(served.statusCode).toBe(200)
    expect(served.json()).toMatchObject({ data: payload })
    expect(budget.usedBytes).toBe(0) // all given back with the response
    expect(budget.snapshot().peakBytes).toBeGreaterThan(2 * payload.length)
  })

  it('refuses with 413 a body whose parse and echo could never fit the whole budget', async () => {
    const budget = MemoryBudget.create(4 * MiB)
    const payload = `[${'{},'.repeat(99_999)}{}]` // 300 kB that JSON.parse makes 6 MB of
    const res = await app(budget).inject({
      method: 'POST',
      url: '/data/',
      payload,
      headers: { 'content-type': 'application/json' },
    })
    expect(res.statusCode).toBe(413)
    expect(res.json()).toMatchObject({ code: 'BODY_TOO_LARGE', status: 413 })
    expect(res.json().error).toMatch(
      /^parsing this body would take \d+ bytes of memory, more than the service's whole budget of 4194304 \(HTTP_MEMORY_BUDGET_BYTES\)$/,
    )
    expect(budget.usedBytes).toBe(0)
  })

  it('charges a chunked body as it arrives, and a GET /bytes reply before it is built', async () => {
    const budget = MemoryBudget.create(MiB)
    const a = app(budget)
    const chunked = await a.inject({
      method: 'POST',
      url: '/post',
      payload: json(600_000),
      headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
    })
    expect(chunked.statusCode).toBe(413) // 2 x 600 kB received is past 1 MiB: it could never fit
    const taken = budget.hold(MiB - 1000)
    expect((await a.inject({ url: '/bytes/102400' })).statusCode).toBe(503)
    taken?.release()
    expect((await a.inject({ url: '/bytes/102400' })).statusCode).toBe(200)
    expect((await a.inject({ url: '/get' })).statusCode).toBe(200) // small replies are never refused
    expect(budget.usedBytes).toBe(0)
  })

  it('holds nothing for a request whose client has gone, and gives back what a charged GET held', async () => {
    const budget = MemoryBudget.create(8 * MiB)
    const a = app(budget)
    await a.ready()
    // a route charging after the response closed (the client left): nothing stays held
    const gone = {
      body: undefined,
      budgetHold: null,
      budgetResponse: new PassThrough().on('error', () => {}),
    } as unknown as FastifyRequest
    ;(gone.budgetResponse as unknown as PassThrough).destroy()
    await new Promise((r) => setImmediate(r))
    const bare = Fastify()
    const charge = installBudget(bare, budget, MiB, createLogger('http', 'silent')).charge
    charge(gone, 1000, 'test')
    expect(gone.budgetHold).toBeNull()
    expect(budget.usedBytes).toBe(0)
    await bare.close()
    const data = await a.inject({ url: '/data/?items=5000' })
    expect(data.statusCode).toBe(200)
    expect(budget.snapshot().peakBytes).toBeGreaterThan(5000 * 48)
    expect(budget.usedBytes).toBe(0)
  })
})
