import { describe, expect, it } from 'vitest'
import { decodePickle } from '../../../protocols/pickle/decode.ts'
import { unwrapBytes } from '../../../protocols/pickle/encode.ts'
import { pickleRefused } from '../../../protocols/pickle/errors.ts'
import { PyException, type PyValue } from '../../../protocols/pickle/value.ts'
import { CPYTHON, dict, EXC, EXCEPTIONS, hex, tuple } from '../../support/pickle-fixtures.ts'

describe('decodePickle reads what CPython writes', () => {
  it.each(CPYTHON)('%s', (_expr, h, expected) => {
    expect(decodePickle(hex(h))).toEqual(expected)
  })

  it('keeps int and float apart: 1 is 1n, 1.0 is 1', () => {
    expect(decodePickle(hex('80044b012e'))).toBe(1n)
    expect(decodePickle(hex('8004950a00000000000000473ff00000000000002e'))).toBe(1)
  })

  it("resolves memo references: ('a', 'a') uses BINGET for the second 'a'", () => {
    // ('a', 'a'): 8c 01 61 94 (MEMOIZE 0) 68 00 (BINGET 0) 86
    expect(decodePickle(hex('80049509000000000000008c016194680086942e'))).toEqual(tuple('a', 'a'))
  })

  it('keeps a shared list shared: l = [1]; [l, l]', () => {
    const v = decodePickle(hex('8004950c000000000000005d94285d944b01616801652e')) as PyValue[][]
    expect(v).toEqual([[1n], [1n]])
    expect(v[0]).toBe(v[1])
  })

  it('accepts trailing bytes after STOP, as Python does', () => {
    expect(decodePickle(hex('80044e2e ffff'))).toBe(null)
  })

  it('reads a cookbook RPC frame: [len] + pickle of bytes holding the pickle of the call', () => {
    // RPCProxy: c.send(pickle.dumps(('add', (2, 3), {}))): the wire bytes of one frame
    const frame = hex(
      '0000002b 8004952000000000000000431c 80049511000000000000008c03616464944b024b0386947d9487942e 942e',
    )
    expect(frame.readInt32BE(0)).toBe(frame.length - 4)
    const outer = decodePickle(frame.subarray(4))
    const inner = unwrapBytes(outer as PyValue)
    expect(inner).toBeDefined()
    expect(decodePickle(inner as Uint8Array)).toEqual(tuple('add', tuple(2n, 3n), dict()))
  })

  it('unwrapBytes is undefined for a one-level call and for bytes that are no pickle', () => {
    expect(unwrapBytes(tuple('add', tuple(), dict()))).toBeUndefined()
    expect(unwrapBytes(Buffer.from('plain'))).toBeUndefined()
  })
})
describe('decodePickle reads exceptions only with allowExceptions', () => {
  it.each(EXCEPTIONS)('%s', (_expr, h, expected) => {
    expect(decodePickle(hex(h), EXC)).toEqual(expected)
  })

  it('reads the cookbook reply to proxy.add(1, "a"): bytes holding a pickled TypeError', () => {
    const outer = decodePickle(
      hex(
        '8004956200000000000000435e80049553000000000000008c086275696c74696e73948c09547970654572726f729493948c32' +
          Buffer.from("unsupported operand type(s) for +: 'int' and 'str'").toString('hex') +
          '94859452942e942e',
      ),
      EXC,
    )
    const e = decodePickle(unwrapBytes(outer as PyValue) as Uint8Array, EXC)
    expect(e).toEqual(
      new PyException('builtins', 'TypeError', ["unsupported operand type(s) for +: 'int' and 'str'"]),
    )
    expect(String(e)).toBe("TypeError: unsupported operand type(s) for +: 'int' and 'str'")
  })

  it('maps protocol 2 names (exceptions.TypeError) to builtins, as _compat_pickle does', () => {
    // pickle.dumps(TypeError('x'), 2)
    const h = '800263657863657074696f6e730a547970654572726f720a710058010000007871018571025271032e'
    expect(decodePickle(hex(h), EXC)).toEqual(new PyException('builtins', 'TypeError', ['x']))
  })

  it('refuses them by default: a server never decodes a global', () => {
    expect(() => decodePickle(hex(EXCEPTIONS[0]?.[1] ?? ''))).toThrow(
      pickleRefused('STACK_GLOBAL', 0x93, 34, 'it would import or call code (builtins.TypeError)'),
    )
  })

  it.each([
    [
      'a custom class (class MyError(Exception), module __main__)',
      '80049520000000000000008c085f5f6d61696e5f5f948c074d794572726f729493948c016d94859452942e',
      'refused pickle opcode STACK_GLOBAL (0x93) at offset 32: it would import or call code (__main__.MyError)',
    ],
    [
      "an exception inside a value ([TypeError('x')])",
      '80049525000000000000005d948c086275696c74696e73948c09547970654572726f729493948c01789485945294612e',
      'refused pickle opcode APPEND (0x61) at offset 46: an exception may only be the whole pickle, not part of a value',
    ],
    [
      'a builtins name that is no exception (builtins.eval)',
      `8004${'8c086275696c74696e7394'}8c046576616c9493942e`,
      'refused pickle opcode STACK_GLOBAL (0x93) at offset 20: it would import or call code (builtins.eval)',
    ],
    [
      'a bare exception class (pickle.dumps(TypeError))',
      '8004951a000000000000008c086275696c74696e73948c09547970654572726f729493942e',
      'refused pickle opcode STOP (0x2e) at offset 36: builtins.TypeError is a class, not a value',
    ],
    [
      'REDUCE with args that are not a tuple',
      '80048c086275696c74696e73948c09547970654572726f7294934e522e',
      'refused pickle opcode REDUCE (0x52) at offset 27: it would import or call code',
    ],
    [
      'BUILD onto a list',
      '80045d7d622e',
      'refused pickle opcode BUILD (0x62) at offset 4: only an exception may be built, once, from a dict with str keys',
    ],
  ])('still refuses %s', (_name, h, message) => {
    expect(() => decodePickle(hex(h), EXC)).toThrow(message)
    expect(() => decodePickle(hex(h), EXC)).toThrow(expect.objectContaining({ code: 'PICKLE_REFUSED' }))
  })
})
