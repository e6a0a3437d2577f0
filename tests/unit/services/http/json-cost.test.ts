/**
 * The HTTP budget's figures are upper bounds of what they stand for: what V8 really builds
 * when it parses a body (measured in a child Node with --expose-gc, for the shapes that expand
 * most and the common ones), the pretty-printed echo's length, and a body printed as a JSON
 * string. A bound below the truth would let the memory budget be overrun.
 */
import { execFileSync } from 'node:child_process'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { scanJson } from '../../../../services/http/body.ts'
import { jsonStringBytes, jsonTextBytes, prettyJsonBytes } from '../../../../services/http/json-cost.ts'

const fixture = new URL('./fixtures/measure-parse.ts', import.meta.url)

describe('parseHeapBytes', () => {
  it('charges at least what V8 builds when it parses, for every shape measured', () => {
    const stdout = execFileSync(process.execPath, ['--expose-gc', fixture.pathname], {
      encoding: 'utf8',
      timeout: 60_000,
    })
    const measured = JSON.parse(stdout) as Record<string, { built: number; charged: number }>
    expect(Object.keys(measured)).toHaveLength(14)
    for (const [name, { built, charged }] of Object.entries(measured))
      expect(charged, `${name}: charged ${charged}, V8 built ${built}`).toBeGreaterThanOrEqual(built)
    // and not wildly more for the seed's own document
    const seed = measured['seed 000 /data/ items'] as { built: number; charged: number }
    expect(seed.charged).toBeLessThan(6 * seed.built)
  }, 90_000)
})

describe('prettyJsonBytes', () => {
  const printed = (text: string) =>
    Buffer.byteLength(JSON.stringify({ json: JSON.parse(text) }, null, 2)) - '{\n  "json": \n}'.length

  it('bounds the echo of any JSON value printed one level down', () => {
    fc.assert(
      fc.property(fc.json({ depthSize: 'medium' }), (text) => {
        expect(prettyJsonBytes(scanJson(Buffer.from(text)), 1)).toBeGreaterThanOrEqual(printed(text))
      }),
      { numRuns: 500 },
    )
  })

  it('bounds exponents spelled out and escapes that shrink', () => {
    for (const text of [
      '[1e20,9e20,-1E5]',
      '{"a":"\\u00e9\\/"}',
      '[[[[[]]]]]',
      '{"x":{"y":[1,{"z":null}]}}',
    ]) {
      expect(prettyJsonBytes(scanJson(Buffer.from(text)), 1), text).toBeGreaterThanOrEqual(printed(text))
    }
  })
})

describe('jsonStringBytes', () => {
  it('is the UTF-8 length of JSON.stringify of the text, for any text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        const want = Buffer.byteLength(JSON.stringify(text))
        expect(jsonStringBytes(Buffer.from(text))).toBe(want)
        expect(jsonTextBytes(text)).toBe(want)
      }),
      { numRuns: 200 },
    )
  })
})
