/** The session's history file: shared, bounded, and never holding a secret. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { HistoryFile, secretIn } from '../../../clients/cli/session/history.ts'
import { splitWords } from '../../../clients/cli/session/words.ts'

const dir = mkdtempSync(join(tmpdir(), 'netlab-history-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const secret = (line: string) => secretIn(line, splitWords(line))

describe('history', () => {
  it.each([
    ['rpc call add 1 2 --via mpconn --authkey s3cret', 'it carries --authkey'],
    ['rpc kv get k --via mpconn --authkey=s3cret', 'it carries --authkey'],
    ["http get /bearer -H 'Authorization: Bearer abc'", 'it carries a credential header'],
    ['http get /cookies --header "cookie: a=b"', 'it carries a credential header'],
    ['http get http://user:pw@http:8080/get', 'it carries a URL with a password'],
    [' tcp upper private', 'it starts with a space'],
  ])('never writes %j (%s)', (line, why) => {
    expect(secret(line)).toBe(why)
  })

  it.each([
    'tcp upper hello',
    "http get /get -H 'X-Trace: 1'",
    'http get http://http:8080/basic-auth/u/p',
    'rpc call add 1 2',
  ])('writes %j', (line) => {
    expect(secret(line)).toBeUndefined()
  })

  it('appends lines as they run, shares them with the next session, and skips secrets', () => {
    const file = join(dir, 'shared')
    const a = new HistoryFile(file, 100)
    expect(a.add('tcp upper one', ['tcp', 'upper', 'one'])).toEqual({ saved: true })
    const withKey = 'rpc call add 1 2 --authkey k'
    expect(a.add(withKey, splitWords(withKey))).toEqual({ saved: false, secret: 'it carries --authkey' })
    const b = new HistoryFile(file, 100)
    b.add('tcp upper two', ['tcp', 'upper', 'two'])
    expect(new HistoryFile(file, 100).load()).toEqual(['tcp upper two', 'tcp upper one'])
    expect(readFileSync(file, 'utf8')).not.toContain('--authkey')
  })

  it('keeps the newest `size` lines, cutting the file back once it holds twice as many', () => {
    const file = join(dir, 'bounded')
    writeFileSync(file, Array.from({ length: 25 }, (_, i) => `line ${i}\n`).join(''))
    const h = new HistoryFile(file, 10)
    expect(h.load()).toEqual(Array.from({ length: 10 }, (_, i) => `line ${24 - i}`))
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(10)
  })

  it('goes on without a file when none is configured or it cannot be written', () => {
    expect(new HistoryFile(undefined, 10).add('tcp upper x', ['tcp'])).toEqual({ saved: false })
    const readOnly = new HistoryFile(join(dir, 'no', 'such', 'dir', 'h'), 10)
    expect(readOnly.load()).toEqual([])
    expect(readOnly.add('tcp upper x', ['tcp'])).toEqual({ saved: false })
  })
})
