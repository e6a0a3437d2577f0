/**
 * netlab's CLI entry point, and the only place in clients/ that handles signals and sets the
 * exit code. With arguments it runs one command; with none it opens the interactive session.
 *
 * Signals (the client container also runs an init as PID 1, `init: true` in compose):
 *   SIGINT            interrupts the command (it prints what it had done; exit 130); a
 *                     second one exits at once. In the session it interrupts the command only.
 *   SIGTERM, SIGHUP   interrupt the command or end the session, and exit (143, 129). A closed
 *                     terminal or a killed `docker compose run` sends no signal into a TTY
 *                     container: the session notices that its terminal stopped answering and
 *                     exits 129 too (session/terminal-watch.ts).
 */
import { buildProgram, commanderExitCode, completeWords, EXIT, stdinContext } from './program.ts'
import { startSession } from './session.ts'

const io = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }
const argv = process.argv.slice(2)
const SIGNAL_EXIT = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 } as const
// A terminal that went away (EIO) or a closed pipe (EPIPE) must not crash the exit path.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined)

/** exitSoon ends the process if the work in flight has not let it end by itself. */
function exitSoon(code: number, afterMs: number): void {
  process.exitCode = code
  setTimeout(() => process.exit(code), afterMs).unref()
}

if (argv.length === 0) {
  const session = startSession(io, process.env)
  process.on('SIGINT', () => session.interrupt())
  for (const signal of ['SIGTERM', 'SIGHUP'] as const)
    process.on(signal, () => {
      session.end()
      exitSoon(SIGNAL_EXIT[signal], 500)
    })
  const why = await session.done
  // a command left running after an interrupt must not keep the session's process alive
  if (why === 'terminal-lost') exitSoon(SIGNAL_EXIT.SIGHUP, 100)
  else exitSoon(process.exitCode === undefined ? EXIT.ok : Number(process.exitCode), 100)
} else if (argv[0] === '__complete') {
  await completeWords(io, process.env, argv.slice(1))
} else {
  const controller = new AbortController()
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
    process.on(signal, () => {
      if (controller.signal.aborted) process.exit(SIGNAL_EXIT[signal])
      controller.abort()
      exitSoon(SIGNAL_EXIT[signal], signal === 'SIGINT' ? 2000 : 500)
    })
  const program = buildProgram(
    io,
    process.env,
    (code) => {
      process.exitCode = code
    },
    { context: stdinContext(process.stdin, controller.signal, process.stderr) },
  )
  try {
    await program.parseAsync(argv, { from: 'user' })
  } catch (err) {
    const code = commanderExitCode(err)
    if (code === undefined) throw err
    process.exitCode = code
  }
}
