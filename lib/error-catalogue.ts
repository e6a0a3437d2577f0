/**
 * Every service keeps its errors in one catalogue (its `errors.ts`): a table from a stable
 * UPPER_SNAKE code to what it means, what the caller should do, and, for HTTP, the status.
 * scripts/error-table.ts renders each catalogue into docs/errors/<service>.md.
 *
 * HTTP errors (the HTTP service, the RPC service's HTTP port, the faults API) all carry one
 * JSON body, toxiproxy's shape plus the code:
 *
 *   HTTP/1.1 413 Payload Too Large
 *   {"error":"request body is larger than 16777216 bytes","status":413,"code":"BODY_TOO_LARGE"}
 */

/** ErrorEntry is one row of a catalogue. */
export interface ErrorEntry {
  /** the HTTP status the code is answered with, where the protocol is HTTP */
  readonly status?: number
  /** what happened, in words */
  readonly meaning: string
  /** what the caller should do about it */
  readonly action: string
}

/** ErrorCatalogue maps each code to its entry. */
export type ErrorCatalogue<C extends string = string> = Readonly<Record<C, ErrorEntry>>

/** HttpErrorBody is the one JSON error body of every netlab HTTP port. */
export interface HttpErrorBody {
  /** the human message (toxiproxy's `error`) */
  readonly error: string
  readonly status: number
  /** the stable UPPER_SNAKE code clients match on */
  readonly code: string
}

/** httpErrorBody is the one way an HTTP error body is written. */
export function httpErrorBody(code: string, message: string, status: number): HttpErrorBody {
  return { error: message, status, code }
}

const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ')

/** catalogueTable renders a catalogue as the Markdown table docs/errors/<service>.md shows. */
export function catalogueTable(catalogue: ErrorCatalogue): string {
  const entries = Object.entries(catalogue)
  const withStatus = entries.some(([, e]) => e.status !== undefined)
  const head = withStatus
    ? ['| code | status | meaning | what to do |', '| --- | --- | --- | --- |']
    : ['| code | meaning | what to do |', '| --- | --- | --- |']
  const rows = entries.map(([code, e]) =>
    withStatus
      ? `| \`${code}\` | ${e.status ?? ''} | ${cell(e.meaning)} | ${cell(e.action)} |`
      : `| \`${code}\` | ${cell(e.meaning)} | ${cell(e.action)} |`,
  )
  return [...head, ...rows].join('\n')
}
