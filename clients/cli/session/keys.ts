/**
 * The session's keyboard, on a terminal. Every key from the raw-mode terminal comes here
 * first; what happens to it depends on what the session is doing:
 *
 *   prompt    the key goes on to readline (editing, arrows, history, Tab), except
 *             Ctrl-C (clear the line, as a shell does), Ctrl-R (history search) and Ctrl-Z
 *   search    Ctrl-R's reverse-i-search: typing narrows, Ctrl-R finds an older match,
 *             Enter runs the match, Ctrl-C or Ctrl-G gives up, any other key edits the match
 *   running   a command runs: Ctrl-C interrupts it; every other key is kept (type-ahead,
 *             nothing echoed, so it never mixes with the command's output or progress bar)
 *             and replayed at the next prompt, one line at a time
 *   asking    a command reads one line (`tcp echo` with no text): a small line editor
 *
 * Type-ahead is bounded (MAX_TYPE_AHEAD keys); keys beyond are dropped and counted, and the
 * session says so once the command ends.
 */
import { interruptedError } from '../net/interrupt.ts'

/** Key is what readline's emitKeypressEvents reports. */
export interface Key {
  readonly sequence?: string
  readonly name?: string
  readonly ctrl?: boolean
  readonly meta?: boolean
}

/** KeyHooks are how the router acts on readline and the terminal. */
export interface KeyHooks {
  /** pass keys on to readline */
  forward(sequence: string): void
  /** write to the terminal */
  write(text: string): void
  /** the session's history, newest first */
  history(): readonly string[]
  /** readline's current line */
  line(): string
  /** Ctrl-C (or Ctrl-D on an empty one-line prompt) while a command runs */
  interrupt(): void
}

/** The most keys kept while a command runs. */
export const MAX_TYPE_AHEAD = 4096

type Mode = 'prompt' | 'search' | 'running' | 'asking'

const isEnter = (k: Key) => k.name === 'return' || k.name === 'enter'
/** a key that types text: no Ctrl or Meta, and no control character (code point below 32, or 127) */
const isPrintable = (s: string, k: Key) =>
  !k.ctrl && !k.meta && s.length > 0 && [...s].every((c) => c.charCodeAt(0) >= 32 && c !== '\x7f')

/** KeyRouter decides, key by key, who gets the keyboard. */
export class KeyRouter {
  readonly #hooks: KeyHooks
  #mode: Mode = 'running'
  #typeAhead: [string, Key][] = []
  #dropped = 0
  #search = { query: '', index: -1, original: '' }
  #ask: { text: string; resolve: (line: string) => void; reject: (err: Error) => void } | undefined

  constructor(hooks: KeyHooks) {
    this.#hooks = hooks
  }

  get mode(): Mode {
    return this.#mode
  }

  /** running: a command starts; keys are kept from now on. */
  running(): void {
    this.#mode = 'running'
  }

  /**
   * prompt: the prompt is shown again. Kept keys are replayed up to the first Enter (the
   * next command line); the rest wait for the prompt after that one.
   */
  prompt(): void {
    this.#mode = 'prompt'
    this.#replay()
  }

  /** takeDropped returns how many type-ahead keys were dropped since the last call. */
  takeDropped(): number {
    const n = this.#dropped
    this.#dropped = 0
    return n
  }

  /** ask reads one line at `prompt` while a command runs (Ctrl-C rejects INTERRUPTED). */
  ask(prompt: string): Promise<string> {
    return new Promise((resolve, reject) => {
      this.#ask = { text: '', resolve, reject }
      this.#mode = 'asking'
      this.#hooks.write(prompt)
      this.#replay()
    })
  }

  /** key handles one keypress: `sequence` is its raw text. */
  key(sequence: string, key: Key): void {
    if (key.ctrl && key.name === 'z') return // no job control here: a stopped client would hang
    switch (this.#mode) {
      case 'running':
        if (key.ctrl && key.name === 'c') this.#hooks.interrupt()
        else if (this.#typeAhead.length < MAX_TYPE_AHEAD) this.#typeAhead.push([sequence, key])
        else this.#dropped++
        return
      case 'asking':
        this.#asking(sequence, key)
        return
      case 'search':
        this.#searching(sequence, key)
        return
      case 'prompt':
        this.#prompting(sequence, key)
        return
    }
  }

  #replay(): void {
    while (this.#typeAhead.length > 0 && (this.#mode === 'prompt' || this.#mode === 'asking')) {
      const [sequence, key] = this.#typeAhead.shift() as [string, Key]
      this.key(sequence, key)
    }
  }

