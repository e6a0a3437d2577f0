/** The terminal's cursor reports, taken off the session's input before the key parser. */
import { describe, expect, it } from 'vitest'
import { takeReports } from '../../../clients/cli/session/terminal-watch.ts'

describe('takeReports', () => {
  it('takes whole reports out of the keys, any column width, and counts them', () => {
    expect(takeReports('', 'ab\x1b[3;10R\x1b[12;1Rc')).toEqual({ keys: 'abc', held: '', count: 2 })
  })

  it('holds a report cut at the end of a read and joins it to the next', () => {
    const first = takeReports('', 'x\x1b[40;1')
    expect(first).toEqual({ keys: 'x', held: '\x1b[40;1', count: 0 })
    expect(takeReports(first.held, '20Ry')).toEqual({ keys: 'y', held: '', count: 1 })
  })

  it('leaves the keys a user types: Escape alone, arrows, and ESC [ sequences that are not reports', () => {
    expect(takeReports('', '\x1b')).toEqual({ keys: '\x1b', held: '', count: 0 })
    expect(takeReports('', '\x1b[A\x1b[1;5C')).toEqual({ keys: '\x1b[A\x1b[1;5C', held: '', count: 0 })
  })
})
