/**
 * Pickle opcode bytes (CPython `Lib/pickle.py`, documented in `Lib/pickletools.py`) and
 * their pickletools names, used by the decoder, the encoder and every error message.
 */

// Protocol 0 (text) and 1
export const INT = 0x49 // I
export const LONG = 0x4c // L
export const FLOAT = 0x46 // F
export const STRING = 0x53 // S
export const UNICODE = 0x56 // V
export const PUT = 0x70 // p
export const GET = 0x67 // g
export const MARK = 0x28 // (
export const STOP = 0x2e // .
export const POP = 0x30 // 0
export const POP_MARK = 0x31 // 1
export const DUP = 0x32 // 2
export const BINFLOAT = 0x47 // G
export const BININT = 0x4a // J
export const BININT1 = 0x4b // K
export const BININT2 = 0x4d // M
export const NONE = 0x4e // N
export const BINSTRING = 0x54 // T
export const SHORT_BINSTRING = 0x55 // U
export const BINUNICODE = 0x58 // X
export const APPEND = 0x61 // a
export const BUILD = 0x62 // b
export const GLOBAL = 0x63 // c
export const DICT = 0x64 // d
export const APPENDS = 0x65 // e
export const BINGET = 0x68 // h
export const LONG_BINGET = 0x6a // j
export const LIST = 0x6c // l
export const BINPUT = 0x71 // q
export const LONG_BINPUT = 0x72 // r
export const SETITEM = 0x73 // s
export const TUPLE = 0x74 // t
export const SETITEMS = 0x75 // u
export const EMPTY_DICT = 0x7d // }
export const EMPTY_LIST = 0x5d // ]
export const EMPTY_TUPLE = 0x29 // )
export const REDUCE = 0x52 // R
// Protocol 2
export const PROTO = 0x80
export const NEWOBJ = 0x81
export const TUPLE1 = 0x85
export const TUPLE2 = 0x86
export const TUPLE3 = 0x87
export const NEWTRUE = 0x88
export const NEWFALSE = 0x89
export const LONG1 = 0x8a
export const LONG4 = 0x8b
// Protocol 3
export const BINBYTES = 0x42 // B
export const SHORT_BINBYTES = 0x43 // C
// Protocol 4
export const SHORT_BINUNICODE = 0x8c
export const BINUNICODE8 = 0x8d
export const BINBYTES8 = 0x8e
export const EMPTY_SET = 0x8f
export const ADDITEMS = 0x90
export const FROZENSET = 0x91
export const STACK_GLOBAL = 0x93
export const MEMOIZE = 0x94
export const FRAME = 0x95
// Protocol 5
export const BYTEARRAY8 = 0x96

/** OPCODE_NAMES maps every opcode CPython knows to its pickletools name. */
export const OPCODE_NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries({
    '(': 'MARK',
    '.': 'STOP',
    '0': 'POP',
    '1': 'POP_MARK',
    '2': 'DUP',
    F: 'FLOAT',
    I: 'INT',
    J: 'BININT',
    K: 'BININT1',
    L: 'LONG',
    M: 'BININT2',
    N: 'NONE',
    P: 'PERSID',
    Q: 'BINPERSID',
    R: 'REDUCE',
    S: 'STRING',
    T: 'BINSTRING',
    U: 'SHORT_BINSTRING',
    V: 'UNICODE',
    X: 'BINUNICODE',
    a: 'APPEND',
    b: 'BUILD',
    c: 'GLOBAL',
    d: 'DICT',
    '}': 'EMPTY_DICT',
    e: 'APPENDS',
    g: 'GET',
    h: 'BINGET',
    i: 'INST',
    j: 'LONG_BINGET',
    l: 'LIST',
    ']': 'EMPTY_LIST',
    o: 'OBJ',
    p: 'PUT',
    q: 'BINPUT',
    r: 'LONG_BINPUT',
    s: 'SETITEM',
    t: 'TUPLE',
    ')': 'EMPTY_TUPLE',
    u: 'SETITEMS',
    G: 'BINFLOAT',
    '\x80': 'PROTO',
    '\x81': 'NEWOBJ',
    '\x82': 'EXT1',
    '\x83': 'EXT2',
    '\x84': 'EXT4',
    '\x85': 'TUPLE1',
    '\x86': 'TUPLE2',
    '\x87': 'TUPLE3',
    '\x88': 'NEWTRUE',
    '\x89': 'NEWFALSE',
    '\x8a': 'LONG1',
    '\x8b': 'LONG4',
    B: 'BINBYTES',
    C: 'SHORT_BINBYTES',
    '\x8c': 'SHORT_BINUNICODE',
    '\x8d': 'BINUNICODE8',
    '\x8e': 'BINBYTES8',
    '\x8f': 'EMPTY_SET',
    '\x90': 'ADDITEMS',
    '\x91': 'FROZENSET',
    '\x92': 'NEWOBJ_EX',
    '\x93': 'STACK_GLOBAL',
    '\x94': 'MEMOIZE',
    '\x95': 'FRAME',
    '\x96': 'BYTEARRAY8',
    '\x97': 'NEXT_BUFFER',
    '\x98': 'READONLY_BUFFER',
  }).map(([ch, name]) => [ch.charCodeAt(0), name]),
)

/**
 * REFUSED holds the opcodes that import, call or build objects, or reach outside the pickle
 * (docs/protocols.md §6.2). GLOBAL, STACK_GLOBAL, REDUCE and NEWOBJ are let through only for the
 * allow-list of data constructors (constructors.ts), BUILD only for an exception.
 */
export const REFUSED: ReadonlySet<number> = new Set([
  0x63, // GLOBAL
  0x93, // STACK_GLOBAL
  0x52, // REDUCE
  0x62, // BUILD
  0x69, // INST
  0x6f, // OBJ
  0x81, // NEWOBJ
  0x92, // NEWOBJ_EX
  0x82, // EXT1
  0x83, // EXT2
  0x84, // EXT4
  0x50, // PERSID
  0x51, // BINPERSID
  0x97, // NEXT_BUFFER
  0x98, // READONLY_BUFFER
])

/** opcodeName is the pickletools name of `byte`, or `UNKNOWN` for a byte that is no opcode. */
export function opcodeName(byte: number): string {
  return OPCODE_NAMES.get(byte) ?? 'UNKNOWN'
}
