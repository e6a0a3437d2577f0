/**
 * TcpPipe is one direction of one proxied TCP connection: it reads the source into a
 * bounded queue (reading pauses above FAULTS_MAX_BUFFERED_BYTES), passes each chunk
 * through the stream's toxics in order, and writes to the destination, waiting for
 * 'drain' (backpressure all the way). Toxics are looked up per chunk, so adding or
 * removing one changes live connections at once, as in toxiproxy. Each toxic is rolled
 * against its toxicity once per connection (toxiproxy's per-connection probability).
 */
import type { Socket } from 'node:net'
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
  }) {
    this.stream = opts.stream
    this.#source = opts.source
    this.#dest = opts.dest
    this.#toxics = opts.toxics
    this.#link = opts.link
    this.#maxBufferedBytes = opts.maxBufferedBytes
    this.#signal = opts.signal
    this.#signal.addEventListener('abort', () => this.#disposeAll())
  }

  /** run pumps until the source ends (then ends the destination) or the connection closes */
  async run(): Promise<void> {
    this.reconcile()
    this.#source.on('data', (data: Buffer) => {
      this.#queue.push({ data, receivedAt: performance.now() })
      this.#queuedBytes += data.length
      if (this.#queuedBytes > this.#maxBufferedBytes) this.#source.pause()
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
        if (this.#source.isPaused() && this.#queuedBytes <= this.#maxBufferedBytes / 2) this.#source.resume()
        await this.#through(chunk)
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
      this.#runs.set(t.name, { version: t.version, run })
    }
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
    if (!this.#dest.write(chunk.data)) {
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
    this.#wakeUp()
  }
}
