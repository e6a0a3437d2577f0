/** Small pieces of the session: splitting a line into words, and a command's output gate. */
import type { Writable } from 'node:stream'

/** splitWords splits a line like a shell would: spaces separate, quotes group, `\` escapes. */
export function splitWords(line: string): string[] {
  const words: string[] = []
  let word = ''
  let quote: '"' | "'" | undefined
  let inWord = false
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] as string
    if (quote) {
      if (ch === quote) quote = undefined
      else if (ch === '\\' && quote === '"' && i + 1 < line.length) word += line[++i]
      else word += ch
    } else if (ch === '"' || ch === "'") {
      quote = ch
      inWord = true
    } else if (ch === '\\' && i + 1 < line.length) {
      word += line[++i]
      inWord = true
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word)
      word = ''
      inWord = false
    } else {
      word += ch
      inWord = true
    }
  }
  if (inWord) words.push(word)
  return words
}

/** Gate is shared by a command's two streams; closing it discards whatever they write later. */
export interface Gate {
  open: boolean
}

/** GatedStream wraps a terminal stream for one command at a time. */
export interface GatedStream {
  /** the stream to give a command: the real one (isTTY, columns...) with a gated write */
  readonly stream: Writable
  /** the current command's gate */
  gate: Gate
}

/** Tail remembers the last byte written to a terminal through any of its gated streams. */
export interface Tail {
  last: number
}

/**
 * gatedStream returns `target` seen through a gate: writes pass while the current gate is
 * open and are dropped once it closes (a command that ignored Ctrl-C and ends later must not
 * write over the prompt). Everything else (isTTY, columns, cursor calls) is the real stream's.
 */
export function gatedStream(target: Writable, tail: Tail): GatedStream {
  const state: GatedStream = {
    gate: { open: true },
    stream: new Proxy(target, {
      get(t, prop) {
        if (prop === 'write')
          return (chunk: unknown, ...rest: unknown[]) => {
            if (!state.gate.open) return true
            const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Uint8Array)
            // escape sequences (a progress bar's cursor moves) leave the tail as it was
            const text = typeof chunk === 'string' ? chunk : ''
            if (bytes.length > 0 && !text.startsWith('\x1b')) tail.last = bytes[bytes.length - 1] as number
            return (t.write as (...args: unknown[]) => boolean)(chunk, ...rest)
          }
        const value = Reflect.get(t, prop, t) as unknown
        return typeof value === 'function' ? value.bind(t) : value
      },
    }),
  }
  return state
}
