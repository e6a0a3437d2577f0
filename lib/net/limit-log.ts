/**
 * A `limit reached` warning that a flood cannot turn into a flood of log lines: the first
 * refusal of a kind is logged at once, later ones at most once per interval, each line
 * carrying how many were refused since the last one.
 */
import type { Logger } from '../log.ts'

/** LimitLog counts refusals of one kind and logs them at warn, at most once per `everyMs`. */
export class LimitLog {
  readonly #log: Logger
  readonly #code: string
  readonly #everyMs: number
  #last = Number.NEGATIVE_INFINITY
  #since = 0
  /** every refusal counted, for /stats */
  total = 0

  constructor(log: Logger, code: string, everyMs = 5000) {
    this.#log = log
    this.#code = code
    this.#everyMs = everyMs
  }

  /** refused counts one refusal and logs when the interval has passed; `fields` describe the limit */
  refused(fields: () => Record<string, unknown>): void {
    this.total++
    this.#since++
    const now = performance.now()
    if (now - this.#last < this.#everyMs) return
    this.#log.warn({ code: this.#code, refused: this.#since, ...fields() }, 'limit reached')
    this.#last = now
    this.#since = 0
  }
}
