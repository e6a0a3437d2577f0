import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { pyRepr } from '../../../protocols/python.ts'
import { type RpcValue, struct } from '../../../protocols/value.ts'
import {
  decodeMethodCall,
  encodeFault,
  encodeMethodCall,
  encodeMethodResponse,
} from '../../../protocols/xmlrpc/codec.ts'
import { bytes } from '../../support/xmlrpc-fixtures.ts'

// Interop with the real thing, when a python3 is around (it is not needed otherwise).
const python = spawnSync('python3', ['-c', 'import xmlrpc.client'], { timeout: 5000 }).status === 0

/** py runs a Python snippet with `stdin` and returns its stdout. */
function py(code: string, stdin: string): string {
  const r = spawnSync('python3', ['-c', code], { input: stdin, encoding: 'utf8', timeout: 10_000 })
  if (r.status !== 0) throw new Error(`python3 failed: ${r.stderr}`)
  return r.stdout
}

describe('XML-RPC codec: interop with CPython', () => {
  const values: RpcValue[] = [
    'foo',
    '  white\n space\t',
    'a&b<c>d"e\'f',
    'é😀',
    '',
    1n,
    -(2n ** 31n),
    2n ** 63n,
    1.5,
    1e16,
    -0,
    1e-7,
    true,
    false,
    null,
    bytes(100),
    new Uint8Array(0),
    new Date(Date.UTC(2024, 1, 29, 13, 5, 9)),
    [1n, 'two', [3.5, null]],
    struct([
      ['a', struct([['b', [1n]]])],
      ['__proto__', 'p'],
      ['x<y', 'z'],
    ]),
  ]

  it.skipIf(!python)('xmlrpc.client.loads() reads every response we write', () => {
    const docs = values.map((v) => encodeMethodResponse(v))
    const out = py(
      'import sys, json, xmlrpc.client as x\n' +
        'for doc in json.load(sys.stdin):\n' +
        '    print(repr(x.loads(doc, use_builtin_types=True)[0][0]))',
      JSON.stringify(docs),
    )
    expect(out.trimEnd().split('\n')).toEqual(values.map((v) => pyRepr(v)))
  })

  it.skipIf(!python)('we read what xmlrpc.client.dumps() writes, and write it back byte for byte', () => {
    const code =
      'import xmlrpc.client as x, datetime\n' +
      "print(x.dumps(('k', [1, -2, 2.5, True, None, 'é & <tag>', b'\\x00\\xff' * 50,\n" +
      "  datetime.datetime(1999, 12, 31, 23, 59, 58), {'n': {'m': []}}]), 'set', allow_none=True), end='')"
    const xml = py(code, '')
    const decoded = decodeMethodCall(xml)
    expect(decoded.method).toBe('set')
    expect(pyRepr(decoded.params)).toBe(
      "['k', [1, -2, 2.5, True, None, 'é & <tag>', " +
        `b'${'\\x00\\xff'.repeat(50)}', datetime.datetime(1999, 12, 31, 23, 59, 58), {'n': {'m': []}}]]`,
    )
    expect(encodeMethodCall(decoded.method, decoded.params)).toBe(xml)
  })

  it.skipIf(!python)('xmlrpc.client.loads() reads our faults as Fault', () => {
    const out = py(
      'import sys, xmlrpc.client as x\ntry:\n    x.loads(sys.stdin.read())\nexcept x.Fault as f:\n    print(f.faultCode, f.faultString)',
      encodeFault(1, "<class 'KeyError'>:\"it's\""),
    )
    expect(out).toBe("1 <class 'KeyError'>:\"it's\"\n")
  })
})
