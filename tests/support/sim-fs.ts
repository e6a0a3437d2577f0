/**
 * SimFs: an in-memory StoreFs (services/rpc/store/file-layer.ts) that knows what is durable.
 * Each file keeps its current bytes and the bytes of its last datasync; the directory keeps
 * its current names and those of its last syncDir. Faults on demand: a failed write, sync,
 * truncate, rename or directory sync; short writes; a volume of fixed size (ENOSPC); and a
 * power loss at a chosen operation, after which `afterCrash()` is the disk as it comes back:
 * everything not synced gone ('drop'), or part of it kept ('torn': a prefix of what was
 * appended; 'holes': all of it with blocks zeroed).
 */
import { constants } from 'node:os'
import type { StoreFile, StoreFs } from '../../services/rpc/store/file-layer.ts'

interface Inode {
  data: Buffer
  durable: Buffer
}

export type SimOp = 'open' | 'read' | 'write' | 'datasync' | 'truncate' | 'rename' | 'unlink' | 'syncDir'
export type CrashMode = 'drop' | 'torn' | 'holes'

/** errnoError builds what node:fs rejects with: an Error with code, errno and syscall. */
export function errnoError(code: string, syscall: string): NodeJS.ErrnoException {
  const errno = (constants.errno as Record<string, number>)[code] ?? 5
  return Object.assign(new Error(`${code}: simulated failure, ${syscall}`), { code, errno: -errno, syscall })
}

