/**
 * Fuzz: services/tcp/cmd/protocol.ts. Any line the splitter can deliver gets exactly one
 * reply line, `OK[ text]` or `ERR <CODE> <message>` with a documented code, and known
 * commands do what docs/tcp.md says for any argument.
 */
import fc from 'fast-check'
import { describe, it } from 'vitest'
import { LineSplitter } from '../../../protocols/line-splitter.ts'
import type { CommandContext } from '../../../services/tcp/cmd/commands.ts'
import { execute, parseLine, replyLine } from '../../../services/tcp/cmd/protocol.ts'
import { check, checkAsync } from '../../support/fuzz-budget.ts'
import { cut, cutPoints, hostile } from '../../support/mutate.ts'

/** executeLine runs one line and renders its outcome as the wire line (errors through errLine). */
async function executeLine(line: string, ctx: Parameters<typeof execute>[1]) {
  const outcome = await execute(line, ctx)
  return outcome.ok ? outcome : { ok: false as const, reply: replyLine(outcome) }
}

const ctx: CommandContext = {
  host: 'fuzz',
  worker: 1,
  threadId: 2,
  conn: 3,
  remote: '127.0.0.1:4000',
  maxSleepMs: 3,
  stats: () => ({
    workers: 1,
    mode: 'single',
    active: 1,
    accepted: 1,
    busyRejected: 0,
    commands: 0,
    commandErrors: 0,
    backpressureCuts: 0,
    acceptedPerWorker: [1],
    memory: { limitBytes: 1000, usedBytes: 0, peakBytes: 0, refusals: 0 },
  }),
  signal: new AbortController().signal,
}

const NAMES = ['UPPER', 'ECHO', 'SLEEP', 'TIME', 'WHOAMI', 'STATS', 'PING', 'HELP', 'QUIT']
/** One reply line: OK with optional text, or ERR with a cmd error code and a message. */
const REPLY = /^(OK( [^\n]*)?|ERR (UNKNOWN_COMMAND|BAD_ARGUMENT) [^\n]+)\n$/u

const anyCase = (name: string) =>
  fc
    .array(fc.boolean(), { minLength: name.length, maxLength: name.length })
    .map((flags) => [...name].map((c, i) => (flags[i] ? c.toLowerCase() : c)).join(''))

/** request lines: a command in any case and any argument, or anything at all (no `\n`) */
const requestLine = fc
  .oneof(
    fc
      .tuple(
        fc.constantFrom(...NAMES).chain(anyCase),
        fc.option(fc.string({ unit: 'grapheme', maxLength: 30 })),
      )
      .map(([name, arg]) => (arg === null ? name : `${name} ${arg}`)),
    fc.string({ unit: 'binary', maxLength: 60 }),
  )
  .map((s) => s.replaceAll('\n', ' '))

describe('fuzz: cmd protocol', () => {
  it('answers every line with exactly one well-formed reply line', async () => {
    await checkAsync(
      'cmd-protocol',
      'one reply per line',
      fc.asyncProperty(requestLine, async (line) => {
        const result = await executeLine(line, ctx)
        if (!REPLY.test(result.reply)) throw new Error(`bad reply ${JSON.stringify(result.reply)}`)
        if (result.ok !== result.reply.startsWith('OK')) throw new Error('ok flag disagrees with the reply')
        const { name, arg } = parseLine(line)
        if (name === 'UPPER' && arg !== '' && result.reply !== `OK ${arg.toUpperCase()}\n`)
          throw new Error('UPPER did not upper-case')
        if (name === 'ECHO' && result.reply !== (arg === '' ? 'OK\n' : `OK ${arg}\n`))
          throw new Error('ECHO changed its argument')
        if (!NAMES.includes(name) && !result.reply.startsWith('ERR UNKNOWN_COMMAND '))
          throw new Error('an unknown command was not refused')
      }),
    )
  })

  it('parseLine keeps the argument exactly and upper-cases only the name', () => {
    check(
      'cmd-protocol',
      'parseLine',
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (line) => {
        const { name, arg } = parseLine(line)
        const space = line.indexOf(' ')
        const rawName = space === -1 ? line : line.slice(0, space)
        if (name !== rawName.toUpperCase()) throw new Error('name is not the upper-cased first word')
        if (space !== -1 && arg !== line.slice(space + 1)) throw new Error('argument changed')
      }),
    )
  })

  it('a hostile byte stream, cut anywhere, gets one reply per non-empty line', async () => {
    const stream = fc
      .array(requestLine, { maxLength: 8 })
      .map((lines) => Buffer.from(lines.map((l) => `${l}\r\n`).join('')))
    await checkAsync(
      'cmd-protocol',
      'stream',
      fc.asyncProperty(hostile(stream), cutPoints, async (bytes, points) => {
        const splitter = new LineSplitter({ maxLineBytes: 64 })
        let replies = 0
        let lines = 0
        for (const chunk of cut(bytes, points))
          for (const event of splitter.push(chunk)) {
            if (event === '') continue
            lines++
            if (typeof event !== 'string') {
              replies++
              continue
            }
            const r = await executeLine(event, ctx)
            if (REPLY.test(r.reply)) replies++
          }
        if (replies !== lines) throw new Error(`${lines} lines got ${replies} well-formed replies`)
      }),
      0.5,
    )
  })
})
