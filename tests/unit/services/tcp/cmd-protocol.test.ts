import { describe, expect, it } from 'vitest'
import type { CommandContext } from '../../../../services/tcp/cmd/commands.ts'
import { execute, type ParsedLine, parseLine, replyLine } from '../../../../services/tcp/cmd/protocol.ts'

/** executeLine runs one line and renders its outcome as the wire line (errors through errLine). */
async function executeLine(line: string, ctx: Parameters<typeof execute>[1]) {
  const outcome = await execute(line, ctx)
  return outcome.ok ? outcome : { ok: false as const, reply: replyLine(outcome) }
}

const stats = {
  workers: 2,
  mode: 'reuseport',
  active: 3,
  accepted: 10,
  busyRejected: 1,
  commands: 42,
  commandErrors: 4,
  backpressureCuts: 0,
  acceptedPerWorker: [6, 4],
  memory: { limitBytes: 1000, usedBytes: 10, peakBytes: 20, refusals: 0 },
}

function context(overrides: Partial<CommandContext> = {}): CommandContext {
  return {
    host: 'c0ffee000001',
    worker: 1,
    threadId: 7,
    conn: 42,
    remote: '127.0.0.1:50000',
    maxSleepMs: 50,
    stats: () => stats,
    signal: new AbortController().signal,
    ...overrides,
  }
}

describe('parseLine', () => {
  it.each<{ line: string; expected: ParsedLine }>([
    { line: 'PING', expected: { name: 'PING', arg: '' } },
    { line: 'ping', expected: { name: 'PING', arg: '' } },
    { line: 'Echo hello', expected: { name: 'ECHO', arg: 'hello' } },
    { line: 'ECHO a  b c ', expected: { name: 'ECHO', arg: 'a  b c ' } },
    { line: 'ECHO ', expected: { name: 'ECHO', arg: '' } },
    { line: 'ECHO  lead', expected: { name: 'ECHO', arg: ' lead' } },
    { line: 'upper héllo', expected: { name: 'UPPER', arg: 'héllo' } },
    { line: '', expected: { name: '', arg: '' } },
    { line: ' PING', expected: { name: '', arg: 'PING' } },
  ])('splits $line into $expected.name and its argument', ({ line, expected }) => {
    expect(parseLine(line)).toEqual(expected)
  })
})

