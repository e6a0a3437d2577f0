/** The docker CLI as async functions: the swarm tooling's only way to reach the engine. */
import { execFile } from 'node:child_process'

/** DockerOptions are what one docker CLI call may add: stdin, variables, a deadline. */
export interface DockerOptions {
  readonly input?: string
  readonly env?: Readonly<Record<string, string | undefined>>
  readonly timeoutMs?: number
}

/** DockerError is a docker CLI call that exited non-zero; `stderr` is what it printed. */
export class DockerError extends Error {
  override name = 'DockerError'
  readonly stderr: string
  constructor(args: readonly string[], stderr: string, options?: ErrorOptions) {
    super(`docker ${args.join(' ')}: ${stderr.trim() || 'failed'}`, options)
    this.stderr = stderr
  }
}

/** docker runs `docker ...args` and resolves with its stdout, trimmed. */
export function docker(args: readonly string[], opts: DockerOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'docker',
      args,
      {
        encoding: 'utf8',
        env: { ...process.env, ...opts.env },
        timeout: opts.timeoutMs ?? 120_000,
        maxBuffer: 16 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        if (err) reject(new DockerError(args, stderr || err.message, { cause: err }))
        else resolve(stdout.trim())
      },
    )
    // docker may exit before reading its input (an error): that EPIPE is reported by its exit code
    child.stdin?.on('error', () => {})
    if (opts.input === undefined) child.stdin?.end()
    else child.stdin?.end(opts.input)
  })
}

/** dockerLines runs docker and returns its non-empty output lines. */
export async function dockerLines(args: readonly string[], opts: DockerOptions = {}): Promise<string[]> {
  return (await docker(args, opts)).split('\n').filter((l) => l.trim() !== '')
}

/** dockerSucceeds is whether `docker ...args` exits 0 (e.g. `inspect` of something that may not exist). */
export async function dockerSucceeds(args: readonly string[]): Promise<boolean> {
  try {
    await docker(args)
    return true
  } catch (err) {
    if (err instanceof DockerError) return false
    throw err
  }
}
