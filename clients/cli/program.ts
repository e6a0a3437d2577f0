/** The CLI's command tree, built fresh for each run so the session can reuse it line by line. */
import type { Writable } from 'node:stream'
import { Argument, Command, CommanderError } from 'commander'
import type { Env } from '../../lib/config.ts'
import { LabError } from '../../lib/errors.ts'
import { VERSION } from '../../lib/version.ts'
import { type CommandContext, readStream } from './command-context.ts'
import { registerFaults } from './commands/faults.ts'
import { registerHttp } from './commands/http.ts'
import { registerRpc } from './commands/rpc.ts'
import { registerTcp } from './commands/tcp.ts'
import { registerUdp } from './commands/udp.ts'
import { type CompletionSources, complete, labSources } from './completion.ts'
import { completionScript, SHELLS, type Shell } from './completion-scripts.ts'
import { type Io, type Result, render } from './output.ts'
import { defaultTargets } from './targets.ts'

/** Exit codes: 0 ok, 1 a failed operation, 2 a usage error, 130 interrupted (128 + SIGINT). */
export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const

/** ProgramOptions are what a caller other than one shell command supplies. */
export interface ProgramOptions {
  /** the signal and input reader each command gets (default: never aborts; stdin to EOF) */
  readonly context?: CommandContext
  /** where completion values come from (default: the lab's faults API and the code's tables) */
  readonly completionSources?: CompletionSources
  /** top-level words the session adds to completion (`exit`, `history`) */
  readonly extraWords?: readonly string[]
}

/**
 * stdinContext reads standard input to its end: one command run from a shell. On a terminal
 * it first says so on `hint` (the CLI's stderr), as a command that waits for Ctrl-D should.
 */
export function stdinContext(
  stdin: NodeJS.ReadableStream & { isTTY?: boolean },
  signal: AbortSignal,
  hint?: Writable,
): CommandContext {
  return {
    signal,
    readInput: (what, maxBytes) => {
      if (stdin.isTTY) hint?.write(`netlab: reading ${what} from the terminal; end it with Ctrl-D\n`)
      return readStream(stdin, what, maxBytes, signal)
    },
  }
}

/** exitCodeOf maps a LabError to its exit code: usage 2, interrupted 130, else 1. */
function exitCodeOf(err: LabError): number {
  if (err.code === 'INVALID_ARGUMENT') return EXIT.usage
  if (err.code === 'INTERRUPTED') return EXIT.interrupted
  return EXIT.failed
}

/** buildProgram returns the `netlab` command; `onExit` receives each command's exit code. */
export function buildProgram(
  io: Io,
  env: Env,
  onExit: (code: number) => void,
  options: ProgramOptions = {},
): Command {
  const program = new Command('netlab')
    .description('drive the netlab services: run with no arguments for an interactive session')
    .version(VERSION, '-V, --version', 'print the version (the package, its images and the services)')
    .option('--json', 'print results as JSON (one object per command)')
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
  const context = options.context ?? stdinContext(process.stdin, new AbortController().signal)

  const run = async (action: (ctx: CommandContext) => Promise<Result>) => {
    const json = Boolean(program.opts<{ json?: boolean }>().json)
    try {
      const result = await action(context)
      render(io, result, json)
      onExit(result.exitCode ?? EXIT.ok)
    } catch (err) {
      if (!(err instanceof LabError)) throw err
      if (json) io.stdout.write(`${JSON.stringify({ error: err.code, message: err.message })}\n`)
      io.stderr.write(`netlab: ${err.message}\n`)
      onExit(exitCodeOf(err))
    }
  }

  const targets = defaultTargets(env)
  registerTcp(program, targets.tcp, run)
  registerUdp(program, targets.udp, run, io.stderr)
  registerHttp(program, targets.http, run, io)
  registerRpc(program, targets.rpc, run, io, env.RPC_AUTHKEY)
  registerFaults(program, targets.faults, run)

  program
    .command('completion')
    .addArgument(new Argument('<shell>', 'the shell to complete for').choices(SHELLS))
    .description('print a completion script: source <(netlab completion bash)')
    .action((shell: Shell) => {
      io.stdout.write(completionScript(shell))
      onExit(EXIT.ok)
    })

  return program
}

/**
 * completeWords prints the completion candidates for `netlab __complete <words...>` (what the
 * shell scripts call): the last word is the one under the cursor, possibly empty.
 */
export async function completeWords(
  io: Io,
  env: Env,
  words: readonly string[],
  options: ProgramOptions = {},
): Promise<void> {
  const faults = defaultTargets(env).faults
  const sources =
    options.completionSources ?? labSources({ host: faults.host, port: faults.ports.api as number })
  const program = buildProgram(io, env, () => undefined, options)
  const candidates = await complete(program, words.slice(0, -1), words.at(-1) ?? '', sources)
  if (candidates.length > 0) io.stdout.write(`${candidates.join('\n')}\n`)
}

/**
 * commanderExitCode tells a commander help or version exit (0, already printed) from a usage
 * error (2: unknown command or option, bad or missing argument); undefined for anything else.
 */
export function commanderExitCode(err: unknown): number | undefined {
  if (!(err instanceof CommanderError)) return undefined
  if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return EXIT.ok
  return EXIT.usage
}
