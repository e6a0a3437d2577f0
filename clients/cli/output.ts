/** Output: results to stdout (human text, or one JSON object with --json), diagnostics to stderr. */
import type { Writable } from 'node:stream'

/** Io is where a command writes; the session and tests pass their own streams. */
export interface Io {
  readonly stdout: Writable
  readonly stderr: Writable
}

/** Result is one command's outcome: text for people, data for --json, and an exit code. */
export interface Result {
  readonly text: string
  readonly data: Readonly<Record<string, unknown>>
  readonly exitCode?: number
}

export function render(io: Io, result: Result, json: boolean): void {
  if (json) io.stdout.write(`${JSON.stringify(result.data)}\n`)
  else if (result.text !== '') io.stdout.write(result.text.endsWith('\n') ? result.text : `${result.text}\n`)
}
