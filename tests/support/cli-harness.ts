/**
 * Runs one `netlab …` command line in-process, the way main.ts does, with captured
 * stdout and stderr: the real command tree (buildProgram) pointed at `env`.
 */
import { Writable } from 'node:stream'
import { buildProgram, commanderExitCode } from '../../clients/cli/program.ts'
import type { Env } from '../../lib/config.ts'

/** Capture keeps everything written to it, as bytes and as text. */
export class Capture extends Writable {
  readonly chunks: Buffer[] = []
  isTTY: boolean
  columns = 80
  constructor(tty = false) {
    super()
    this.isTTY = tty
  }
  get text(): string {
    return Buffer.concat(this.chunks).toString('utf8')
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.chunks.push(Buffer.from(chunk))
    done()
  }
}

export interface CliRun {
  readonly stdout: string
  readonly stderr: string
  readonly code: number | undefined
  /** stdout as bytes */
  readonly raw: Buffer
  /** wall time of the whole command, ms */
  readonly elapsedMs: number
}

/** runCli executes one command line against `env` and returns its output and exit code. */
export async function runCli(
  env: Env,
  args: readonly string[],
  opts: { ttyStderr?: boolean } = {},
): Promise<CliRun> {
  const stdout = new Capture()
  const stderr = new Capture(opts.ttyStderr)
  let code: number | undefined
  const program = buildProgram({ stdout, stderr }, env, (c) => {
    code = c
  })
  const started = performance.now()
  try {
    await program.parseAsync([...args], { from: 'user' })
  } catch (err) {
    code = commanderExitCode(err)
    if (code === undefined) throw err
  }
  const elapsedMs = performance.now() - started
  return { stdout: stdout.text, stderr: stderr.text, code, raw: Buffer.concat(stdout.chunks), elapsedMs }
}
