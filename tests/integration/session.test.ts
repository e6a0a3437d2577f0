/**
 * The interactive session in a real pseudo-terminal, run the way a user runs it:
 * `docker compose run --rm --no-deps client` on the real docker-compose.yml (its own project
 * name, random host ports), typed into through tests/support/pty-host.py. It proves
 * what a shell user expects: Tab completes a proxy name fetched from the faults API; `tcp echo`
 * with no text prompts for one line and leaves the session usable; Ctrl-C stops a probe and
 * prints its figures so far; a line typed during a command runs after it; history (never an
 * authkey) reaches the next session through the volume, with Up and Ctrl-R; and a closed
 * terminal, a SIGHUP or a killed `docker compose run` leaves no client container behind.
 */
import { execFile } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ComposeProject, randomHostPorts, repoRoot } from '../soak/compose-project.ts'
import { Terminal } from '../support/terminal.ts'

const run = promisify(execFile)
const project = new ComposeProject('netlab-session', process.env)
const env = { ...process.env, ...randomHostPorts(), COMPOSE_PROJECT_NAME: project.name }
const marker = `marker-${randomUUID().slice(0, 8)}`
const PROMPT = 'netlab> '

const open: Terminal[] = []

/**
 * openSession starts `docker compose run --rm --no-deps client` in a terminal and waits for
 * the prompt. `--no-deps`: the services the session talks to are up already, and the HTTP
 * service it does not need stays down (compose.test.ts runs the command with its dependencies).
 */
async function openSession(): Promise<Session> {
  const before = new Set(await clientContainers())
  const command = ['docker', 'compose', '-p', project.name, 'run', '--rm', '--no-deps', 'client']
  const terminal = Terminal.open(command, env, repoRoot)
  open.push(terminal)
  await terminal.waitFor(PROMPT, 60_000)
  const container = (await clientContainers()).find((id) => !before.has(id))
  if (!container) throw new Error('no client container for the new session')
  return { terminal, container }
}

/** clientContainers lists this project's `run` containers, running or not. */
async function clientContainers(): Promise<string[]> {
  const { stdout } = await run('docker', [
    'ps',
    '-a',
    '-q',
    '--no-trunc',
    '--filter',
    `label=com.docker.compose.project=${project.name}`,
    '--filter',
    'label=com.docker.compose.oneoff=True',
  ])
  return stdout.split('\n').filter(Boolean)
}

/** Session is a terminal running `docker compose run --rm client`, and that run's container. */
interface Session {
  readonly terminal: Terminal
  readonly container: string
}

/** goneWithin polls until `container` no longer exists; rejects after `ms`. */
async function goneWithin(container: string, ms: number): Promise<void> {
  const started = performance.now()
  while ((await clientContainers()).includes(container)) {
    if (performance.now() - started > ms)
      throw new Error(`client container ${container} still exists after ${ms} ms`)
    await new Promise((r) => setTimeout(r, 250))
  }
}

/** tab types `line` and Tab until the terminal shows `completed` (a slow faults API is asked again). */
async function tab(t: Terminal, line: string, completed: string): Promise<void> {
  t.type(line)
  for (let attempt = 1; ; attempt++) {
    t.type('\t')
    try {
      await t.waitFor(completed, 5000)
      return
    } catch (err) {
      if (attempt === 3) throw err
    }
  }
}

