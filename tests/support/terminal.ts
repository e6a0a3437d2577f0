/**
 * A terminal for tests: a command run in a real pseudo-terminal (pty-host.py, Python's pty
 * module), keys typed into it, and its screen output read back as text (escape sequences
 * removed). Closing it hangs the terminal up, as closing a terminal window does.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'

const HOST = join(import.meta.dirname, 'pty-host.py')

/** plain removes ANSI escape sequences and carriage returns: what a person reads. */
export function plain(raw: string): string {
  return (
    raw
      // biome-ignore lint/suspicious/noControlCharactersInRegex: ESC starts each sequence
      .replace(/\x1b\[[0-?]*[ -/]*[@-~]|\x1b[78]|\x1b\][^\x07]*\x07/g, '')
      .replace(/\r/g, '')
  )
}

/** Terminal is one command in its own pseudo-terminal. */
export class Terminal {
  readonly #child: ChildProcess
  #raw = ''
  #status = ''
  #from = 0

  private constructor(child: ChildProcess) {
    this.#child = child
    child.stdout?.on('data', (d: Buffer) => {
      this.#raw += d.toString('utf8')
    })
    child.stderr?.on('data', (d: Buffer) => {
      this.#status += d.toString('utf8')
    })
  }

  /** open runs `command` in a new 120 x 40 terminal. */
  static open(command: readonly string[], env: NodeJS.ProcessEnv, cwd: string): Terminal {
    const child = spawn('python3', [HOST, ...command], { env, cwd, stdio: ['pipe', 'pipe', 'pipe'] })
    return new Terminal(child)
  }

  /** text is everything shown so far, without escape sequences. */
  get text(): string {
    return plain(this.#raw)
  }

  /** raw is everything written to the terminal, escape sequences included. */
  get raw(): string {
    return this.#raw
  }

  /** type sends keys, as typed: `\r` is Enter, `\t` Tab, `\x03` Ctrl-C. */
  type(keys: string): void {
    this.#child.stdin?.write(keys)
  }

  /**
   * waitFor resolves with the text shown since the last waitFor once it matches `pattern`
   * (then the next waitFor looks only after the match); rejects after `timeoutMs`.
   */
  async waitFor(pattern: RegExp | string, timeoutMs = 15_000): Promise<string> {
    const deadline = performance.now() + timeoutMs
    for (;;) {
      const text = this.text.slice(this.#from)
      const at = typeof pattern === 'string' ? text.indexOf(pattern) : text.search(pattern)
      if (at >= 0) {
        const length =
          typeof pattern === 'string' ? pattern.length : (text.slice(at).match(pattern)?.[0].length ?? 0)
        this.#from += at + length
        return text.slice(0, at + length)
      }
      if (performance.now() > deadline)
        throw new Error(
          `terminal: no ${String(pattern)} within ${timeoutMs} ms; it shows:\n${text.slice(-2000)}`,
        )
      await new Promise((r) => setTimeout(r, 50))
    }
  }

  /** pid is the command's process id (the pty's session leader, e.g. docker compose). */
  async pid(): Promise<number> {
    for (;;) {
      const m = /pty-host: pid (\d+)/.exec(this.#status)
      if (m) return Number(m[1])
      await new Promise((r) => setTimeout(r, 20))
    }
  }

  /** exited resolves with the command's exit status as pty-host saw it (-N: killed by signal N). */
  async exited(): Promise<string> {
    if (this.#child.exitCode === null) await once(this.#child, 'exit')
    return /pty-host: (exit -?\d+|still running)/.exec(this.#status)?.[1] ?? this.#status
  }

  /** hangUp closes the terminal, as closing its window does; resolves as `exited`. */
  hangUp(): Promise<string> {
    this.#child.stdin?.end()
    return this.exited()
  }

  /** kill ends the pty host itself (test clean-up). */
  kill(): void {
    this.#child.kill('SIGKILL')
  }
}
