/** logLines is a pino destination that keeps every JSON log line, parsed, for assertions. */
import type { DestinationStream } from 'pino'

/** LoggedLine is one parsed log line. */
export type LoggedLine = Readonly<Record<string, unknown>> & { readonly msg: string; readonly level: string }

export function logLines(): { lines: LoggedLine[]; dest: DestinationStream } {
  const lines: LoggedLine[] = []
  return {
    lines,
    dest: {
      write(text: string) {
        for (const line of text.split('\n')) if (line !== '') lines.push(JSON.parse(line) as LoggedLine)
      },
    },
  }
}