describe('the interactive session in a terminal', { timeout: 60_000 }, () => {
  beforeAll(async () => {
    await project.up(['tcp', 'udp', 'rpc', 'faults'])
  }, 120_000)
  afterAll(async () => {
    // SESSION_TRANSCRIPT=file keeps what each terminal showed (escape sequences removed)
    const transcript = process.env.SESSION_TRANSCRIPT
    if (transcript)
      writeFileSync(transcript, open.map((t, i) => `===== terminal ${i + 1}\n${t.text}\n`).join(''))
    for (const t of open) t.kill()
    // a run container still removing itself (--rm) can make the first `down` fail: once more
    await project.down().catch(() => project.down())
  })

  it('completes, prompts for `tcp echo` text, stops a probe on Ctrl-C, keeps type-ahead, keeps secrets out of history', async () => {
    const { terminal: t } = await openSession()

    // Tab completes a proxy name, fetched from the faults API
    await tab(t, 'faults add tcp-u', 'faults add tcp-upper ')
    t.type('\x15') // Ctrl-U: give the line up

    // `tcp echo` with no text prompts for one line; the session goes on after it
    t.type('tcp echo\r')
    await t.waitFor("tcp echo's text, one line (Enter sends, Ctrl-C cancels): ")
    t.type('from the prompt\r')
    expect(await t.waitFor(PROMPT)).toContain('from the prompt\nfrom the prompt\n')
    t.type('tcp upper after\r')
    expect(await t.waitFor(PROMPT)).toContain('AFTER\n')

    // Ctrl-C stops a 20 s probe: its figures so far on one line, then the prompt
    t.type('udp probe --count 20000 --rate 1000\r')
    await t.waitFor(/probe \[.*\] [1-9]\d*\/20000 sent/)
    const pressed = performance.now()
    t.type('\x03')
    const summary = await t.waitFor(PROMPT)
    expect(performance.now() - pressed).toBeLessThan(5000) // not the 20 s the probe would take
    const m = /interrupted: udp probe udp:9000 after .+: sent (\d+) of 20000, received (\d+), lost/.exec(
      summary,
    )
    expect(m, summary).not.toBeNull()
    expect(Number(m?.[1])).toBeLessThan(20000)
    expect(Number(m?.[2])).toBeGreaterThan(0)

    // a line typed while a command runs is kept, shown at the next prompt, and run
    t.type('udp probe --count 800 --rate 1000\r')
    await t.waitFor(/probe \[.*\] \d+\/800 sent/)
    t.type('tcp upper typed ahead\r')
    const during = await t.waitFor(/reordered +0/)
    expect(during).not.toContain('typed ahead') // nothing echoed over the progress bar
    expect(await t.waitFor('TYPED AHEAD\n')).toContain(`${PROMPT}tcp upper typed ahead\n`)
    await t.waitFor(PROMPT)

    // an authkey works but is not written to the history file
    t.type('rpc call add 2 3 --via mpconn --authkey peekaboo\r')
    expect(await t.waitFor(PROMPT)).toContain('(not saved in the history file: it carries --authkey)\n5\n')
    t.type(`tcp upper ${marker}\r`)
    await t.waitFor(`${marker.toUpperCase()}\n`)
    t.type('exit\r')
    expect(await t.exited()).toBe('exit 0')
  })

  it('gives the next session the history (Up, Ctrl-R); a closed terminal leaves no container', async () => {
    const { terminal: t, container } = await openSession()
    t.type('\x1b[A') // Up: the previous session's last line
    await t.waitFor(`tcp upper ${marker}`)
    t.type('\x15\x12typed') // Ctrl-U, then Ctrl-R and a search
    await t.waitFor("(reverse-i-search)'typed': tcp upper typed ahead")
    t.type('\r')
    await t.waitFor('TYPED AHEAD\n')

    const { stdout: history } = await project.compose([
      'run',
      '--rm',
      '-T',
      '--no-deps',
      '--entrypoint',
      'node',
      'client',
      '-e',
      "process.stdout.write(require('fs').readFileSync('/history/netlab_history', 'utf8'))",
    ])
    expect(history).toContain(`tcp upper ${marker}\n`)
    expect(history).toContain('tcp upper typed ahead\n')
    expect(history).not.toContain('authkey')

    expect(await t.hangUp()).toBe('exit -1') // docker compose died of the hang-up (SIGHUP)
    await goneWithin(container, 15_000)
  })

  it('ends the client on a SIGHUP into its container, and when `docker compose run` is killed', async () => {
    const hup = await openSession()
    await run('docker', ['kill', '-s', 'SIGHUP', hup.container])
    expect(await hup.terminal.exited()).toBe('exit 129')
    await goneWithin(hup.container, 10_000)

    const killed = await openSession()
    process.kill(await killed.terminal.pid(), 'SIGKILL')
    expect(await killed.terminal.exited()).toBe('exit -9')
    await goneWithin(killed.container, 15_000)
  })

  it('with a script piped in, `tcp echo` with no text is refused with how to pass it, and the script goes on', async () => {
    const child = run('docker', ['compose', '-p', project.name, 'run', '--rm', '-T', '--no-deps', 'client'], {
      cwd: repoRoot,
      env,
    })
    child.child.stdin?.end('tcp echo\ntcp upper still here\nexit\n')
    const { stdout, stderr } = await child
    expect(stderr).toContain(
      "netlab: tcp echo's text is not read from a script piped into the session: put the text on the line",
    )
    expect(stdout).toContain('STILL HERE\n')
  })
})
