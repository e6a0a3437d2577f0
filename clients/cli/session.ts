/**
 * The interactive session: a prompt that runs the same commands as the command line
 * (`tcp upper hi`, `--json tcp cmd STATS`), plus `help`, `history` and `exit`, held to a
 * shell's standard on a terminal:
 *
 *   Ctrl-C      interrupts the running command (its sockets close, its timers clear, it
 *               prints what it had done), or clears the line at the prompt
 *   Ctrl-D      leaves at an empty prompt, as `exit` does
 *   Tab         completes groups, commands, options and their values (completion.ts)
 *   Up, Down, Ctrl-R   walk and search the history, shared through a file (session/history.ts)
 *   type-ahead  lines typed while a command runs are kept and run after it (session/keys.ts)
 *
 * It ends when its terminal stops answering (session/terminal-watch.ts): Docker keeps a TTY
 * container's input open after the `docker compose run` attached to it is killed.
 *
 * A command that reads input when given no text (`tcp echo`, `http post --data-file -`)
 * never reads the session's own input: on a terminal it prompts for one line; with a script
 * piped in, it is refused with a message saying how to pass the text.
 */

import { createInterface, emitKeypressEvents, type Interface } from 'node:readline'
import { PassThrough } from 'node:stream'
import type { Env } from '../../lib/config.ts'
import { LabError } from '../../lib/errors.ts'
import type { CommandContext } from './command-context.ts'
import { complete, labSources } from './completion.ts'
import { interruptedError } from './net/interrupt.ts'
import type { Io } from './output.ts'
import { buildProgram, commanderExitCode } from './program.ts'
import { HistoryFile } from './session/history.ts'
import { type Key, KeyRouter } from './session/keys.ts'
import { takeReports, watchTerminal } from './session/terminal-watch.ts'
import { gatedStream, splitWords } from './session/words.ts'
import { defaultTargets } from './targets.ts'

/** How long an interrupted command may take to stop before the prompt comes back anyway. */
export const INTERRUPT_GRACE_MS = 2000
const BUILTINS = ['exit', 'quit', 'history']
const BANNER =
  'netlab interactive session: `help` lists the commands, Tab completes, Ctrl-R searches the history,\n' +
  'Ctrl-C interrupts a command, `exit` or Ctrl-D leaves.\n'

/** SessionIo is the terminal (or pipe) the session talks to. */
export interface SessionIo extends Io {
  readonly stdin: NodeJS.ReadableStream
}

/** Session is a running session; main.ts ends it on signals. */
export interface Session {
  /**
   * resolves when the session has ended: `ended` (exit, Ctrl-D, end of input, end()), or
   * `terminal-lost` (the terminal stopped answering: session/terminal-watch.ts)
   */
  readonly done: Promise<'ended' | 'terminal-lost'>
  /** SIGINT: interrupt the running command, if any */
  interrupt(): void
  /** SIGTERM, SIGHUP, a lost terminal: interrupt the command and end the session */
  end(): void
}

type RawTty = NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown }

/** historySize reads NETLAB_HISTORY_SIZE (1 to 100000 lines; default 1000). */
function historySize(env: Env): number {
  const n = Number(env.NETLAB_HISTORY_SIZE)
  return Number.isInteger(n) && n >= 1 && n <= 100_000 ? n : 1000
}

