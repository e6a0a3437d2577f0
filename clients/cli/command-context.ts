/**
 * What the runner hands each command besides its options: the signal that interrupts it
 * and the way it reads input when given no text. One command run from the shell reads its
 * standard input to the end; the interactive session prompts for one line instead (or, with
 * a script piped into it, refuses), so a command never swallows the session's own input.
 */
import { LabError } from '../../lib/errors.ts'
import { interruptedError } from './net/interrupt.ts'

/** CommandContext is passed to every command's action. */
export interface CommandContext {
  /** aborted by Ctrl-C in the session, or by SIGINT, SIGTERM or SIGHUP for one command */
  readonly signal: AbortSignal
  /**
   * readInput returns the bytes to send when the command was given none. `what` names the
   * input in messages (`tcp echo's text`); more than `maxBytes` is an INVALID_ARGUMENT error.
   */
  readInput(what: string, maxBytes: number): Promise<Buffer>
}

/** readStream reads `stream` to its end, refusing more than `maxBytes`; `signal` stops it. */
export function readStream(
  stream: NodeJS.ReadableStream,
  what: string,
  maxBytes: number,
  signal?: AbortSignal,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const done = (outcome: () => void) => {
      stream.off('data', onData)
      stream.off('end', onEnd)
      stream.off('error', onError)
      signal?.removeEventListener('abort', onAbortSignal)
      stream.pause()
      outcome()
    }
    const onData = (chunk: Buffer | string) => {
      const c = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
      size += c.length
      if (size > maxBytes)
        done(() => reject(new LabError('INVALID_ARGUMENT', `${what} is larger than ${maxBytes} bytes`)))
      else chunks.push(c)
    }
    const onEnd = () => done(() => resolve(Buffer.concat(chunks)))
    const onError = (err: unknown) => done(() => reject(err))
    const onAbortSignal = () =>
      done(() => reject(interruptedError(`reading ${what}: ${size} bytes read, nothing sent`)))
    if (signal?.aborted) return onAbortSignal()
    signal?.addEventListener('abort', onAbortSignal, { once: true })
    stream.on('data', onData)
    stream.once('end', onEnd)
    stream.once('error', onError)
    stream.resume()
  })
}
