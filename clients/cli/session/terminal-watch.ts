/**
 * Is anyone still at the terminal? In a container with a TTY, Docker never closes the
 * session's input when the `docker compose run` attached to it dies (killed, or its terminal
 * closed): the client would wait at its prompt forever, and the container with it. So the
 * session asks the terminal where its cursor is (DSR, `ESC [ 6 n`) every `intervalMs`; a
 * terminal answers `ESC [ row ; col R` on the input. Once one answer has come (a terminal
 * that never answers is never judged), `timeoutMs` without another means the terminal is
 * gone, and the session ends.
 */

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

// biome-ignore lint/suspicious/noControlCharactersInRegex: ESC starts the terminal's report
const REPORTS = /\x1b\[\d+;\d+R/g
// biome-ignore lint/suspicious/noControlCharactersInRegex: the start of a report cut by a read
const REPORT_START = /\x1b(\[(\d+(;\d*)?)?)?$/

/**
 * takeReports takes the terminal's cursor reports off the input before Node's key parser sees
 * it: that parser reads `ESC [ 3 ; 10 R` (a column of two digits) as a key `ESC [ 3 ; 10` and a
 * typed `R`, which would land on the prompt. A report cut at the end of a read is held (in
 * `held`) and joined to the next; `count` is how many whole reports the chunk carried.
 */
export function takeReports(held: string, chunk: string): { keys: string; held: string; count: number } {
  const text = held + chunk
  let count = 0
  const rest = text.replace(REPORTS, () => {
    count++
    return ''
  })
  const cut = REPORT_START.exec(rest)
  // a lone ESC (the Escape key) is a key, not the start of a report: only `ESC [` is held
  if (cut && cut[0].length > 1) return { keys: rest.slice(0, cut.index), held: cut[0], count }
  return { keys: rest, held: '', count }
}
