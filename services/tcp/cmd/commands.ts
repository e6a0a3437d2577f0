/**
 * The cmd protocol's command table: one entry per command, dispatched by name
 * (case-insensitive). Each returns the text after `OK ` or throws a CommandError.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { BudgetSnapshot } from '../../../lib/memory-budget.ts'
import type { CmdCommand } from '../../../protocols/tcp-cmd.ts'
import type { StatsSnapshot } from '../counters.ts'
import { TcpErrorCode } from '../errors.ts'

/** CommandContext is what a command may see of its connection and server. */
export interface CommandContext {
  /** the machine's hostname: the container ID under Docker, so replicas can be told apart */
  readonly host: string
  readonly worker: number
  readonly threadId: number
  readonly conn: number
  readonly remote: string
  readonly maxSleepMs: number
  readonly stats: () => StatsSnapshot & {
    readonly workers: number
    readonly mode: string
    /** the service's memory budget (TCP_MEMORY_BUDGET_BYTES) */
    readonly memory: BudgetSnapshot
  }
  /** aborted when the connection closes, so a SLEEP does not outlive its client */
  readonly signal: AbortSignal
}

/** CommandError is a command's refusal; it becomes `ERR <code> <message>`. */
export class CommandError extends Error {
  readonly code: TcpErrorCode
  constructor(code: TcpErrorCode, message: string) {
    super(message)
    this.code = code
  }
}

/** CommandResult is the reply text, and whether the connection closes after it. */
export interface CommandResult {
  readonly reply: string
  readonly close?: boolean
}

interface Command {
  readonly usage: string
  readonly help: string
  run(arg: string, ctx: CommandContext): CommandResult | Promise<CommandResult>
}

const requireArg = (name: string, arg: string): string => {
  if (arg === '') throw new CommandError(TcpErrorCode.BAD_ARGUMENT, `${name} needs an argument; try HELP`)
  return arg
}

/** The command table. HELP lists it in this order. */
export const commands: Readonly<Record<CmdCommand, Command>> = {
  UPPER: {
    usage: 'UPPER <text>',
    help: 'reply with the text upper-cased (Unicode)',
    run: (arg) => ({ reply: requireArg('UPPER', arg).toUpperCase() }),
  },
  ECHO: { usage: 'ECHO <text>', help: 'reply with the text unchanged', run: (arg) => ({ reply: arg }) },
  SLEEP: {
    usage: 'SLEEP <ms>',
    help: 'wait, then reply; other connections are never delayed',
    run: async (arg, ctx) => {
      if (!/^\d{1,9}$/.test(arg) || Number(arg) > ctx.maxSleepMs) {
        throw new CommandError(
          TcpErrorCode.BAD_ARGUMENT,
          `SLEEP takes milliseconds from 0 to ${ctx.maxSleepMs}`,
        )
      }
      const started = performance.now()
      await sleep(Number(arg), undefined, { signal: ctx.signal })
      return { reply: `slept ${Math.round(performance.now() - started)}` }
    },
  },
  TIME: {
    usage: 'TIME',
    help: "the server's clock, ISO 8601 UTC",
    run: () => ({ reply: new Date().toISOString() }),
  },
  WHOAMI: {
    usage: 'WHOAMI',
    help: 'which container (hostname) and worker thread serve this connection',
    run: (_arg, ctx) => ({
      reply: `host=${ctx.host} worker=${ctx.worker} thread=${ctx.threadId} conn=${ctx.conn} remote=${ctx.remote}`,
    }),
  },
  STATS: {
    usage: 'STATS',
    help: 'server-wide counters, one JSON object',
    run: (_arg, ctx) => ({ reply: JSON.stringify(ctx.stats()) }),
  },
  PING: { usage: 'PING', help: 'reply PONG (the health check)', run: () => ({ reply: 'PONG' }) },
  HELP: {
    usage: 'HELP',
    help: 'this list',
    run: () => ({
      reply: `commands: ${Object.values(commands)
        .map((c) => c.usage)
        .join(' | ')}`,
    }),
  },
  QUIT: {
    usage: 'QUIT',
    help: 'reply, then close the connection',
    run: () => ({ reply: 'bye', close: true }),
  },
}
