/**
 * The interactive session: a prompt with history that runs the same commands as the
 * command line (`tcp upper hi`, `tcp cmd TIME`, `--json tcp cmd STATS`), plus `help` and `exit`.
 */
import { appendFileSync, readFileSync } from 'node:fs'
import { createInterface } from 'node:readline/promises'
import type { Env } from '../../lib/config.ts'
import type { Io } from './output.ts'
import { buildProgram, commanderExitCode } from './program.ts'

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

function loadHistory(file: string | undefined): string[] {
  if (!file) return []
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean).reverse().slice(0, 500)
  } catch {
    return []
  }
}

/** runSession reads commands until `exit`, `quit` or end of input. */
export async function runSession(io: Io & { stdin: NodeJS.ReadableStream }, env: Env): Promise<void> {
  const historyFile = env.NETLAB_HISTORY
  const rl = createInterface({
    input: io.stdin,
    output: io.stdout,
    prompt: 'netlab> ',
    history: loadHistory(historyFile),
    historySize: 500,
    terminal: (io.stdin as NodeJS.ReadStream).isTTY === true,
  })
  let closed = false
  rl.on('close', () => {
    closed = true
  })
  const prompt = () => {
    if (!closed) rl.prompt()
  }
  io.stdout.write('netlab interactive session: type `help` for commands, `exit` to leave.\n')
  prompt()
  for await (const line of rl) {
    const words = splitWords(line)
    const first = words[0]
    if (first === 'exit' || first === 'quit') break
    if (first !== undefined) {
      if (historyFile) {
        try {
          appendFileSync(historyFile, `${line}\n`)
        } catch {
          // history is a convenience; a read-only home must not end the session
        }
      }
      const program = buildProgram(io, env, () => {})
      try {
        await program.parseAsync(words, { from: 'user' })
      } catch (err) {
        if (commanderExitCode(err) === undefined)
          io.stderr.write(`netlab: ${err instanceof Error ? err.message : String(err)}\n`)
      }
    }
    prompt()
  }
  rl.close()
}
