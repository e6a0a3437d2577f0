/**
 * TcpPipe is one direction of one proxied TCP connection: it reads the source into a
 * bounded queue (reading pauses above FAULTS_MAX_BUFFERED_BYTES), passes each chunk
 * through the stream's toxics in order, and writes to the destination, waiting for
 * 'drain' (backpressure all the way). Toxics are looked up per chunk, so adding or
 * removing one changes live connections at once, as in toxiproxy. Each toxic is rolled
 * against its toxicity once per connection (toxiproxy's per-connection probability).
 *
 * Every chunk is also reserved from the service's memory budget from the moment it is read
 * until the toxics are done with it and it has been handed to the destination; when the
 * budget has no room, reading pauses until it has (the chunk that found it full is covered
 * by the 128 KiB each connection reserves when it opens, see TcpProxy).
 */
import type { Socket } from 'node:net'
import type { Hold, MemoryBudget } from '../../lib/memory-budget.ts'
import { countToxic } from '../../lib/metrics/index.ts'
import type { LimitLog } from '../../lib/net/limit-log.ts'
import type { Toxic } from './toxic-set.ts'
import type { Chunk, Stream, TcpLink, TcpToxicRun } from './toxics/toxic.ts'

interface RunSlot {
  readonly version: number
  /** null: the toxicity roll said this toxic skips this connection */
  readonly run: TcpToxicRun | null
}

export class TcpPipe {
  readonly stream: Stream
  /** bytes written to the destination */
  bytes = 0
  readonly #source: Socket
  readonly #dest: Socket
  readonly #toxics: () => readonly Toxic[]
  readonly #link: TcpLink
  readonly #maxBufferedBytes: number
  readonly #signal: AbortSignal
  readonly #budget: MemoryBudget
  readonly #budgetLog: LimitLog
  readonly #touch: () => void
  /** what this pipe has reserved: its outstanding bytes, unless the budget said no */
  readonly #held: Hold
  /** bytes read and not yet handed to the destination */
  #outstanding = 0
  #waitingForBudget = false
  readonly #queue: Chunk[] = []
  #queuedBytes = 0
  #ended = false
  #wake: (() => void) | undefined
  readonly #runs = new Map<string, RunSlot>()

  constructor(opts: {
    stream: Stream
    source: Socket
    dest: Socket
    toxics: () => readonly Toxic[]
    link: TcpLink
    maxBufferedBytes: number
    signal: AbortSignal
    budget: MemoryBudget
    budgetLog: LimitLog
    /** called whenever bytes move: the connection's idle clock */
    touch: () => void
  }) {
    this.stream = opts.stream
    this.#source = opts.source
    this.#dest = opts.dest
    this.#toxics = opts.toxics
    this.#link = opts.link
    this.#maxBufferedBytes = opts.maxBufferedBytes
    this.#signal = opts.signal
    this.#budget = opts.budget
    this.#budgetLog = opts.budgetLog
    this.#touch = opts.touch
    this.#held = opts.budget.hold(0) as Hold // zero bytes always fit
    this.#signal.addEventListener('abort', () => this.#disposeAll())
  }

  /** run pumps until the source ends (then ends the destination) or the connection closes */
  async run(): Promise<void> {
    this.reconcile()
    this.#source.on('data', (data: Buffer) => {
      this.#touch()
      this.#queue.push({ data, receivedAt: performance.now() })
      this.#queuedBytes += data.length
      this.#outstanding += data.length
      if (this.#queuedBytes > this.#maxBufferedBytes) this.#source.pause()
      this.#reserve()
      this.#wakeUp()
    })
    this.#source.on('end', () => {
      this.#ended = true
      this.#wakeUp()
    })
    try {
      for (;;) {
        const chunk = this.#queue.shift()
        if (chunk === undefined) {
          if (this.#ended) break
          await new Promise<void>((resolve) => {
            this.#wake = resolve
          })
          this.#signal.throwIfAborted()
          continue
        }
        this.#queuedBytes -= chunk.data.length
        this.#maybeResume()
        await this.#through(chunk)
        this.#outstanding -= chunk.data.length
        this.#held.shrink(this.#held.bytes - this.#outstanding)
        this.#maybeResume()
      }
      for (const run of this.#active()) await run.end?.(this.#signal)
      this.#dest.end()
    } catch (err) {
      if (!this.#signal.aborted) throw err
    }
  }

  /** reconcile starts runs for new or updated toxics and disposes removed ones */
  reconcile(): void {
    const current = this.#toxics().filter((t) => t.stream === this.stream)
    for (const [name, slot] of this.#runs) {
      const t = current.find((x) => x.name === name)
      if (t === undefined || t.version !== slot.version) {
        slot.run?.dispose()
        this.#runs.delete(name)
      }
    }
    if (this.#signal.aborted) return
    for (const t of current) {
      if (this.#runs.has(t.name)) continue
      const tcp = t.def.tcp
      const run = tcp && this.#link.rng() < t.toxicity ? tcp(t.attributes, this.#link) : null
      if (run) countToxic(t.type, t.stream)
      this.#runs.set(t.name, { version: t.version, run })
    }
  }

  /** reserve covers the outstanding bytes, or pauses reading until the budget has room */
  #reserve(): void {
    const need = this.#outstanding - this.#held.bytes
    if (need <= 0 || this.#waitingForBudget || this.#held.grow(need)) return
    this.#waitingForBudget = true
    this.#source.pause()
    this.#budgetLog.refused(() => ({ stream: this.stream, ...this.#budget.snapshot() }))
    this.#waitForBudget().catch(() => undefined) // it handles its own errors; this is the chain's end
  }

  async #waitForBudget(): Promise<void> {
    try {
      for (;;) {
        if (this.#signal.aborted) return
        const need = this.#outstanding - this.#held.bytes
        if (need <= 0 || this.#held.grow(need)) return
        await this.#budget.waitForRoom(need, 1000, this.#signal)
      }
    } finally {
      this.#waitingForBudget = false
      this.#maybeResume()
    }
  }

  #maybeResume(): void {
    if (
      this.#source.isPaused() &&
      !this.#waitingForBudget &&
      !this.#signal.aborted &&
      this.#queuedBytes <= this.#maxBufferedBytes / 2
    )
      this.#source.resume()
  }

  #wakeUp(): void {
    const wake = this.#wake
    this.#wake = undefined
    wake?.()
  }

  #active(): TcpToxicRun[] {
    const out: TcpToxicRun[] = []
    for (const t of this.#toxics()) {
      const run = t.stream === this.stream ? this.#runs.get(t.name)?.run : undefined
      if (run) out.push(run)
    }
    return out
  }

  #through(chunk: Chunk): Promise<void> {
    const stages = this.#active()
    const step = (i: number, c: Chunk): Promise<void> => {
      const stage = stages[i]
      return stage ? stage.pipe(c, (next) => step(i + 1, next), this.#signal) : this.#write(c)
    }
    return step(0, chunk)
  }

  async #write(chunk: Chunk): Promise<void> {
    this.#signal.throwIfAborted()
    if (chunk.data.length === 0) return
    this.bytes += chunk.data.length
    this.#touch()
    if (!this.#dest.write(chunk.data, () => this.#touch())) {
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => reject(this.#signal.reason)
        this.#signal.addEventListener('abort', onAbort, { once: true })
        this.#dest.once('drain', () => {
          this.#signal.removeEventListener('abort', onAbort)
          resolve()
        })
      })
    }
  }

  #disposeAll(): void {
    for (const slot of this.#runs.values()) slot.run?.dispose()
    this.#runs.clear()
    this.#held.release()
    this.#wakeUp()
  }
}
