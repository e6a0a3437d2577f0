/**
 * netlab's CLI entry point, and the only place in clients/ that sets the exit code.
 * With arguments it runs one command; with none it opens the interactive session.
 */
import { buildProgram, commanderExitCode } from './program.ts'
import { runSession } from './session.ts'

const io = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }
const argv = process.argv.slice(2)

if (argv.length === 0) {
  await runSession(io, process.env)
} else {
  const program = buildProgram(io, process.env, (code) => {
    process.exitCode = code
  })
  try {
    await program.parseAsync(argv, { from: 'user' })
  } catch (err) {
    const code = commanderExitCode(err)
    if (code === undefined) throw err
    process.exitCode = code
  }
}
