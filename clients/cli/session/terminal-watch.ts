/**
 * Is anyone still at the terminal? In a container with a TTY, Docker never closes the
 * session's input when the `docker compose run` attached to it dies (killed, or its terminal
 * closed): the client would wait at its prompt forever, and the container with it. So the
 * session asks the terminal where its cursor is (DSR, `ESC [ 6 n`) every `intervalMs`; a
 * terminal answers `ESC [ row ; col R` on the input. Once one answer has come (a terminal
 * that never answers is never judged), `timeoutMs` without another means the terminal is
 * gone, and the session ends.
 */

/** A cursor position report, the terminal's answer (ECMA-48 CPR). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: ESC starts the terminal's report
export const CURSOR_REPORT = /^\x1b\[\d+;\d+R$/

/** The defaults: ask every 2 s; gone after 6 s without an answer. */
export const TERMINAL_WATCH = { intervalMs: 2000, timeoutMs: 6000 } as const

/** TerminalWatch asks and listens; `answered` is called with each report seen on the input. */
export interface TerminalWatch {
  answered(): void
  stop(): void
}

/** watchTerminal starts asking; `lost` is called once if the terminal stops answering. */
export function watchTerminal(
  ask: () => void,
  lost: () => void,
  opts: { intervalMs: number; timeoutMs: number } = TERMINAL_WATCH,
): TerminalWatch {
  let lastAnswer: number | undefined
  const timer = setInterval(() => {
    if (lastAnswer !== undefined && performance.now() - lastAnswer > opts.timeoutMs) {
      clearInterval(timer)
      lost()
      return
    }
    ask()
  }, opts.intervalMs)
  timer.unref()
  ask()
  return {
    answered: () => {
      lastAnswer = performance.now()
    },
    stop: () => clearInterval(timer),
  }
}
