/**
 * The options and helpers every command group shares: the Runner that renders a Result,
 * --host/--port/--timeout (withConnOptions) and their parsers, and the input size cap.
 */
import { type Command, InvalidArgumentError } from 'commander'
import type { CommandContext } from './command-context.ts'
import type { Result } from './output.ts'
import type { ServicePorts } from './targets.ts'

/** Runner executes an action and renders its Result (shared by every command group). */
export type Runner = (action: (ctx: CommandContext) => Promise<Result>) => Promise<void>

/** The most a command reads from standard input (or from the session's one-line prompt). */
export const MAX_INPUT_BYTES = 64 * 1024 * 1024

/** ConnOpts are the options withConnOptions adds. */
export interface ConnOpts {
  readonly host: string
  readonly port?: number
  readonly timeout: number
}

/** parseTimeout reads --timeout: whole milliseconds from 1 to 600000. */
export function parseTimeout(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1 || n > 600_000)
    throw new InvalidArgumentError('expected milliseconds from 1 to 600000')
  return n
}

/** parsePort reads --port: 1 to 65535. */
export function parsePort(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1 || n > 65535)
    throw new InvalidArgumentError('expected a port from 1 to 65535')
  return n
}

/** withConnOptions adds --host, --port (default: the service's `proto` port) and --timeout. */
export function withConnOptions(cmd: Command, defaults: ServicePorts, proto: string): Command {
  return cmd
    .option('--host <host>', 'server host', defaults.host)
    .option('--port <port>', `server port (default: ${defaults.ports[proto]})`, parsePort)
    .option('--timeout <ms>', 'connect and reply deadline', parseTimeout, 5000)
}
