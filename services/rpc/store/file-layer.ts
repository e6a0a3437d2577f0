/**
 * The few file operations the store needs, behind an interface so that tests can put a
 * file system under it that fails a sync, writes short, runs out of space, or loses
 * everything not yet synced (tests/support/sim-fs.ts). `nodeFs` is the real one.
 *
 * Writes are positional (never O_APPEND): the store decides where each write goes, so a
 * failed write can be cut off again at the offset it started from.
 */
import { type FileHandle, mkdir, open, rename, stat, unlink } from 'node:fs/promises'

/** StoreFile is one open file: positional reads and writes, data sync, truncate. */
export interface StoreFile {
  /** read fills `buf` from `position`; resolves the byte count (0 at end of file) */
  read(buf: Uint8Array, position: number): Promise<number>
  /** write writes `buf` at `position`; resolves the byte count, which may be short */
  write(buf: Uint8Array, position: number): Promise<number>
  /** datasync: fdatasync(2), the file's data and size are on disk when it resolves */
  datasync(): Promise<void>
  truncate(length: number): Promise<void>
  close(): Promise<void>
}

/** StoreFs is the directory-level part: open, size, rename, unlink, and a directory sync. */
export interface StoreFs {
  /** 'existing' opens read-write; 'create' creates or empties the file (O_RDWR|O_CREAT|O_TRUNC) */
  open(path: string, how: 'existing' | 'create'): Promise<StoreFile>
  /** size of the file at `path`, or undefined when there is none */
  size(path: string): Promise<number | undefined>
  rename(from: string, to: string): Promise<void>
  unlink(path: string): Promise<void>
  mkdir(dir: string): Promise<void>
  /** syncDir makes created, renamed and removed names in `dir` durable (fsync of the directory) */
  syncDir(dir: string): Promise<void>
}

/** writeFully writes all of `buf` at `position`, continuing after short writes; a write of 0 bytes fails. */
export async function writeFully(file: StoreFile, buf: Uint8Array, position: number): Promise<void> {
  let done = 0
  while (done < buf.length) {
    const n = await file.write(buf.subarray(done), position + done)
    if (n <= 0) throw new Error(`write at byte ${position + done} wrote nothing (${buf.length - done} left)`)
    done += n
  }
}

function nodeFile(handle: FileHandle): StoreFile {
  return {
    read: async (buf, position) => (await handle.read(buf, 0, buf.length, position)).bytesRead,
    write: async (buf, position) => (await handle.write(buf, 0, buf.length, position)).bytesWritten,
    datasync: () => handle.datasync(),
    truncate: (length) => handle.truncate(length),
    close: () => handle.close(),
  }
}

/** nodeFs is StoreFs over node:fs. */
export const nodeFs: StoreFs = {
  open: async (path, how) => nodeFile(await open(path, how === 'create' ? 'w+' : 'r+')),
  size: (path) =>
    stat(path).then(
      (s) => s.size,
      (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return undefined
        throw err
      },
    ),
  rename: (from, to) => rename(from, to),
  unlink: (path) => unlink(path),
  mkdir: async (dir) => {
    await mkdir(dir, { recursive: true })
  },
  syncDir: async (dir) => {
    const handle = await open(dir, 'r')
    try {
      await handle.sync()
    } finally {
      await handle.close()
    }
  },
}
