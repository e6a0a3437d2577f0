/** The method registry and the seed's methods, with Python's semantics and error texts. */
import { describe, expect, it } from 'vitest'
import { createLogger } from '../../../../lib/log.ts'
import { PyError } from '../../../../protocols/py-error.ts'
import type { RpcValue } from '../../../../protocols/value.ts'
import { arithMethods, pyAdd, pySub } from '../../../../services/rpc/methods/arith.ts'
import { kvMethods } from '../../../../services/rpc/methods/kv.ts'
import { Registry } from '../../../../services/rpc/methods/registry.ts'
import { KvStore } from '../../../../services/rpc/store/kv-store.ts'

const pyErr = async (p: Promise<unknown> | (() => unknown)) => {
  try {
    await (typeof p === 'function' ? p() : p)
  } catch (err) {
    if (err instanceof PyError) return `${err.pyClass}: ${err.text} [${err.kind}]`
    throw err
  }
  return 'no error'
}

describe('Python arithmetic', () => {
  it.each<[RpcValue, RpcValue, RpcValue]>([
    [2n, 3n, 5n],
    [2n ** 70n, 1n, 2n ** 70n + 1n],
    [1.5, 2n, 3.5],
    [true, 1n, 2n],
    ['ab', 'cd', 'abcd'],
    [[1n], [2n], [1n, 2n]],
  ])('add(%s, %s) = %s', (x, y, z) => {
    expect(pyAdd(x, y)).toEqual(z)
  })

  it('sub works on numbers and raises the TypeError Python raises otherwise', async () => {
    expect(pySub(2n, 3n)).toBe(-1n)
    expect(pySub(2.5, 1n)).toBe(1.5)
    expect(await pyErr(() => pySub([1n, 2n], 4n))).toBe(
      "TypeError: unsupported operand type(s) for -: 'list' and 'int' [application]",
    )
    expect(await pyErr(() => pyAdd('a', 1n))).toBe(
      'TypeError: can only concatenate str (not "int") to str [application]',
    )
    expect(await pyErr(() => pyAdd([1n], 'x'))).toBe(
      'TypeError: can only concatenate list (not "str") to list [application]',
    )
    expect(await pyErr(() => pyAdd(1n, null))).toBe(
      "TypeError: unsupported operand type(s) for +: 'int' and 'NoneType' [application]",
    )
  })
})

describe('Registry', () => {
  const registry = async () => {
    const store = await KvStore.open(
      undefined,
      { maxKeys: 10, maxKeyBytes: 64, maxValueBytes: 1024 },
      createLogger('rpc', 'silent'),
    )
    return new Registry().register(...arithMethods, ...kvMethods(store))
  }

  it('lists its methods sorted', async () => {
    expect((await registry()).names()).toEqual([
      'add',
      'delete',
      'echo',
      'exists',
      'get',
      'keys',
      'set',
      'sub',
    ])
  })

  it("runs the seed's KeyValueServer session", async () => {
    const r = await registry()
    expect(await r.invoke('set', ['foo', 'bar'])).toBe(null)
    expect(await r.invoke('set', ['spam', [1n, 2n, 3n]])).toBe(null)
    expect(await r.invoke('keys', [])).toEqual(['foo', 'spam'])
    expect(await r.invoke('get', ['foo'])).toBe('bar')
    expect(await r.invoke('get', ['spam'])).toEqual([1n, 2n, 3n])
    expect(await r.invoke('delete', ['spam'])).toBe(null)
    expect(await r.invoke('exists', ['spam'])).toBe(false)
    expect(await pyErr(r.invoke('get', ['spam']))).toBe("KeyError: 'spam' [application]")
  })

  it('binds keyword arguments by name, as Python does', async () => {
    const r = await registry()
    expect(
      await r.invoke(
        'sub',
        [],
        new Map([
          ['y', 3n],
          ['x', 10n],
        ]),
      ),
    ).toBe(7n)
    expect(await pyErr(r.invoke('sub', [1n], new Map([['z', 3n]])))).toBe(
      "TypeError: sub() got an unexpected keyword argument 'z' [bad_params]",
    )
    expect(await pyErr(r.invoke('sub', [1n], new Map([['x', 3n]])))).toBe(
      "TypeError: sub() got multiple values for argument 'x' [bad_params]",
    )
  })

  it("raises Python's errors for a wrong call and an unknown method", async () => {
    const r = await registry()
    expect(await pyErr(r.invoke('get', []))).toBe(
      "TypeError: get() missing 1 required positional argument: 'name' [bad_params]",
    )
    expect(await pyErr(r.invoke('add', [1n, 2n, 3n]))).toBe(
      'TypeError: add() takes 2 positional arguments but 3 were given [bad_params]',
    )
    expect(await pyErr(r.invoke('nosuch', []))).toBe(
      'Exception: method "nosuch" is not supported [unknown_method]',
    )
  })
})
