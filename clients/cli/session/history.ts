/**
 * The session's history file: one command line a line, shared by every session that points
 * at it (the client container mounts a named volume at /history). Each line is appended as
 * it runs, so concurrent sessions interleave rather than overwrite; the file is cut back to
 * its newest `size` lines once it holds twice that many (written whole, then renamed).
 *
 * A line that carries a secret is never written: `--authkey`, an Authorization, Cookie or
 * API-key header, a URL with a password, or a line typed with a leading space (the shells'
 * ignorespace habit). It stays in this session's memory only, for the arrow keys.
 */
import { appendFileSync, readFileSync, renameSync, writeFileSync } from 'node:fs'

/** The longest line kept (longer ones are not saved: they are pasted data, not commands). */
export const MAX_HISTORY_LINE_BYTES = 4096

const SECRET_HEADER = /^\s*(authorization|proxy-authorization|cookie|x-api-key|x-auth-token)\s*:/i
const URL_WITH_PASSWORD = /\b[a-z][a-z\d+.-]*:\/\/[^/\s:@]*:[^/\s@]*@/i

/** secretIn says why a command line must not be written to the history file, or undefined. */
export function secretIn(line: string, words: readonly string[]): string | undefined {
  if (line.startsWith(' ')) return 'it starts with a space'
  for (const [i, word] of words.entries()) {
    if (word === '--authkey' || word.startsWith('--authkey=')) return 'it carries --authkey'
    const header = word === '-H' || word === '--header' ? words[i + 1] : /^--header=(.*)$/.exec(word)?.[1]
    if (header !== undefined && SECRET_HEADER.test(header)) return 'it carries a credential header'
    if (URL_WITH_PASSWORD.test(word)) return 'it carries a URL with a password'
  }
  return undefined
}

/** HistoryFile is the shared file, or nothing when no path is configured. */
export class HistoryFile {
  readonly path: string | undefined
  readonly size: number
  #failed = false

  constructor(path: string | undefined, size: number) {
    this.path = path || undefined
    this.size = size
  }

  /** load returns the newest `size` lines, newest first (readline's order). */
  load(): string[] {
    const lines = this.#read()
    if (lines.length >= 2 * this.size) this.#rewrite(lines.slice(-this.size))
    return lines.slice(-this.size).reverse()
  }

  /**
   * add appends `line` unless it carries a secret (the reason is returned) or is too long.
   * A history that cannot be written (a read-only file system) is given up quietly: it is a
   * convenience, and the session goes on.
   */
  add(line: string, words: readonly string[]): { saved: boolean; secret?: string } {
    const secret = secretIn(line, words)
    if (secret) return { saved: false, secret }
    if (!this.path || this.#failed || Buffer.byteLength(line) > MAX_HISTORY_LINE_BYTES)
      return { saved: false }
    try {
      appendFileSync(this.path, `${line}\n`, { mode: 0o600 })
    } catch {
      this.#failed = true
      return { saved: false }
    }
    return { saved: true }
  }

  #read(): string[] {
    if (!this.path) return []
    try {
      return readFileSync(this.path, 'utf8').split('\n').filter(Boolean)
    } catch {
      return []
    }
  }

  #rewrite(lines: readonly string[]): void {
    if (!this.path) return
    const tmp = `${this.path}.${process.pid}.tmp`
    try {
      writeFileSync(tmp, lines.map((l) => `${l}\n`).join(''), { mode: 0o600 })
      renameSync(tmp, this.path)
    } catch {
      // another session may be doing the same; the next start tries again
    }
  }
}