/** random returns a seeded generator of floats in [0, 1) (mulberry32). */
export function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export class SimFs implements StoreFs {
  #names = new Map<string, Inode>()
  #durableNames = new Map<string, Inode>()
  #faults: { op: SimOp; code: string; left: number }[] = []
  #crashAt = Number.POSITIVE_INFINITY
  #crashed: Map<string, Buffer> | undefined
  /** operations done so far (each file and directory call counts one) */
  ops = 0
  /** the volume's size: a write that would pass it is short, or ENOSPC when nothing fits */
  capacityBytes = Number.POSITIVE_INFINITY
  /** the most one write call writes (short writes below the asked length) */
  maxWriteBytes = Number.POSITIVE_INFINITY
  /** calls per operation, e.g. how many datasyncs were done */
  readonly counts: Partial<Record<SimOp, number>> = {}

  constructor(files: ReadonlyMap<string, Buffer> = new Map()) {
    for (const [name, data] of files) {
      const inode = { data: Buffer.from(data), durable: Buffer.from(data) }
      this.#names.set(name, inode)
      this.#durableNames.set(name, inode)
    }
  }

  /** failNext makes the next `count` calls of `op` fail with `code`. */
  failNext(op: SimOp, code = 'EIO', count = 1): void {
    this.#faults.push({ op, code, left: count })
  }

  /** crashAfter: the power goes after `ops` more operations; every later call fails and changes nothing. */
  crashAfter(ops: number, mode: CrashMode = 'drop', rnd: () => number = Math.random): void {
    this.#crashAt = this.ops + ops
    this.#crashMode = { mode, rnd }
  }
  #crashMode: { mode: CrashMode; rnd: () => number } = { mode: 'drop', rnd: Math.random }

  get crashed(): boolean {
    return this.#crashed !== undefined
  }

  /** afterCrash is the disk after the power loss (or, without one, after a clean stop). */
  afterCrash(): SimFs {
    return new SimFs(this.#crashed ?? this.files())
  }

  /** durableNow is the disk if the power went now and nothing unsynced survived; this one runs on. */
  durableNow(): SimFs {
    const keep = this.#crashMode
    this.#crashMode = { mode: 'drop', rnd: Math.random }
    const image = this.#durableImage()
    this.#crashMode = keep
    return new SimFs(image)
  }

  /** files: the current name → bytes, as a reader would see them now */
  files(): Map<string, Buffer> {
    return new Map([...this.#names].map(([n, i]) => [n, Buffer.from(i.data)]))
  }

  /** used: bytes held by every named file */
  used(): number {
    let total = 0
    for (const inode of this.#names.values()) total += inode.data.length
    return total
  }

  async #step(op: SimOp): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve))
    if (this.#crashed) throw errnoError('EIO', `${op} after power loss`)
    this.ops++
    this.counts[op] = (this.counts[op] ?? 0) + 1
    if (this.ops >= this.#crashAt) {
      this.#crashed = this.#durableImage()
      throw errnoError('EIO', `${op} at power loss`)
    }
    const fault = this.#faults.find((f) => f.op === op && f.left > 0)
    if (fault) {
      fault.left--
      throw errnoError(fault.code, op)
    }
  }

  #durableImage(): Map<string, Buffer> {
    const { mode, rnd } = this.#crashMode
    const out = new Map<string, Buffer>()
    for (const [name, inode] of this.#durableNames) {
      let bytes = Buffer.from(inode.durable)
      const extends_ =
        inode.data.length > bytes.length && inode.data.subarray(0, bytes.length).equals(inode.durable)
      if (mode !== 'drop' && extends_) {
        const extra = Buffer.from(inode.data.subarray(bytes.length))
        const kept = mode === 'torn' ? extra.subarray(0, Math.floor(rnd() * (extra.length + 1))) : extra
        if (mode === 'holes')
          for (let at = 0; at < kept.length; at += 512) if (rnd() < 0.3) kept.fill(0, at, at + 512)
        bytes = Buffer.concat([bytes, kept])
      }
      out.set(name, bytes)
    }
    return out
  }

  #file(inode: Inode): StoreFile {
    let closed = false
    const live = () => {
      if (closed) throw new Error('file used after close')
    }
    return {
      read: async (buf, position) => {
        live()
        await this.#step('read')
        return inode.data.copy(buf, 0, position, Math.min(inode.data.length, position + buf.length))
      },
      write: async (buf, position) => {
        live()
        await this.#step('write')
        const growth = Math.max(0, position + buf.length - inode.data.length)
        const room = this.capacityBytes - this.used()
        let n = Math.min(buf.length, this.maxWriteBytes)
        if (growth > room) n = Math.min(n, Math.max(0, inode.data.length + room - position))
        if (n <= 0) throw errnoError('ENOSPC', 'write')
        if (position + n > inode.data.length)
          inode.data = Buffer.concat([inode.data, Buffer.alloc(position + n - inode.data.length)])
        Buffer.from(buf.buffer, buf.byteOffset, n).copy(inode.data, position)
        return n
      },
      datasync: async () => {
        live()
        await this.#step('datasync')
        inode.durable = Buffer.from(inode.data)
      },
      truncate: async (length) => {
        live()
        await this.#step('truncate')
        inode.data =
          length <= inode.data.length
            ? Buffer.from(inode.data.subarray(0, length))
            : Buffer.concat([inode.data, Buffer.alloc(length - inode.data.length)])
      },
      close: async () => {
        closed = true
      },
    }
  }

  async open(path: string, how: 'existing' | 'create'): Promise<StoreFile> {
    await this.#step('open')
    let inode = this.#names.get(path)
    if (how === 'existing' && !inode) throw errnoError('ENOENT', 'open')
    if (how === 'create') {
      if (inode) inode.data = Buffer.alloc(0)
      else {
        inode = { data: Buffer.alloc(0), durable: Buffer.alloc(0) }
        this.#names.set(path, inode)
      }
    }
    return this.#file(inode as Inode)
  }

  async size(path: string): Promise<number | undefined> {
    return this.#names.get(path)?.data.length
  }

  async rename(from: string, to: string): Promise<void> {
    await this.#step('rename')
    const inode = this.#names.get(from)
    if (!inode) throw errnoError('ENOENT', 'rename')
    this.#names.delete(from)
    this.#names.set(to, inode)
  }

  async unlink(path: string): Promise<void> {
    await this.#step('unlink')
    if (!this.#names.delete(path)) throw errnoError('ENOENT', 'unlink')
  }

  async mkdir(): Promise<void> {}

  async syncDir(): Promise<void> {
    await this.#step('syncDir')
    this.#durableNames = new Map(this.#names)
  }
}