  #prompting(sequence: string, key: Key): void {
    if (key.ctrl && key.name === 'c') {
      // like a shell: show ^C, give up the line, prompt again on a fresh line
      this.#hooks.write('^C\r\n')
      this.#hooks.forward('\x01\x0b')
      return
    }
    if (key.ctrl && key.name === 'r') {
      this.#mode = 'search'
      this.#search = { query: '', index: -1, original: this.#hooks.line() }
      this.#renderSearch(false)
      return
    }
    // Enter hands the line to the session: keys after it wait for the command to finish
    if (isEnter(key)) this.#mode = 'running'
    this.#hooks.forward(sequence)
  }

  #find(from: number): number {
    const entries = this.#hooks.history()
    const q = this.#search.query
    for (let i = Math.max(0, from); i < entries.length; i++) if ((entries[i] as string).includes(q)) return i
    return -1
  }

  #match(): string {
    return this.#search.index < 0 ? '' : (this.#hooks.history()[this.#search.index] ?? '')
  }

  #renderSearch(failed: boolean): void {
    const label = failed ? 'failed reverse-i-search' : 'reverse-i-search'
    this.#hooks.write(`\r\x1b[2K(${label})'${this.#search.query}': ${this.#match()}`)
  }

  #searching(sequence: string, key: Key): void {
    const s = this.#search
    if (key.ctrl && key.name === 'r') {
      const next = this.#find(s.index + 1)
      if (next >= 0) s.index = next
      this.#renderSearch(next < 0)
    } else if (key.ctrl && (key.name === 'c' || key.name === 'g')) {
      this.#leaveSearch(s.original, false)
    } else if (isEnter(key)) {
      this.#leaveSearch(this.#match() || s.original, true)
    } else if (key.name === 'backspace') {
      s.query = s.query.slice(0, -1)
      s.index = s.query === '' ? -1 : this.#find(0)
      this.#renderSearch(false)
    } else if (isPrintable(sequence, key)) {
      s.query += sequence
      const found = this.#find(Math.max(0, s.index))
      if (found >= 0) s.index = found
      this.#renderSearch(found < 0)
    } else {
      // any other key (arrows, Esc, Ctrl-A/E, Tab) keeps the match for editing, then acts on it
      this.#leaveSearch(this.#match() || s.original, false)
      if (key.name !== 'escape') this.#prompting(sequence, key)
    }
  }

  #leaveSearch(line: string, run: boolean): void {
    this.#mode = run ? 'running' : 'prompt'
    // readline redraws its prompt with the line (Ctrl-A, Ctrl-K: empty it; then type it)
    this.#hooks.write('\r\x1b[2K')
    this.#hooks.forward(`\x01\x0b${line}${run ? '\r' : ''}`)
  }

  #asking(sequence: string, key: Key): void {
    const ask = this.#ask
    if (!ask) return
    const end = (outcome: () => void) => {
      this.#ask = undefined
      this.#mode = 'running'
      outcome()
    }
    if ((key.ctrl && key.name === 'c') || (key.ctrl && key.name === 'd' && ask.text === '')) {
      this.#hooks.write('^C\r\n')
      end(() => ask.reject(interruptedError('no text was sent')))
      this.#hooks.interrupt()
    } else if (isEnter(key) || (key.ctrl && key.name === 'd')) {
      this.#hooks.write('\r\n')
      end(() => ask.resolve(ask.text))
    } else if (key.name === 'backspace') {
      if (ask.text === '') return
      const chars = [...ask.text]
      chars.pop()
      ask.text = chars.join('')
      this.#hooks.write('\b \b')
    } else if (key.ctrl && key.name === 'u') {
      this.#hooks.write('\b \b'.repeat([...ask.text].length))
      ask.text = ''
    } else if (isPrintable(sequence, key)) {
      ask.text += sequence
      this.#hooks.write(sequence)
    }
  }
}
