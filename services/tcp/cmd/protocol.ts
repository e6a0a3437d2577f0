/**
 * cmd (port 9998): a newline-framed request/reply protocol over a byte stream.
 *
 *   request:  <COMMAND>[ <argument>]\n      (CRLF accepted; blank lines ignored)
 *   reply:    OK[ <text>]\n  |  ERR <CODE> <message>\n
 *
 * Requests on one connection are answered in order, one at a time, so replies match
 * requests even when a client pipelines them; a SLEEP holds only its own connection.
 * Errors never close the connection, except BUSY, IDLE_TIMEOUT and SHUTTING_DOWN.
 */

import { countCommand } from '../../../lib/metrics/index.ts'
import { type LineEvent, LineSplitter } from '../../../protocols/line-splitter.ts'
import type { Conn, ProtocolHandler } from '../connection.ts'
import { errLine, TcpErrorCode } from '../errors.ts'
import { type CommandContext, CommandError, type CommandResult, commands } from './commands.ts'

/** Lines waiting behind a slow command before reading pauses. */
const MAX_QUEUED_LINES = 64

/**
 * lineCost is what a queued line holds until it is answered: the line as a JS string (two
 * bytes a character at most) and its reply (UPPER may triple a line's UTF-8: ΐ → Ϊ́).
 */
export const lineCost = (line: string): number => 2 * line.length + 3 * Buffer.byteLength(line) + 64

/** A line the memory budget had no room for: answered ERR BUSY in its turn, never run. */
const OVER_BUDGET = Symbol('over budget')

type Queued = { readonly line: string; readonly cost: number } | LineEvent | typeof OVER_BUDGET

/** ParsedLine is a request split into its command (upper-cased) and argument. */
export interface ParsedLine {
  readonly name: string
  readonly arg: string
}

/** parseLine splits `NAME arg...` at the first space; the argument keeps inner spaces. */
export function parseLine(line: string): ParsedLine {
  const space = line.indexOf(' ')
  if (space === -1) return { name: line.toUpperCase(), arg: '' }
  return { name: line.slice(0, space).toUpperCase(), arg: line.slice(space + 1) }
}

/** Outcome is what one request line came to: the OK reply line, or the error's code and message. */
export type Outcome =
  | (CommandResult & { readonly ok: true })
  | { readonly ok: false; readonly code: TcpErrorCode; readonly message: string }

/** execute runs one request line: the OK reply line (with its newline), or the error's code. */
export async function execute(line: string, ctx: CommandContext): Promise<Outcome> {
  return executeNow(line, ctx)
}

/**
 * executeNow is execute without a promise when the command answers at once (all but
 * SLEEP): the connection's loop then answers in the same turn as the data arrived, as a
 * plain `net` server does, instead of one microtask hop a line.
 */
export function executeNow(line: string, ctx: CommandContext): Outcome | Promise<Outcome> {
  const { name, arg } = parseLine(line)
  const command = Object.hasOwn(commands, name) ? commands[name as keyof typeof commands] : undefined
  if (!command) {
    const shown = name.length > 32 ? `${name.slice(0, 32)}...` : name
    return {
      ok: false,
      code: TcpErrorCode.UNKNOWN_COMMAND,
      message: `unknown command ${JSON.stringify(shown)}; try HELP`,
    }
  }
  try {
    const result = command.run(arg, ctx)
    return result instanceof Promise ? result.then(okOutcome, errorOutcome) : okOutcome(result)
  } catch (err) {
    return errorOutcome(err)
  }
}

function okOutcome(result: CommandResult): Outcome {
  return {
    ok: true,
    reply: result.reply === '' ? 'OK\n' : `OK ${result.reply}\n`,
    ...(result.close ? { close: true } : {}),
  }
}

/** errorOutcome is a CommandError's outcome; anything else is rethrown (a bug: the connection ends). */
function errorOutcome(err: unknown): Outcome {
  if (err instanceof CommandError) return { ok: false, code: err.code, message: err.message }
  throw err
}

