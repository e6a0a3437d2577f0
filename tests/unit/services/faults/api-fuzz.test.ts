/**
 * Property-based checks of the control API's body handling: whatever JSON (or non-JSON)
 * arrives on any route, the answer is a well-formed toxiproxy error or success, never a
 * 500, and the registry's limits hold. Also host:port parsing round-trips.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { formatHostPort, parseHostPort } from '../../../../services/faults/address.ts'
import { FaultsError } from '../../../../services/faults/errors.ts'
import { startHarness } from '../../../support/faults-harness.ts'

const RUNS = 300

/** bodies near the valid shapes: real field names with values of every kind */
const field = fc.constantFrom(
  'name',
  'type',
  'stream',
  'toxicity',
  'attributes',
  'listen',
  'upstream',
  'enabled',
  'protocol',
  'toxics',
  'latency',
)
const value = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom('latency', 'loss', 'upstream', 'downstream', 'udp', 'tcp', '127.0.0.1:0', 'x:1'),
  fc.double(),
)
const body = fc.oneof(
  fc.dictionary(field, value, { maxKeys: 6 }),
  fc.record({
    type: fc.constantFrom('latency', 'loss', 'slicer', 'rate'),
    attributes: fc.dictionary(fc.string(), value),
  }),
  fc.jsonValue({ maxDepth: 3 }),
)
const route = fc.constantFrom(
  ['POST', '/proxies'],
  ['POST', '/populate'],
  ['POST', '/proxies/t'],
  ['PATCH', '/proxies/u'],
  ['POST', '/proxies/t/toxics'],
  ['POST', '/proxies/u/toxics'],
  ['POST', '/proxies/t/toxics/lag'],
) as fc.Arbitrary<['POST' | 'PATCH', string]>

describe('faults API under random bodies', () => {
  it(`answers ${RUNS} random JSON bodies with 2xx or a 4xx toxiproxy error, never 500`, async () => {
    const h = await startHarness({ maxProxies: 4, maxToxics: 4 })
    await h.proxy('t', 'tcp', h.tcpEcho)
    await h.proxy('u', 'udp', h.udpEcho)
    await h.call('POST', '/proxies/t/toxics', { type: 'latency', name: 'lag' })
    await fc.assert(
      fc.asyncProperty(route, body, async ([method, url], payload) => {
        const res = await h.api.inject({
          method,
          url,
          payload: JSON.stringify(payload),
          headers: { 'content-type': 'application/json' },
        })
        expect(res.statusCode).toBeLessThan(500)
        if (res.statusCode >= 400) {
          const e = res.json() as { error: unknown; status: unknown; code: unknown }
          expect(typeof e.error).toBe('string')
          expect(e.status).toBe(res.statusCode)
        }
        expect(h.registry.list().length).toBeLessThanOrEqual(4)
        for (const p of h.registry.list()) expect(p.toxics.list().length).toBeLessThanOrEqual(4)
      }),
      { numRuns: RUNS },
    )
  })

  it(`answers ${RUNS} random byte strings as a body with 400, never 500`, async () => {
    const h = await startHarness()
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), async (bytes) => {
        const res = await h.api.inject({ method: 'POST', url: '/proxies', payload: Buffer.from(bytes) })
        expect([400, 201]).toContain(res.statusCode)
        if (res.statusCode === 201) await h.registry.remove((res.json() as { name: string }).name)
      }),
      { numRuns: RUNS },
    )
  })
})

describe('parseHostPort', () => {
  it('round-trips every host:port it accepts, and rejects the rest with BAD_REQUEST', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (text) => {
        try {
          const hp = parseHostPort(text, 'listen', true)
          expect(hp.port).toBeGreaterThanOrEqual(0)
          expect(hp.port).toBeLessThanOrEqual(65535)
          expect(parseHostPort(formatHostPort(hp), 'listen', true)).toEqual(hp)
        } catch (err) {
          expect(err).toBeInstanceOf(FaultsError)
          expect((err as FaultsError).code).toBe('BAD_REQUEST')
        }
      }),
      { numRuns: 2000 },
    )
    fc.assert(
      fc.property(fc.ipV4(), fc.integer({ min: 1, max: 65535 }), (host, port) => {
        expect(parseHostPort(`${host}:${port}`, 'upstream', false)).toEqual({ host, port })
      }),
    )
  })
})
