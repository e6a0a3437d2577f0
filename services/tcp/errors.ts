/**
 * The TCP service's error catalogue. On the wire every error is one line,
 * `ERR <CODE> <message>\n`; clients match on CODE.
 */
export const TcpErrorCode = {
  /**
   * the server is at TCP_MAX_CONNECTIONS (the connection is closed after this line), or at
   * TCP_MEMORY_BUDGET_BYTES (the cmd line was not run; the connection stays usable)
   */
  BUSY: 'BUSY',
  /** a cmd line exceeded TCP_MAX_LINE_BYTES; the connection stays usable */
  LINE_TOO_LONG: 'LINE_TOO_LONG',
  /** the first word of a cmd line is not a command (see HELP) */
  UNKNOWN_COMMAND: 'UNKNOWN_COMMAND',
  /** the command's argument is missing or out of range */
  BAD_ARGUMENT: 'BAD_ARGUMENT',
  /** no traffic for TCP_IDLE_TIMEOUT_MS; the connection is closed after this line */
  IDLE_TIMEOUT: 'IDLE_TIMEOUT',
  /** the server is draining for shutdown; the connection is closed after this line */
  SHUTTING_DOWN: 'SHUTTING_DOWN',
  /** a hello-port message is not valid UTF-8 (seed 002 decodes it); the connection is closed after this line */
  BAD_UTF8: 'BAD_UTF8',
} as const

export type TcpErrorCode = (typeof TcpErrorCode)[keyof typeof TcpErrorCode]

/** errLine formats an error the one way the TCP protocols write it. */
export function errLine(code: TcpErrorCode, message: string): string {
  return `ERR ${code} ${message}\n`
}