describe('execute', () => {
  const help =
    'OK commands: UPPER <text> | ECHO <text> | SLEEP <ms> | TIME | WHOAMI | STATS | PING | HELP | QUIT\n'

  it.each<{ line: string; expected: { ok: boolean; reply: string; close?: boolean } }>([
    { line: 'UPPER hello world', expected: { ok: true, reply: 'OK HELLO WORLD\n' } },
    { line: 'UPPER straße é', expected: { ok: true, reply: 'OK STRASSE É\n' } },
    { line: 'upper mixed Case', expected: { ok: true, reply: 'OK MIXED CASE\n' } },
    {
      line: 'UPPER',
      expected: { ok: false, reply: 'ERR BAD_ARGUMENT UPPER needs an argument; try HELP\n' },
    },
    {
      line: 'UPPER ',
      expected: { ok: false, reply: 'ERR BAD_ARGUMENT UPPER needs an argument; try HELP\n' },
    },
    { line: 'ECHO keep  Inner  spaces', expected: { ok: true, reply: 'OK keep  Inner  spaces\n' } },
    { line: 'ECHO', expected: { ok: true, reply: 'OK\n' } },
    { line: 'echo x', expected: { ok: true, reply: 'OK x\n' } },
    { line: 'PING', expected: { ok: true, reply: 'OK PONG\n' } },
    { line: 'ping', expected: { ok: true, reply: 'OK PONG\n' } },
    { line: 'PING ignored', expected: { ok: true, reply: 'OK PONG\n' } },
    {
      line: 'WHOAMI',
      expected: {
        ok: true,
        reply: 'OK host=c0ffee000001 worker=1 thread=7 conn=42 remote=127.0.0.1:50000\n',
      },
    },
    { line: 'STATS', expected: { ok: true, reply: `OK ${JSON.stringify(stats)}\n` } },
    { line: 'HELP', expected: { ok: true, reply: help } },
    { line: 'help', expected: { ok: true, reply: help } },
    { line: 'QUIT', expected: { ok: true, reply: 'OK bye\n', close: true } },
    { line: 'quit', expected: { ok: true, reply: 'OK bye\n', close: true } },
    {
      line: 'FROB x',
      expected: { ok: false, reply: 'ERR UNKNOWN_COMMAND unknown command "FROB"; try HELP\n' },
    },
    {
      line: 'frob',
      expected: { ok: false, reply: 'ERR UNKNOWN_COMMAND unknown command "FROB"; try HELP\n' },
    },
    {
      line: `${'A'.repeat(40)} x`,
      expected: {
        ok: false,
        reply: `ERR UNKNOWN_COMMAND unknown command "${'A'.repeat(32)}..."; try HELP\n`,
      },
    },
    {
      line: 'SAY "hi"',
      expected: { ok: false, reply: 'ERR UNKNOWN_COMMAND unknown command "SAY"; try HELP\n' },
    },
    {
      line: 'constructor',
      expected: { ok: false, reply: 'ERR UNKNOWN_COMMAND unknown command "CONSTRUCTOR"; try HELP\n' },
    },
    {
      line: '__proto__',
      expected: { ok: false, reply: 'ERR UNKNOWN_COMMAND unknown command "__PROTO__"; try HELP\n' },
    },
    {
      line: 'hasOwnProperty',
      expected: { ok: false, reply: 'ERR UNKNOWN_COMMAND unknown command "HASOWNPROPERTY"; try HELP\n' },
    },
  ])('answers $line with $expected.reply', async ({ line, expected }) => {
    expect(await executeLine(line, context())).toEqual(expected)
  })

  it('lists every command in HELP, each by its usage', async () => {
    const { reply } = await executeLine('HELP', context())
    const names = reply
      .slice('OK commands: '.length, -1)
      .split(' | ')
      .map((usage) => usage.split(' ')[0])
    expect(names).toEqual(['UPPER', 'ECHO', 'SLEEP', 'TIME', 'WHOAMI', 'STATS', 'PING', 'HELP', 'QUIT'])
    for (const name of names) {
      expect((await executeLine(`${name} x`, context())).reply).not.toMatch(/^ERR UNKNOWN_COMMAND/)
    }
  })

  it('answers STATS with one JSON object equal to the snapshot', async () => {
    const { reply } = await executeLine('STATS', context())
    expect(reply).toMatch(/^OK \{.*\}\n$/)
    expect(JSON.parse(reply.slice(3))).toEqual(stats)
  })

  it("answers TIME with the server's clock in ISO 8601 UTC", async () => {
    const before = Date.now()
    const { ok, reply } = await executeLine('TIME', context())
    const after = Date.now()
    expect(ok).toBe(true)
    expect(reply).toMatch(/^OK \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z\n$/)
    const at = Date.parse(reply.slice(3, -1))
    expect(at).toBeGreaterThanOrEqual(before)
    expect(at).toBeLessThanOrEqual(after)
  })

  it.each(['0', '1', '50', '050'])('SLEEP %s waits that long and reports it', async (arg) => {
    const started = performance.now()
    const result = await executeLine(`SLEEP ${arg}`, context())
    const elapsed = performance.now() - started
    expect(result).toEqual({ ok: true, reply: expect.stringMatching(/^OK slept \d+\n$/) })
    const slept = Number(result.reply.slice('OK slept '.length, -1))
    expect(slept).toBeGreaterThanOrEqual(Number(arg) - 1)
    expect(slept).toBeLessThanOrEqual(Math.ceil(elapsed))
  })

  it.each([
    { name: 'above the maximum', arg: '51' },
    { name: 'negative', arg: '-1' },
    { name: 'a fraction', arg: '1.5' },
    { name: 'a word', arg: 'soon' },
    { name: 'missing', arg: '' },
    { name: 'padded', arg: ' 10' },
    { name: 'ten digits', arg: '0000000001' },
  ])('refuses SLEEP with an argument $name', async ({ arg }) => {
    expect(await executeLine(`SLEEP ${arg}`, context())).toEqual({
      ok: false,
      reply: 'ERR BAD_ARGUMENT SLEEP takes milliseconds from 0 to 50\n',
    })
  })

  it('abandons a SLEEP when its connection closes', async () => {
    const aborter = new AbortController()
    const pending = executeLine('SLEEP 50', context({ signal: aborter.signal }))
    aborter.abort()
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' })
  })
})
