/** The CLI's command tree, built fresh for each run so the session can reuse it line by line. */
import { Command, CommanderError } from 'commander'
import type { Env } from '../../lib/config.ts'
import { LabError } from '../../lib/errors.ts'
import { registerFaults } from './commands/faults.ts'
import { registerHttp } from './commands/http.ts'
import { registerRpc } from './commands/rpc.ts'
import { registerTcp } from './commands/tcp.ts'
import { registerUdp } from './commands/udp.ts'
import { type Io, type Result, render } from './output.ts'
import { defaultTargets } from './targets.ts'

/** buildProgram returns the `netlab` command; `onExit` receives each command's exit code. */
export function buildProgram(io: Io, env: Env, onExit: (code: number) => void): Command {
  const program = new Command('netlab')
    .description('drive the netlab services: run with no arguments for an interactive session')
    .option('--json', 'print results as JSON (one object per command)')
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })

  const run = async (action: () => Promise<Result>) => {
    const json = Boolean(program.opts<{ json?: boolean }>().json)
    try {
      const result = await action()
      render(io, result, json)
      onExit(result.exitCode ?? 0)
    } catch (err) {
      if (!(err instanceof LabError)) throw err
      if (json) io.stdout.write(`${JSON.stringify({ error: err.code, message: err.message })}\n`)
      io.stderr.write(`netlab: ${err.message}\n`)
      onExit(1)
    }
  }

  const targets = defaultTargets(env)
  registerTcp(program, targets.tcp, run)
  registerUdp(program, targets.udp, run, io.stderr)
  registerHttp(program, targets.http, run, io)
  registerRpc(program, targets.rpc, run, io, env.RPC_AUTHKEY)
  registerFaults(program, targets.faults, run)
  return program
}

/** isCommanderExit tells a commander help/usage exit (already printed) from a real error. */
export function commanderExitCode(err: unknown): number | undefined {
  if (!(err instanceof CommanderError)) return undefined
  return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? 0 : err.exitCode || 2
}
