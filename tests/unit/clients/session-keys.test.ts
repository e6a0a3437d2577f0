/**
 * The session's keyboard router: which keys reach readline, which wait as type-ahead while
 * a command runs, Ctrl-C, Ctrl-R's history search and a command's one-line prompt.
 */
import { describe, expect, it } from 'vitest'
import { type Key, KeyRouter, MAX_TYPE_AHEAD } from '../../../clients/cli/session/keys.ts'

function setup(history: readonly string[] = []) {
  const forwarded: string[] = []
  const written: string[] = []
  let interrupts = 0
  const router = new KeyRouter({
    forward: (s) => forwarded.push(s),
    write: (s) => written.push(s),
    history: () => history,
    line: () => '',
    interrupt: () => {
      interrupts++
    },
  })
  const type = (text: string) => {
    for (const ch of text)
      router.key(ch, ch === '\r' ? { name: 'return', sequence: ch } : { name: ch, sequence: ch })
  }
  const ctrl = (name: string) =>
    router.key(String.fromCharCode(name.charCodeAt(0) - 96), { name, ctrl: true } as Key)
  return { router, forwarded, written, type, ctrl, interrupts: () => interrupts }
}

describe('KeyRouter', () => {
  it('passes keys to readline at the prompt, and holds those after Enter until the next prompt', () => {
    const t = setup()
    t.router.prompt()
    t.type('udp probe\rtcp upper x\rtcp u')
    expect(t.forwarded.join('')).toBe('udp probe\r')
    expect(t.router.mode).toBe('running')
    t.router.prompt() // the probe ended: one more line comes out of the type-ahead
    expect(t.forwarded.join('')).toBe('udp probe\rtcp upper x\r')
    t.router.prompt()
    expect(t.forwarded.join('')).toBe('udp probe\rtcp upper x\rtcp u')
    expect(t.router.mode).toBe('prompt')
  })

  it('interrupts the running command on Ctrl-C and keeps the rest of the type-ahead', () => {
    const t = setup()
    t.router.running()
    t.type('tcp upper after\r')
    t.ctrl('c')
    expect(t.interrupts()).toBe(1)
    t.router.prompt()
    expect(t.forwarded.join('')).toBe('tcp upper after\r')
  })

  it('clears the line on Ctrl-C at the prompt, as a shell does', () => {
    const t = setup()
    t.router.prompt()
    t.type('tcp up')
    t.ctrl('c')
    expect(t.written).toEqual(['^C\r\n'])
    expect(t.forwarded.at(-1)).toBe('\x01\x0b')
    expect(t.interrupts()).toBe(0)
  })

  it('counts the type-ahead it drops beyond its bound', () => {
    const t = setup()
    t.router.running()
    t.type('x'.repeat(MAX_TYPE_AHEAD + 5))
    expect(t.router.takeDropped()).toBe(5)
    expect(t.router.takeDropped()).toBe(0)
  })

  it('searches the history with Ctrl-R: narrows, goes older, runs the match on Enter', () => {
    const t = setup(['tcp upper newest', 'udp probe --count 10', 'tcp upper oldest'])
    t.router.prompt()
    t.ctrl('r')
    t.type('upper')
    expect(t.written.at(-1)).toBe("\r\x1b[2K(reverse-i-search)'upper': tcp upper newest")
    t.ctrl('r')
    expect(t.written.at(-1)).toBe("\r\x1b[2K(reverse-i-search)'upper': tcp upper oldest")
    t.ctrl('r')
    expect(t.written.at(-1)).toContain('failed reverse-i-search')
    t.type('\r')
    expect(t.forwarded.at(-1)).toBe('\x01\x0btcp upper oldest\r')
    expect(t.router.mode).toBe('running')
  })

  it('gives up the search on Ctrl-G, restoring the line', () => {
    const t = setup(['tcp upper x'])
    t.router.prompt()
    t.ctrl('r')
    t.type('tcp')
    t.ctrl('g')
    expect(t.forwarded.at(-1)).toBe('\x01\x0b')
    expect(t.router.mode).toBe('prompt')
  })

  it("reads a command's one line, type-ahead first; Ctrl-C rejects it and interrupts", async () => {
    const t = setup()
    t.router.running()
    t.type('hel')
    const line = t.router.ask('text: ')
    t.type('lo\r')
    await expect(line).resolves.toBe('hello')
    expect(t.written.join('')).toBe('text: hello\r\n')
    const cancelled = t.router.ask('text: ')
    t.ctrl('c')
    await expect(cancelled).rejects.toMatchObject({ code: 'INTERRUPTED' })
    expect(t.interrupts()).toBe(1)
  })
})
