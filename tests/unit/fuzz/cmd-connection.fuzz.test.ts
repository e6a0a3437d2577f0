/**
 * Fuzz: the cmd protocol on a real loopback connection to the TCP service in-process
 * (services/tcp: worker listener, Conn, cmdHandler). A hostile stream, cut into random chunks and
 * then half-closed, gets exactly one well-formed reply line per non-empty line, in order,
 * up to and including a QUIT, and then the server closes the connection.
 */
import { once } from 'node:events'
import { connect } from 'node:net'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { createLogger } from '../../../lib/log.ts'
import { LineSplitter } from '../../../protocols/line-splitter.ts'
import { parseLine } from '../../../services/tcp/cmd/protocol.ts'
import { loadTcpConfig, tcpConfigSpec } from '../../../services/tcp/config.ts'
import { startTcpService, type TcpService } from '../../../services/tcp/server.ts'
import { freePorts } from '../../support/free-ports.ts'
import { checkAsync } from '../../support/fuzz-budget.ts'
import { cut, cutPoints, hostile } from '../../support/mutate.ts'

const MAX_LINE = 64
const REPLY = /^(OK( [^\n]*)?|ERR (UNKNOWN_COMMAND|BAD_ARGUMENT|LINE_TOO_LONG) [^\n]+)$/u
/** expectedReplies is how many replies the stream is owed: one per non-empty line, up to a QUIT. */
function expectedReplies(stream: Buffer): number {
  let n = 0
  for (const event of new LineSplitter({ maxLineBytes: MAX_LINE }).push(stream)) {
    if (event === '') continue
    n++
    if (typeof event === 'string' && parseLine(event).name === 'QUIT') break
  }
  return n
}

const lines = fc
  .array(
    fc.oneof(
      fc.constantFrom('PING', 'TIME', 'HELP', 'WHOAMI', 'STATS', 'SLEEP 1', 'SLEEP 99', 'QUIT', '', 'NOPE'),
      fc.string({ unit: 'grapheme', maxLength: 30 }).map((s) => `ECHO ${s.replaceAll('\n', ' ')}`),
      fc.string({ unit: 'grapheme', maxLength: 30 }).map((s) => `upper ${s.replaceAll('\n', ' ')}`),
    ),
    { maxLength: 10 },
  )
  .map((ls) => Buffer.from(ls.map((l) => `${l}\r\n`).join('')))

describe('fuzz: cmd protocol over a connection', () => {
  let svc: TcpService
  let port = 0
  beforeAll(async () => {
    const config = loadTcpConfig({
      TCP_HOST: '127.0.0.1',
      ...freePorts(tcpConfigSpec),
      TCP_WORKERS: '1',
      LOG_LEVEL: 'silent', // the worker threads log with the config's level
      TCP_MAX_LINE_BYTES: String(MAX_LINE),
      TCP_MAX_SLEEP_MS: '5',
    })
    svc = await startTcpService(config, createLogger('tcp', 'silent'))
    port = svc.ports.cmd
  })
  afterAll(() => svc?.close())

  it('answers every line once, in order, up to QUIT, then closes', async () => {
    await checkAsync(
      'cmd-protocol',
      'connection',
      fc.asyncProperty(hostile(lines), cutPoints, async (stream, points) => {
        const socket = connect({ host: '127.0.0.1', port })
        const chunks: Buffer[] = []
        socket.on('data', (c: Buffer) => chunks.push(c))
        const closed = once(socket, 'close')
        const timer = setTimeout(() => socket.destroy(new Error('no close within 5 s')), 5000)
        try {
          await once(socket, 'connect')
          for (const c of cut(stream, points)) socket.write(c)
          socket.end()
          await closed
        } finally {
          clearTimeout(timer)
        }
        const replies = Buffer.concat(chunks).toString('utf8').split('\n')
        if (replies.pop() !== '') throw new Error('the last reply has no newline')
        const want = expectedReplies(stream)
        if (replies.length !== want) throw new Error(`${replies.length} replies to ${want} lines`)
        const bad = replies.find((r) => !REPLY.test(r))
        if (bad !== undefined) throw new Error(`malformed reply ${JSON.stringify(bad)}`)
      }),
      0.25,
    )
  })
})
