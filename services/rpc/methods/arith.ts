/**
 * The pickle-RPC seed's methods, `add(x, y)` and `sub(x, y)`, with Python's semantics:
 * int + int is an int of any size, a float on either side makes a float, bool counts as
 * int, str/bytes/list concatenate with their own kind, and anything else raises Python's
 * own TypeError text (`unsupported operand type(s) for -: 'list' and 'int'`).
 */
import { typeError } from '../../../protocols/py-error.ts'
import { pyTypeName, type RpcValue } from '../../../protocols/value.ts'
import type { MethodSpec } from './registry.ts'

type Num = bigint | number

function asNumber(v: RpcValue): Num | undefined {
  if (typeof v === 'bigint' || typeof v === 'number') return v
  if (typeof v === 'boolean') return v ? 1n : 0n
  return undefined
}

function arith(op: '+' | '-', x: Num, y: Num): Num {
  if (typeof x === 'bigint' && typeof y === 'bigint') return op === '+' ? x + y : x - y
  const a = Number(x)
  const b = Number(y)
  return op === '+' ? a + b : a - b
}

function unsupported(op: string, x: RpcValue, y: RpcValue): Error {
  return typeError(`unsupported operand type(s) for ${op}: '${pyTypeName(x)}' and '${pyTypeName(y)}'`)
}

/** pyAdd is Python's `x + y` over RpcValues. */
export function pyAdd(x: RpcValue, y: RpcValue): RpcValue {
  const a = asNumber(x)
  const b = asNumber(y)
  if (a !== undefined && b !== undefined) return arith('+', a, b)
  const concat = (kind: string, ok: boolean, join: () => RpcValue) => {
    if (ok) return join()
    throw typeError(`can only concatenate ${kind} (not "${pyTypeName(y)}") to ${kind}`)
  }
  if (typeof x === 'string') return concat('str', typeof y === 'string', () => x + (y as string))
  if (Array.isArray(x)) return concat('list', Array.isArray(y), () => [...x, ...(y as RpcValue[])])
  if (x instanceof Uint8Array) {
    if (y instanceof Uint8Array) return Buffer.concat([x, y])
    throw typeError(`can't concat ${pyTypeName(y)} to bytes`)
  }
  throw unsupported('+', x, y)
}

/** pySub is Python's `x - y` over RpcValues (numbers only). */
export function pySub(x: RpcValue, y: RpcValue): RpcValue {
  const a = asNumber(x)
  const b = asNumber(y)
  if (a === undefined || b === undefined) throw unsupported('-', x, y)
  return arith('-', a, b)
}

export const arithMethods: readonly MethodSpec[] = [
  {
    name: 'add',
    params: ['x', 'y'],
    doc: 'Return x + y, with Python semantics (numbers add; str, bytes and lists concatenate).',
    call: ([x, y]) => pyAdd(x ?? null, y ?? null),
  },
  {
    name: 'sub',
    params: ['x', 'y'],
    doc: 'Return x - y, with Python semantics (numbers only; else TypeError).',
    call: ([x, y]) => pySub(x ?? null, y ?? null),
  },
  {
    name: 'echo',
    params: ['value'],
    doc: 'Return the value unchanged (every type the transport carries round-trips).',
    call: ([v]) => v ?? null,
  },
]
