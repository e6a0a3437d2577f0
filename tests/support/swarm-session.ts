/**
 * SwarmSession drives one client container on a stack's overlay (deploy/swarm/client.ts) in
 * session mode: each command is written on its stdin with `--json`, and its one JSON line is
 * read back. One container serves a whole test file, so a request costs a round trip, not a
 * container start. TcpLoop sends `tcp cmd WHOAMI` in a loop and tallies what answered.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process'
import { once } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import { clientRunArgs } from '../../deploy/swarm/client.ts'
import type { SwarmConfig } from '../../deploy/swarm/config.ts'

/** A command's result: its JSON line, `{ error, message }` when it failed. */
export type Reply = Record<string, unknown> & { readonly error?: string; readonly message?: string }

export class SwarmSession implements AsyncDisposable {
  readonly #child: ChildProcessWithoutNullStreams
  readonly #lines: string[] = []
  #stderr = ''
  #waiter: (() => void) | undefined
  #exited = false

  constructor(config: Pick<SwarmConfig, 'stack' | 'tag' | 'connectRetryMs'>, authkey: string) {
    this.#child = spawn('docker', clientRunArgs(config, [], { tty: false }), {
      env: { ...process.env, RPC_AUTHKEY: authkey },
    })
    let buffered = ''
    this.#child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk
      for (let i = buffered.indexOf('\n'); i >= 0; i = buffered.indexOf('\n')) {
        // the prompt is printed without a newline before the next reply
        const line = buffered.slice(0, i).replace(/^(netlab> )+/, '')
        buffered = buffered.slice(i + 1)
        if (line.startsWith('{')) this.#lines.push(line)
      }
      this.#wake()
    })
    this.#child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      this.#stderr = (this.#stderr + chunk).slice(-4000)
    })
    this.#child.on('exit', () => {
      this.#exited = true
      this.#wake()
    })
  }

  /** run sends one command (`tcp cmd WHOAMI`) and resolves with its JSON reply. */
  async run(command: string, timeoutMs = 60_000): Promise<Reply> {
    this.#child.stdin.write(`--json ${command}\n`)
    const deadline = performance.now() + timeoutMs
    for (;;) {
      const line = this.#lines.shift()
      if (line !== undefined) return JSON.parse(line) as Reply
      if (this.#exited) throw new Error(`the client session ended; its stderr: ${this.#stderr}`)
      const left = deadline - performance.now()
      if (left <= 0)
        throw new Error(`no reply to "${command}" within ${timeoutMs} ms; stderr: ${this.#stderr}`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.#waiter = () => {
          clearTimeout(timer)
          resolve()
        }
      })
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#exited) return
    this.#child.stdin.end('exit\n')
    const exited = once(this.#child, 'exit')
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 5000)
    await exited
    clearTimeout(timer)
  }

  #wake(): void {
    const w = this.#waiter
    this.#waiter = undefined
    w?.()
  }
}

/** Tally is what a TcpLoop saw: requests, failures (with their messages), and answers per host. */
export interface Tally {
  sent: number
  failed: number
  readonly failures: string[]
  readonly hosts: Map<string, number>
}

/** whoami returns the host a `tcp cmd WHOAMI` reply names, or undefined. */
export function whoamiHost(reply: Reply): string | undefined {
  const replies = reply.replies as readonly string[] | undefined
  return /^OK host=(\S+) /.exec(replies?.[0] ?? '')?.[1]
}

/** TcpLoop sends `tcp cmd WHOAMI` one after another (every `gapMs`) until stopped. */
export class TcpLoop {
  readonly tally: Tally = { sent: 0, failed: 0, failures: [], hosts: new Map() }
  #stopping = false
  readonly #done: Promise<void>

  constructor(session: SwarmSession, gapMs = 50) {
    this.#done = (async () => {
      while (!this.#stopping) {
        const reply = await session.run('tcp cmd WHOAMI')
        this.tally.sent++
        const host = whoamiHost(reply)
        if (host === undefined) {
          this.tally.failed++
          this.tally.failures.push(reply.message ?? JSON.stringify(reply))
        } else this.tally.hosts.set(host, (this.tally.hosts.get(host) ?? 0) + 1)
        await sleep(gapMs)
      }
    })()
  }

  /** stop ends the loop after the request in flight and resolves with the tally. */
  async stop(): Promise<Tally> {
    this.#stopping = true
    await this.#done
    return this.tally
  }
}
