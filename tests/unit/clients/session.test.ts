/**
 * The session wired end to end, in-process on a fake terminal (a raw-mode stdin that takes
 * keys, a TTY stdout), against TCP servers on loopback: the one-line prompt of `tcp echo`,
 * Ctrl-C closing a connection that would otherwise wait 10 minutes for a reply, type-ahead run after it,
 * Tab, and Ctrl-D. The same behaviour through Docker and a real pty: tests/integration/session.test.ts.
 */
import { once } from 'node:events'
import { createServer, type Server, type Socket } from 'node:net'
import { PassThrough } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSession } from '../../../clients/cli/session.ts'
import { Capture } from '../../support/cli-harness.ts'

// biome-ignore lint/suspicious/noControlCharactersInRegex: ESC starts each sequence
const plain = (s: string) => s.replace(/\x1b\[[0-?]*[ -/]*[@-~]/g, '').replace(/\r/g, '')

async function listen(onConnection: (socket: Socket) => void): Promise<Server> {
  const server = createServer(onConnection)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return server
}
const portOf = (s: Server) => (s.address() as { port: number }).port

describe('session on a terminal', () => {
  let echo: Server
  let silent: Server
  const silentClosed: Promise<unknown>[] = []
  beforeAll(async () => {
    echo = await listen((socket) => socket.pipe(socket))
    // accepts and never answers: only an interrupt ends a request to it
    silent = await listen((socket) => {
      silentClosed.push(once(socket, 'close'))
      socket.resume()
    })
    return () => {
      echo.close()
      silent.close()
    }
  })
  afterAll(() => undefined)

  it('prompts for tcp echo text, interrupts on Ctrl-C, runs type-ahead after, completes on Tab, leaves on Ctrl-D', async () => {
    const stdin = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => undefined })
    const stdout = new Capture(true)
    const env = {
      NETLAB_TCP_HOST: '127.0.0.1',
      TCP_ECHO_HOST_PORT: String(portOf(echo)),
      TCP_CMD_HOST_PORT: String(portOf(silent)),
    }
    const session = startSession({ stdin, stdout, stderr: stdout }, env)
    let seen = 0
    const waitFor = async (text: string) => {
      for (let i = 0; i < 200; i++) {
        const at = plain(stdout.text).indexOf(text, seen)
        if (at >= 0) {
          const upTo = plain(stdout.text).slice(seen, at + text.length)
          seen = at + text.length
          return upTo
        }
        await new Promise((r) => setTimeout(r, 10))
      }
      throw new Error(`no ${JSON.stringify(text)} in:\n${plain(stdout.text).slice(seen)}`)
    }
    await waitFor('netlab> ')

    stdin.write('tcp echo\r')
    await waitFor("tcp echo's text, one line (Enter sends, Ctrl-C cancels): ")
    stdin.write('hello\r')
    expect(await waitFor('netlab> ')).toBe('hello\nhello\nnetlab> ')

    stdin.write('tcp cmd --timeout 600000 PING\r')
    await new Promise((r) => setTimeout(r, 100))
    stdin.write('tcp echo typed ahead\r')
    const pressed = performance.now()
    stdin.write('\x03')
    const interrupted = await waitFor('netlab> ')
    expect(performance.now() - pressed).toBeLessThan(1000)
    expect(interrupted).toMatch(
      /^tcp cmd --timeout 600000 PING\nnetlab: interrupted: 127\.0\.0\.1:\d+ after [\d.]+ s, 5 bytes sent, 0 received; connection closed\nnetlab> $/,
    )
    await Promise.all(silentClosed)
    expect(await waitFor('netlab> ')).toBe('tcp echo typed ahead\ntyped ahead\nnetlab> ')

    // the terminal's cursor reports (the session's watch asks for them) are never typed keys,
    // whatever the column, and whether they come whole or cut by a read
    stdin.write('tcp echo re\x1b[3;10R\x1b[3;12Rp\x1b[40;1')
    stdin.write('20Rorts\r')
    expect(await waitFor('netlab> ')).toBe('tcp echo reports\nreports\nnetlab> ')

    stdin.write('tcp u\t')
    await waitFor('tcp upper ')
    stdin.write('\x15\x04')
    await expect(session.done).resolves.toBe('ended')
  })
})
