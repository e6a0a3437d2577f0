/**
 * Interrupting a command: the session's Ctrl-C (or SIGINT, SIGTERM, SIGHUP for a one-shot
 * command) aborts an AbortSignal; every network client takes it, closes its sockets, clears
 * its timers and rejects with an INTERRUPTED LabError whose message says what was done.
 */
import { LabError } from '../../../lib/errors.ts'

/** interruptedError is the error a client rejects with once its signal aborts. */
export function interruptedError(what: string): LabError {
  return new LabError('INTERRUPTED', `interrupted: ${what}`)
}

/** isInterrupted tells an INTERRUPTED LabError from any other failure. */
export function isInterrupted(err: unknown): err is LabError {
  return err instanceof LabError && err.code === 'INTERRUPTED'
}

/**
 * onAbort runs `fn` once when `signal` aborts (at once if it already has); dispose the
 * result to stop listening. A missing signal never aborts.
 */
export function onAbort(signal: AbortSignal | undefined, fn: () => void): Disposable {
  if (signal === undefined) return { [Symbol.dispose]: () => undefined }
  if (signal.aborted) {
    fn()
    return { [Symbol.dispose]: () => undefined }
  }
  signal.addEventListener('abort', fn, { once: true })
  return { [Symbol.dispose]: () => signal.removeEventListener('abort', fn) }
}

/** seconds formats an elapsed time for a summary: `1.25 s`. */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`
}
