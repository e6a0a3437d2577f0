/**
 * Crafted logs at start: a torn tail (a last write cut short, with holes, or zero-filled) is
 * cut off and logged; a damaged record followed by later writes stops start-up, naming the
 * file and the offset, and leaves the file as it was.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createLogger } from '../../../../lib/log.ts'
import { StoreCorruptError } from '../../../../services/rpc/store/errors.ts'
import { KvStore } from '../../../../services/rpc/store/kv-store.ts'
import { encodeWrite, LOG_HEADER } from '../../../../services/rpc/store/record.ts'
import { logLines } from '../../../support/log-lines.ts'

const limits = { maxKeys: 100, maxKeyBytes: 16, maxValueBytes: 256 }

/** write is one write of the store: its records. */
const write = (...payloads: string[]) => encodeWrite(payloads)
const set = (k: string, v: string) => `{"s":${JSON.stringify(k)},"v":${JSON.stringify(v)}}`

describe('KvStore replay', () => {
  let dir: string
  let path: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'netlab-kv-'))
    path = join(dir, 'kv.log')
  })
  afterEach(() => rm(dir, { recursive: true, force: true }))

  const open = async () => {
    const { lines, dest } = logLines()
    const store = await KvStore.open(path, limits, createLogger('rpc', 'info', dest))
    return { store, lines }
  }

  it('cuts off a torn last record (no newline) and logs where', async () => {
    const good = LOG_HEADER + write(set('a', '1')) + write(set('b', '2'), set('c', '3'))
    await writeFile(path, `${good}${write(set('torn', 'x')).slice(0, 20)}`)
    const { store, lines } = await open()
    expect(await store.keys()).toEqual(['a', 'b', 'c'])
    expect(lines.find((l) => l.msg === 'store log torn tail cut off')).toMatchObject({
      level: 'warn',
      path,
      offset: good.length,
      droppedBytes: 20,
      reason: 'last line has no newline',
    })
    expect((await stat(path)).size).toBe(good.length)
    await store.set('after', '4')
    await store.close()
    const again = await open()
    expect(await again.store.keys()).toEqual(['a', 'b', 'c', 'after'])
    await again.store.close()
  })

  it('cuts off a last write with a hole in it (its later records intact): it was never synced', async () => {
    const first = LOG_HEADER + write(set('a', '1'))
    const last = write(set('b', '2'), set('c', '3'), set('d', '4'))
    const c = last.indexOf('{"s":"c"')
    const holed = `${last.slice(0, c)}${'\0'.repeat(8)}${last.slice(c + 8)}`
    await writeFile(path, first + holed)
    const { store, lines } = await open()
    expect(await store.keys()).toEqual(['a', 'b'])
    expect(lines.find((l) => l.msg === 'store log torn tail cut off')).toMatchObject({
      offset: first.length + last.indexOf('\n') + 1,
      reason: 'checksum mismatch',
    })
    await store.close()
  })

  it('cuts off a zero-filled tail (size grown, data never written)', async () => {
    const good = LOG_HEADER + write(set('a', '1'))
    await writeFile(path, Buffer.concat([Buffer.from(good), Buffer.alloc(4096)]))
    const { store } = await open()
    expect(await store.keys()).toEqual(['a'])
    expect((await stat(path)).size).toBe(good.length)
    await store.close()
  })

  it('refuses to start on a corrupt record followed by later writes: names file and offset, cuts nothing', async () => {
    const first = LOG_HEADER + write(set('a', '1'))
    const second = write(set('b', '2'), set('c', '3'))
    const text = first + second + write(set('d', '4')) + write(set('e', '5'))
    const damaged = text.replace('"c","v":"3"', '"c","v":"8"')
    await writeFile(path, damaged)
    const { lines, dest } = logLines()
    const opening = KvStore.open(path, limits, createLogger('rpc', 'info', dest))
    await expect(opening).rejects.toThrow(StoreCorruptError)
    const offset = first.length + second.indexOf('\n') + 1
    await expect(opening).rejects.toThrow(
      `store log ${path} has a corrupt record at byte offset ${offset} (checksum mismatch) followed by later writes; refusing to start rather than drop acknowledged data`,
    )
    expect(lines.at(-1)).toMatchObject({ level: 'fatal', code: 'STORE_CORRUPT', path, offset })
    expect(await readFile(path, 'utf8')).toBe(damaged)
  })

  it('refuses a corrupt record followed by one more write: its offset says it is a later write', async () => {
    const [a, b, c] = [LOG_HEADER + write(set('a', '1')), write(set('b', '2')), write(set('c', '3'))]
    await writeFile(path, a + b.replace('"2"', '"9"') + c)
    await expect(KvStore.open(path, limits, createLogger('rpc', 'silent'))).rejects.toMatchObject({
      code: 'STORE_CORRUPT',
      offset: a.length,
      reason: 'checksum mismatch',
    })
  })

  it('refuses a damaged version 1 line followed by another', async () => {
    await writeFile(path, '{"s":"a","v":"1"}\n{"s":"b","v":\n{"s":"c","v":"3"}\n')
    await expect(KvStore.open(path, limits, createLogger('rpc', 'silent'))).rejects.toMatchObject({
      code: 'STORE_CORRUPT',
      offset: 18,
      reason: 'not JSON',
    })
  })

  it('refuses a file that is not a store log, and cuts nothing', async () => {
    await writeFile(path, 'hello\nworld\n')
    await expect(KvStore.open(path, limits, createLogger('rpc', 'silent'))).rejects.toMatchObject({
      code: 'STORE_CORRUPT',
      offset: 0,
      reason: 'not a store log: no netlab-kv-log header',
    })
    expect(await readFile(path, 'utf8')).toBe('hello\nworld\n')
  })

  it('starts afresh from a header cut short (a crash while the log was created)', async () => {
    await writeFile(path, LOG_HEADER.slice(0, 6))
    const { store } = await open()
    await store.set('a', '1')
    await store.close()
    expect(await readFile(path, 'utf8')).toBe(LOG_HEADER + write(set('a', '1')))
  })

  it('removes the temporary file of a compaction that a crash interrupted', async () => {
    await writeFile(path, LOG_HEADER + write(set('a', '1')))
    await writeFile(`${path}.tmp`, write(set('half', 'done')).slice(0, 10))
    const { store, lines } = await open()
    expect(await store.keys()).toEqual(['a'])
    expect(lines.some((l) => l.msg === 'store removed an unfinished compaction')).toBe(true)
    await expect(stat(`${path}.tmp`)).rejects.toMatchObject({ code: 'ENOENT' })
    await store.close()
  })
})
