/**
 * The TCP service's error catalogue. On the wire every error is one line,
 * `ERR <CODE> <message>\n` (errLine, the one writer); clients match on CODE.
 * docs/errors/tcp.md is this table rendered (scripts/error-table.ts).
 */
import type { ErrorCatalogue } from '../../lib/error-catalogue.ts'

export const TCP_ERRORS = {
  BUSY: {
    meaning:
      'the server is at TCP_MAX_CONNECTIONS (the connection is closed after this line), or at TCP_MEMORY_BUDGET_BYTES (the cmd line was not run; the connection stays usable)',
    action: 'retry later',
  },
  LINE_TOO_LONG: {
    meaning: 'a cmd line exceeded TCP_MAX_LINE_BYTES; the connection stays usable',
    action: 'send shorter lines',
  },
  UNKNOWN_COMMAND: {
    meaning: 'the first word of a cmd line is not a command',
    action: 'send HELP for the list',
  },
  BAD_ARGUMENT: {
    meaning: 'the command’s argument is missing or out of range',
    action: 'see the usage HELP gives for the command',
  },
  IDLE_TIMEOUT: {
    meaning: 'no traffic for TCP_IDLE_TIMEOUT_MS; the connection is closed after this line',
    action: 'reconnect; send something (PING) more often',
  },
  SHUTTING_DOWN: {
    meaning: 'the server is draining for shutdown; the connection is closed after this line',
    action: 'reconnect after the restart, or to another replica',
  },
  BAD_UTF8: {
    meaning:
      'a hello-port message is not valid UTF-8 (seed 002 decodes it); the connection is closed after this line',
    action: 'send UTF-8 text',
  },
} as const satisfies ErrorCatalogue

export type TcpErrorCode = keyof typeof TCP_ERRORS

/** TcpErrorCode.X is the code X, spelled once (TcpErrorCode.BUSY === 'BUSY'). */
export const TcpErrorCode: { readonly [K in TcpErrorCode]: K } = Object.freeze(
  Object.fromEntries(Object.keys(TCP_ERRORS).map((k) => [k, k])) as { [K in TcpErrorCode]: K },
)

/** errLine formats an error the one way the TCP protocols write it. */
export function errLine(code: TcpErrorCode, message: string): string {
  return `ERR ${code} ${message}\n`
}