/** replyLine is the line an outcome is answered with; an error through errLine, the one ERR writer. */
export function replyLine(outcome: Outcome): string {
  return outcome.ok ? outcome.reply : errLine(outcome.code, outcome.message)
}

/** cmdHandler serves the cmd protocol on one connection. */
export function cmdHandler(
  conn: Conn,
  ctx: Omit<CommandContext, 'signal'>,
  maxLineBytes: number,
  onCommand: (ok: boolean) => void,
): ProtocolHandler {
  const splitter = new LineSplitter({ maxLineBytes })
  const queue: Queued[] = []
  let pending = 0 // bytes of an unfinished line, counted in the budget
  const aborter = new AbortController()
  const commandCtx: CommandContext = { ...ctx, signal: aborter.signal }
  let running = false
  let peerEnded = false
  conn.socket.once('close', () => aborter.abort())

  const finishIfDone = () => {
    if (running) return
    if (conn.draining) {
      // Shutdown: the command in progress has finished and been answered; nothing queued runs.
      if (queue.length > 0) conn.write(errLine(TcpErrorCode.SHUTTING_DOWN, 'server is shutting down'))
      queue.length = 0
      conn.close('server shutdown')
    } else if (peerEnded && queue.length === 0) conn.close('peer closed')
  }

  const run = async () => {
    running = true
    while (queue.length > 0 && !conn.socket.destroyed && !conn.draining) {
      const event = queue.shift() as Queued
      if (queue.length < MAX_QUEUED_LINES / 2) conn.resume('queue')
      if (event === OVER_BUDGET) {
        conn.write(errLine(TcpErrorCode.BUSY, 'server at its memory budget; line not run, retry later'))
        onCommand(false)
        continue
      }
      if (typeof event === 'object' && 'error' in event) {
        conn.write(errLine(TcpErrorCode.LINE_TOO_LONG, `line exceeds ${event.maxLineBytes} bytes`))
        onCommand(false)
        conn.log.info({ code: TcpErrorCode.LINE_TOO_LONG }, 'bad request')
        continue
      }
      conn.commands++
      const line = typeof event === 'string' ? event : event.line
      try {
        const started = performance.now()
        const now = executeNow(line, commandCtx)
        const result = now instanceof Promise ? await now : now
        countCommand('cmd', line, result.ok ? undefined : result.code, started)
        onCommand(result.ok)
        conn.write(replyLine(result))
        if (!result.ok) conn.log.info({ code: result.code }, 'bad request')
        // (the level check first: parsing the line again per command costs the hot path)
        else if (conn.log.isLevelEnabled('debug'))
          conn.log.debug({ command: parseLine(line).name }, 'command')
        if (result.ok && result.close) {
          queue.length = 0
          conn.close('QUIT')
          break
        }
      } catch (err) {
        if (aborter.signal.aborted) break // the peer went away mid-SLEEP
        conn.log.error({ err }, 'command failed')
        conn.destroy('internal error')
        break
      } finally {
        if (typeof event === 'object') conn.unhold(event.cost)
      }
    }
    running = false
    finishIfDone()
  }

  return {
    onData(chunk) {
      const events = splitter.push(chunk)
      // the unfinished line held so far is now a line (charged below) or still unfinished
      conn.unhold(pending)
      for (const event of events) {
        if (event === '') continue
        if (typeof event !== 'string') queue.push(event)
        else {
          const cost = lineCost(event)
          const waits = running || queue.length > 0
          queue.push(conn.tryHold(cost, waits) ? { line: event, cost } : OVER_BUDGET)
        }
      }
      // the unfinished line is held until its newline comes
      pending = splitter.pending
      conn.holdAnyway(pending)
      if (queue.length >= MAX_QUEUED_LINES) conn.pause('queue')
      if (!running && queue.length > 0) void run()
    },
    onEnd() {
      peerEnded = true
      finishIfDone()
    },
    drain: finishIfDone,
  }
}
