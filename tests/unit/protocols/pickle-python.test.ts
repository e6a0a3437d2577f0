/**
 * The pickle codec against every CPython in ~/.pyenv/versions (2.7, 3.6 to 3.13) and the
 * system python3, live: each Python pickles a table of values at every protocol it knows
 * (0 to 5), we decode each pickle and write it again at the same protocol (2 for 0 and 1,
 * as the mp ports answer), and the same Python loads our bytes and compares them with the
 * original (as Python's own round trip at that protocol gives it), type included. It proves the allow-listed constructors, the text opcodes of
 * protocol 0 (Python 2.7's default), Python 2's str and the protocol-exact encoder work
 * with each version's own pickle module, not only with bytes pasted from one of them.
 */
import { spawn } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { DEFAULT_PICKLE_LIMITS, decodePickle } from '../../../protocols/pickle/decode.ts'
import { encodePickle } from '../../../protocols/pickle/encode.ts'
import type { PyValue } from '../../../protocols/pickle/value.ts'

/** Runs on 2.7 and 3.x: `dump` prints `name protocol hex` lines, `check` reads them back and compares. */
const SCRIPT = `
import binascii, collections, datetime, decimal, pickle, sys
PY2 = sys.version_info[0] == 2
V = collections.OrderedDict()
V['None'] = None
V['bool'] = True
V['int'] = -5
V['bigint'] = 2 ** 100
V['float'] = 1.5
V['str'] = u'h\\xe9llo \\u2713 \\\\ \\n'
V['bytes'] = b'\\x00\\xff\\'"'
V['tuple'] = (1, u'a')
V['list'] = [1, [2.5, None]]
V['dict'] = {u'a': 1, 2: (3,)}
V['set'] = set([1, 2])
V['frozenset'] = frozenset([3])
V['bytearray'] = bytearray(b'a\\xff')
V['complex'] = complex(1.5, -2)
V['slice'] = slice(1, 5, None)
V['date'] = datetime.date(2024, 2, 29)
V['time'] = datetime.time(13, 5, 9, 123)
V['datetime'] = datetime.datetime(2024, 2, 29, 13, 5, 9, 123456)
V['timedelta'] = datetime.timedelta(-1, 5, 7)
V['Decimal'] = decimal.Decimal('-1.50E+3')
V['OrderedDict'] = collections.OrderedDict([(u'b', 1), (u'a', [2])])
V['shared'] = [V['list'], V['list']]
if PY2:
    V['py2str'] = 'abc\\xff'
    V['xrange'] = xrange(1, 10, 2)
else:
    V['range'] = range(1, 10, 2)
    V['timezone'] = datetime.timezone(datetime.timedelta(hours=-5), 'EST')
    V['aware'] = datetime.datetime(2024, 2, 29, 13, 5, tzinfo=datetime.timezone.utc)
    V['fold'] = datetime.time(1, 2, fold=1)

def same(a, b):
    if type(a) is not type(b): return False
    if type(a).__name__ in ('xrange', 'range'): return repr(a) == repr(b)
    if isinstance(a, (list, tuple)): return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict): return list(a.items()) == list(b.items()) if isinstance(a, collections.OrderedDict) else a == b
    if isinstance(a, (datetime.time, datetime.datetime)) and not PY2: return a == b and a.fold == b.fold and a.tzinfo == b.tzinfo
    return a == b

if sys.argv[1] == 'dump':
    for name, v in V.items():
        for p in range(pickle.HIGHEST_PROTOCOL + 1):
            print('%s %d %s' % (name, p, binascii.hexlify(pickle.dumps(v, p)).decode()))
else:
    for line in sys.stdin.read().split('\\n'):
        if not line: continue
        name, p, h = line.split(' ')
        got = pickle.loads(binascii.unhexlify(h))
        # what Python's own round trip at that protocol gives (below 4, time loses its fold)
        want = pickle.loads(pickle.dumps(V[name], int(p)))
        print('%s %s %s' % (name, p, 'ok' if same(got, want) else 'FAIL ' + repr(got)))
`

/** The interpreters: every pyenv version and the system python3. */
function pythons(): Array<[string, string]> {
  const root = join(homedir(), '.pyenv', 'versions')
  const found: Array<[string, string]> = existsSync(root)
    ? readdirSync(root)
        .sort()
        .map((v): [string, string] => [v, join(root, v, 'bin', 'python')])
        .filter(([, exe]) => existsSync(exe))
    : []
  return existsSync('/usr/bin/python3') ? [...found, ['system python3', '/usr/bin/python3']] : found
}

function python(exe: string, mode: string, input = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(exe, ['-c', SCRIPT, mode], { stdio: ['pipe', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      out += s
    })
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      err += s
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
    child.on('error', reject)
    child.on('exit', (code) => {
      clearTimeout(timer)
      if (code === 0) resolve(out)
      else reject(new Error(`${exe} ${mode} exited ${code}: ${err}`))
    })
    child.stdin.end(input)
  })
}

const PYTHONS = pythons()

describe.skipIf(PYTHONS.length === 0)('the pickle codec with each CPython', () => {
  it.each(
    PYTHONS,
  )('%s: every value, at every protocol, decodes and re-encodes to what it loads as equal', async (_v, exe) => {
    const dumped = (await python(exe, 'dump')).split('\n').filter(Boolean)
    expect(dumped.length).toBeGreaterThan(40)
    const ours = dumped.map((line) => {
      const [name, p, h] = line.split(' ') as [string, string, string]
      const value = decodePickle(Buffer.from(h, 'hex'), DEFAULT_PICKLE_LIMITS) as PyValue
      const protocol = Math.max(2, Number(p)) as 2 | 3 | 4 | 5
      return `${name} ${p} ${encodePickle(value, { protocol }).toString('hex')}`
    })
    const checked = (await python(exe, 'check', ours.join('\n'))).split('\n').filter(Boolean)
    expect(checked.filter((l) => !l.endsWith(' ok'))).toEqual([])
    expect(checked).toHaveLength(dumped.length)
  })
})