/** startSession reads commands until `exit`, `quit`, Ctrl-D or the end of input. */
export function startSession(io: SessionIo, env: Env): Session {
  const stdin = io.stdin as RawTty
  const tty = stdin.isTTY === true && typeof stdin.setRawMode === 'function'
  const history = new HistoryFile(env.NETLAB_HISTORY, historySize(env))
  const entries = history.load()
  const faults = defaultTargets(env).faults
  const sources = labSources({ host: faults.host, port: faults.ports.api as number })
  const tail = { last: 0x0a }
  const out = gatedStream(io.stdout, tail)
  const err = gatedStream(io.stderr, tail)
  let current: AbortController | undefined
  let ended = false
  let reason: 'ended' | 'terminal-lost' = 'ended'
  let finish: (why: 'ended' | 'terminal-lost') => void = () => undefined
  const done = new Promise<'ended' | 'terminal-lost'>((resolve) => {
    finish = resolve
  })

  const rlInput = new PassThrough()
  const router = new KeyRouter({
    forward: (s) => rlInput.write(s),
    write: (s) => io.stdout.write(s),
    history: () => entries,
    line: () => rl.line,
    interrupt: () => current?.abort(),
  })
  const completer = (line: string, callback: (e: null, result: [string[], string]) => void) => {
    const words = splitWords(line)
    const partial = /\s$/.test(line) || line === '' ? '' : (words.pop() ?? '')
    const program = buildProgram(io, env, () => undefined)
    complete(program, words, partial, sources, BUILTINS).then(
      (hits) =>
        callback(null, [
          hits.length === 1 ? [`${hits[0]}${hits[0]?.endsWith('/') ? '' : ' '}`] : hits,
          partial,
        ]),
      () => callback(null, [[], partial]),
    )
  }
  const rl: Interface = createInterface({
    input: tty ? rlInput : io.stdin,
    output: io.stdout,
    prompt: 'netlab> ',
    terminal: tty,
    history: [...entries],
    historySize: history.size,
    removeHistoryDuplicates: true,
    ...(tty && { completer }),
  })
  let watch: ReturnType<typeof watchTerminal> | undefined
  const onKey = (s: string | undefined, key: Key | undefined) => {
    router.key(s ?? key?.sequence ?? '', key ?? {})
  }
  // the keys, with the terminal's cursor reports taken off (they answer the watch below)
  const keys = new PassThrough({ encoding: 'utf8' })
  let held = ''
  let heldTimer: NodeJS.Timeout | undefined
  const onData = (chunk: Buffer | string) => {
    clearTimeout(heldTimer)
    const taken = takeReports(held, chunk.toString())
    held = taken.held
    for (let i = 0; i < taken.count; i++) watch?.answered()
    if (taken.keys !== '') keys.write(taken.keys)
    // a held start that no report completes was typed: hand it on
    if (held !== '')
      heldTimer = setTimeout(() => {
        keys.write(held)
        held = ''
      }, 100)
  }
  if (tty) {
    emitKeypressEvents(keys)
    stdin.setRawMode?.(true)
    keys.on('keypress', onKey)
    stdin.on('data', onData)
    // only once in raw mode: a cooked terminal would echo the answer on the screen
    watch = watchTerminal(
      () => io.stdout.write('\x1b[6n'),
      () => {
        reason = 'terminal-lost'
        close()
      },
    )
  }

  const readInput: CommandContext['readInput'] = async (what) => {
    if (!tty)
      throw new LabError(
        'INVALID_ARGUMENT',
        `${what} is not read from a script piped into the session: put the text on the line ` +
          '(tcp echo some text), or run one command with standard input (echo text | netlab tcp echo)',
      )
    return Buffer.from(await router.ask(`${what}, one line (Enter sends, Ctrl-C cancels): `), 'utf8')
  }

  const runCommand = async (words: string[], line: string) => {
    const controller = new AbortController()
    current = controller
    const gate = { open: true }
    out.gate = gate
    err.gate = gate
    const context: CommandContext = { signal: controller.signal, readInput }
    const program = buildProgram({ stdout: out.stream, stderr: err.stream }, env, () => undefined, {
      context,
    })
    const finished = program.parseAsync(words, { from: 'user' }).then(
      () => true,
      (e: unknown) => {
        if (commanderExitCode(e) !== undefined) return true
        const message = e instanceof Error ? e.message : String(e)
        err.stream.write(
          `netlab: ${controller.signal.aborted ? interruptedError(message).message : message}\n`,
        )
        return true
      },
    )
    const gaveUp = new Promise<false>((resolve) => {
      controller.signal.addEventListener(
        'abort',
        () => setTimeout(() => resolve(false), INTERRUPT_GRACE_MS).unref(),
        {
          once: true,
        },
      )
    })
    if (!(await Promise.race([finished, gaveUp]))) {
      gate.open = false
      io.stderr.write(
        `netlab: interrupted: \`${line}\` did not stop within ${INTERRUPT_GRACE_MS} ms; ` +
          'it finishes in the background, its output discarded\n',
      )
    }
    current = undefined
  }

  const handleLine = async (line: string): Promise<boolean> => {
    const words = splitWords(line)
    const first = words[0]
    if (first === undefined) return true
    if (first === 'exit' || first === 'quit') return false
    const saved = history.add(line, words)
    if (saved.secret) io.stderr.write(`(not saved in the history file: ${saved.secret})\n`)
    if (first === 'history') {
      const shown = entries.slice(0, 20).reverse()
      io.stdout.write(
        shown.map((l, i) => `${String(entries.length - shown.length + i + 1).padStart(5)}  ${l}\n`).join(''),
      )
    } else {
      await runCommand(words, line)
    }
    if (entries[0] !== line) entries.unshift(line)
    if (entries.length > history.size) entries.length = history.size
    return true
  }

  const queue: string[] = []
  let busy = false
  let inputClosed = false
  const close = () => {
    if (ended) return
    ended = true
    current?.abort()
    watch?.stop()
    if (tty) {
      stdin.off('data', onData)
      keys.off('keypress', onKey)
      clearTimeout(heldTimer)
      stdin.setRawMode?.(false)
      stdin.pause()
    }
    rl.close()
    finish(reason)
  }
  const showPrompt = () => {
    if (ended) return
    // a command whose output did not end its line: the prompt starts on a line of its own
    if (tail.last !== 0x0a) io.stdout.write('\n')
    tail.last = 0x0a
    const dropped = router.takeDropped()
    if (dropped > 0)
      io.stderr.write(`netlab: type-ahead is kept up to 4096 keys; ${dropped} more were dropped\n`)
    rl.prompt()
    router.prompt()
  }
  const pump = async () => {
    if (busy) return
    busy = true
    while (queue.length > 0 && !ended) {
      const keep = await handleLine(queue.shift() as string)
      if (!keep) return close()
    }
    busy = false
    if (inputClosed) close()
    else showPrompt()
  }
  rl.on('line', (line: string) => {
    queue.push(line)
    void pump()
  })
  rl.on('close', () => {
    inputClosed = true
    if (!busy) close()
  })
  rl.on('error', () => close())
  stdin.on('error', () => close())

  io.stdout.write(BANNER)
  showPrompt()
  return {
    done,
    interrupt: () => current?.abort(),
    end: close,
  }
}
