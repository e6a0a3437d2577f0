/** The durable store: acknowledged writes survive a reopen, torn tails are cut, logs compact, limits hold. */
import { appendFile, mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createLogger } from '../../../../lib/log.ts'
import { PyError } from '../../../../services/rpc/errors.ts'
import { KvStore } from '../../../../services/rpc/store/kv-store.ts'
import { struct } from '../../../../services/rpc/value.ts'

const log = createLogger('rpc', 'silent')
const limits = { maxKeys: 100, maxKeyBytes: 16, maxValueBytes: 256 }

describe('KvStore', () => {
  let dir: string
  let path: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'netlab-kv-'))
    path = join(dir, 'kv.log')
  })
  afterEach(() => rm(dir, { recursive: true, force: true }))

  it('keeps every acknowledged write, with int/float/bytes/date/struct types intact, across a reopen', async () => {
    const a = await KvStore.open(path, limits, log)
    const when = new Date('2026-11-21T12:00:00Z')
    await Promise.all([
      a.set('foo', 'bar'),
      a.set('spam', [1n, 2n, 3n]),
      a.set('f', 1),
      a.set('b', new Uint8Array([0, 255])),
      a.set('d', when),
      a.set(
        's',
        struct([
          ['$int', 'not a tag'],
          ['n', null],
        ]),
      ),
      a.set('gone', true),
    ])
    await a.delete('gone')
    await a.close()

    const b = await KvStore.open(path, limits, log)
    expect(b.keys()).toEqual(['foo', 'spam', 'f', 'b', 'd', 's'])
    expect(b.get('spam')).toEqual([1n, 2n, 3n])
    expect(b.get('f')).toBe(1)
    expect(b.get('b')).toEqual(new Uint8Array([0, 255]))
    expect(b.get('d')).toEqual(when)
    expect(b.get('s')).toEqual(
      struct([
        ['$int', 'not a tag'],
        ['n', null],
      ]),
    )
    expect(b.exists('gone')).toBe(false)
    await b.close()
  })

  it('shares one sync among writes that arrive together (group commit)', async () => {
    const s = await KvStore.open(path, limits, log)
    await Promise.all(Array.from({ length: 50 }, (_, i) => s.set(`k${i}`, BigInt(i))))
    expect(s.stats.writes).toBe(50)
    expect(s.stats.syncs).toBeLessThan(50)
    await s.close()
  })

  it('cuts off a torn last line (a write that was never acknowledged)', async () => {
    const a = await KvStore.open(path, limits, log)
    await a.set('ok', 'yes')
    await a.close()
    await appendFile(path, '{"s":"torn","v":"ha')
    const b = await KvStore.open(path, limits, log)
    expect(b.keys()).toEqual(['ok'])
    await b.set('after', 1n)
    await b.close()
    const c = await KvStore.open(path, limits, log)
    expect(c.keys()).toEqual(['ok', 'after'])
    await c.close()
  })

  it('compacts a log of many overwrites at open', async () => {
    const a = await KvStore.open(path, { ...limits, maxKeys: 10 }, log)
    for (let i = 0; i < 1200; i++) await a.set('same', BigInt(i))
    await a.close()
    const before = (await stat(path)).size
    const b = await KvStore.open(path, limits, log)
    expect(b.get('same')).toBe(1199n)
    await b.close()
    expect((await stat(path)).size).toBeLessThan(before / 100)
    expect(await readFile(path, 'utf8')).toBe('{"s":"same","v":{"$int":"1199"}}\n')
  })

  it('raises Python errors: KeyError for a missing key, TypeError for a non-str key, ValueError at the limits', async () => {
    const s = await KvStore.open(undefined, { ...limits, maxKeys: 1 }, log)
    const raised = (f: () => unknown) => {
      try {
        f()
      } catch (err) {
        return err instanceof PyError ? `${err.pyClass}: ${err.text}` : String(err)
      }
      return 'no error'
    }
    expect(raised(() => s.get('nope'))).toBe("KeyError: 'nope'")
    expect(raised(() => s.delete('nope'))).toBe("KeyError: 'nope'")
    expect(raised(() => s.get(1n))).toBe('TypeError: keys must be str, not int')
    expect(raised(() => s.set('k'.repeat(17), 1n))).toBe(
      'ValueError: key is longer than 16 bytes (RPC_KV_MAX_KEY_BYTES)',
    )
    expect(raised(() => s.set('big', 'x'.repeat(300)))).toBe(
      'ValueError: value is 302 bytes stored; the limit is 256 (RPC_KV_MAX_VALUE_BYTES)',
    )
    await s.set('one', 1n)
    expect(raised(() => s.set('two', 2n))).toBe('ValueError: store is full: 1 keys (RPC_KV_MAX_KEYS)')
    await s.set('one', 11n) // overwriting is not a new key
    expect(s.get('one')).toBe(11n)
  })
})
