/** The durable store on the real file system: round trips, group commit, read-after-write, limits, compaction. */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createLogger } from '../../../../lib/log.ts'
import { PyError } from '../../../../protocols/py-error.ts'
import { struct } from '../../../../protocols/value.ts'
import { KvStore } from '../../../../services/rpc/store/kv-store.ts'
import { logLines } from '../../../support/log-lines.ts'

const log = createLogger('rpc', 'silent')
const limits = { maxKeys: 100, maxKeyBytes: 16, maxValueBytes: 256 }

/** raised is what a call threw or rejected with, as Python prints it. */
async function raised(f: () => unknown): Promise<string> {
  try {
    await f()
  } catch (err) {
    return err instanceof PyError ? `${err.pyClass}: ${err.text}` : String(err)
  }
  return 'no error'
}

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
    const tagLike = struct([
      ['$int', 'not a tag'],
      ['n', null],
    ])
    await Promise.all([
      a.set('foo', 'bar'),
      a.set('spam', [1n, 2n, 3n]),
      a.set('f', 1),
      a.set('b', new Uint8Array([0, 255])),
      a.set('d', when),
      a.set('s', tagLike),
      a.set('gone', true),
    ])
    await a.delete('gone')
    await a.close()

    const b = await KvStore.open(path, limits, log)
    expect(await b.keys()).toEqual(['foo', 'spam', 'f', 'b', 'd', 's'])
    expect(await b.get('spam')).toEqual([1n, 2n, 3n])
    expect(await b.get('f')).toBe(1)
    expect(await b.get('b')).toEqual(new Uint8Array([0, 255]))
    expect(await b.get('d')).toEqual(when)
    expect(await b.get('s')).toEqual(tagLike)
    expect(await b.exists('gone')).toBe(false)
    await b.close()
  })

  it('keeps a struct key named __proto__ as a key, in memory and across a reopen', async () => {
    const a = await KvStore.open(path, limits, log)
    const value = struct([
      ['__proto__', [1n, 2n]],
      ['a', 1n],
    ])
    await a.set('p', value)
    expect(Object.keys((await a.get('p')) as object)).toEqual(['__proto__', 'a'])
    await a.close()
    const b = await KvStore.open(path, limits, log)
    const reread = (await b.get('p')) as Record<string, unknown>
    expect(Object.keys(reread)).toEqual(['__proto__', 'a'])
    expect(Object.getOwnPropertyDescriptor(reread, '__proto__')?.value).toEqual([1n, 2n])
    await b.close()
  })

  it('writes checksummed records, each with its offset in its write', async () => {
    const s = await KvStore.open(path, limits, log)
    await Promise.all([s.set('a', 1n), s.set('b', 'x')])
    await s.delete('a')
    await s.close()
    expect(await readFile(path, 'utf8')).toBe(
      [
        'netlab-kv-log 2',
        '5bcd9ded 0 {"s":"a","v":{"$int":"1"}}',
        'e3d59f04 38 {"s":"b","v":"x"}',
        'd13120ec 0 {"d":"a"}',
        '',
      ].join('\n'),
    )
  })

  it('shares one sync among writes that arrive together (group commit)', async () => {
    const s = await KvStore.open(path, limits, log)
    await Promise.all(Array.from({ length: 50 }, (_, i) => s.set(`k${i}`, BigInt(i))))
    expect(s.stats.writes).toBe(50)
    expect(s.stats.syncs).toBeLessThan(50)
    await s.close()
  })

  it('lets a read see a write only once it is durable, and a pipelined read its own write', async () => {
    const s = await KvStore.open(path, limits, log)
    await s.set('k', 'old')
    const write = s.set('k', 'new')
    const read = s.get('k') // called after the set: waits for it
    expect(await Promise.all([write, read])).toEqual([undefined, 'new'])
    expect(s.stats.syncs).toBe(2)
    await s.close()
  })

  it('raises Python errors: KeyError, TypeError, ValueError at the limits, STORE_FULL at the budget', async () => {
    const s = await KvStore.open(undefined, { ...limits, maxKeys: 2, maxBytes: 300 }, log)
    expect(await raised(() => s.get('nope'))).toBe("KeyError: 'nope'")
    expect(await raised(() => s.delete('nope'))).toBe("KeyError: 'nope'")
    expect(await raised(() => s.get(1n))).toBe('TypeError: keys must be str, not int')
    expect(await raised(() => s.set('k'.repeat(17), 1n))).toBe(
      'ValueError: key is longer than 16 bytes (RPC_KV_MAX_KEY_BYTES)',
    )
    expect(await raised(() => s.set('big', 'x'.repeat(300)))).toBe(
      'ValueError: value is 302 bytes stored; the limit is 256 (RPC_KV_MAX_VALUE_BYTES)',
    )
    await s.set('one', 'x'.repeat(200)) // a record of 12 + 11 + 5 + 202 = 230 bytes
    expect(s.liveBytes).toBe(230)
    expect(await raised(() => s.set('two', 'y'.repeat(60)))).toBe(
      'ValueError: store is full: this write would bring the live data to 320 bytes; the limit is 300 (RPC_STORE_MAX_BYTES); nothing was stored (STORE_FULL)',
    )
    await s.set('two', 2n)
    await s.set('one', 'z'.repeat(10)) // shrinking is always allowed, growing up to the limit too
    expect(await raised(() => s.set('three', 3n))).toBe('ValueError: store is full: 2 keys (RPC_KV_MAX_KEYS)')
    await s.set('one', 'z'.repeat(200))
    await s.delete('two')
    expect(await s.keys()).toEqual(['one'])
    expect(await s.get('one')).toBe('z'.repeat(200))
  })

  it('checks concurrent writes against each other: the budget holds whatever the interleaving', async () => {
    const { lines, dest } = logLines()
    const s = await KvStore.open(path, { ...limits, maxBytes: 2000 }, createLogger('rpc', 'info', dest))
    const results = await Promise.allSettled(
      Array.from({ length: 40 }, (_, i) => s.set(`k${i}`, 'v'.repeat(200))),
    )
    const stored = results.filter((r) => r.status === 'fulfilled').length
    expect(stored).toBe(Math.floor(2000 / (12 + 11 + 5 + 202)))
    expect(s.liveBytes).toBeLessThanOrEqual(2000)
    // One warning for the limit, not one per refusal.
    expect(lines.filter((l) => l.level === 'warn')).toEqual([
      expect.objectContaining({
        code: 'STORE_FULL',
        maxBytes: 2000,
        msg: 'store budget reached; growth is refused',
      }),
    ])
    await s.close()
    const again = await KvStore.open(path, limits, log)
    expect(again.size).toBe(stored)
    await again.close()
  })

  it('compacts while serving once the log passes the ratio: 1000 overwrites of one 20 kB key', async () => {
    const { lines, dest } = logLines()
    const s = await KvStore.open(
      path,
      { ...limits, maxValueBytes: 32 * 1024, compactMinBytes: 256 * 1024 },
      createLogger('rpc', 'info', dest),
    )
    const value = (i: number) => `${i}`.padEnd(20_000, '.')
    for (let round = 0; round < 100; round++)
      await Promise.all(Array.from({ length: 10 }, (_, j) => s.set('same', value(round * 10 + j))))
    await s.close()
    const size = (await stat(path)).size
    // 20 MB were written; the log holds at most the trigger (256 KiB) plus what was written
    // during the last compaction (a few rounds of 200 kB, more on a loaded machine).
    expect(s.stats.compactions).toBeGreaterThan(2)
    expect(size).toBeLessThan(2 * 1024 * 1024)
    const compacted = lines.filter((l) => l.msg === 'store compacted')
    expect(compacted.length).toBe(s.stats.compactions)
    const again = await KvStore.open(path, limits, log)
    expect(await again.get('same')).toBe(value(999))
    expect(again.liveBytes).toBe(12 + 11 + 6 + 20_002) // the one live record
    await again.close()
  })

  it('compacts an overgrown log at open', async () => {
    const a = await KvStore.open(path, { ...limits, compactMinBytes: 1 << 30 }, log)
    for (let i = 0; i < 1200; i++) await a.set('same', BigInt(i))
    await a.close()
    const before = (await stat(path)).size
    const b = await KvStore.open(path, { ...limits, compactMinBytes: 4096 }, log)
    expect(await b.get('same')).toBe(1199n)
    await b.close()
    expect((await stat(path)).size).toBeLessThan(before / 100)
    expect(await readFile(path, 'utf8')).toBe(
      'netlab-kv-log 2\n4ac2bb70 0 {"s":"same","v":{"$int":"1199"}}\n',
    )
  })

  it('reads a version 1 log (no checksums) and rewrites it in version 2 at open', async () => {
    await writeFile(path, '{"s":"foo","v":"bar"}\n{"s":"n","v":{"$int":"7"}}\n{"d":"foo"}\n')
    const { lines, dest } = logLines()
    const s = await KvStore.open(path, limits, createLogger('rpc', 'info', dest))
    expect(await s.keys()).toEqual(['n'])
    await s.close()
    expect(await readFile(path, 'utf8')).toBe('netlab-kv-log 2\n0239b210 0 {"s":"n","v":{"$int":"7"}}\n')
    expect(lines.find((l) => l.msg === 'store compaction started')).toMatchObject({
      when: 'start',
      why: 'version 1 records',
    })
  })
})
