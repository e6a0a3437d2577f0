/**
 * Hostile pickles for the allow-list of data constructors, shared by the decoder's unit tests
 * (pickle-data.test.ts) and the mp ports' tests across the container network
 * (tests/integration/hostile/rpc-mpconn.test.ts): every allowed global called with a wrong
 * argument shape, and globals that stay refused, each with the refusal docs/rpc.md documents.
 */

const text = (s: string): Buffer => Buffer.from(s, 'latin1')
const hex = (s: string): Buffer => Buffer.from(s.replaceAll(' ', ''), 'hex')

/** call is `module.name` called by REDUCE with the protocol 0 opcodes in `args` (a MARK … t tuple), at protocol 3. */
export const call = (qualname: string, args: string): Buffer => {
  const dot = qualname.lastIndexOf('.')
  return text(`\x80\x03c${qualname.slice(0, dot)}\n${qualname.slice(dot + 1)}\n${args}R.`)
}

/** [global, arguments (protocol 0 opcodes), the reason in the refusal] */
export const WRONG_SHAPES: Array<[string, string, string]> = [
  ['builtins.set', '(Vabc\nt', 'set() takes a list, tuple, set or frozenset here, not a str'],
  ['builtins.set', '(((I1\nllt', "set(): unhashable type: 'list'"],
  ['builtins.set', '(I1\nI2\nt', 'set() takes 0 to 1 arguments here, not 2'],
  ['builtins.frozenset', '(I5\nt', 'frozenset() takes a list, tuple, set or frozenset here, not a int'],
  ['builtins.bytearray', '(I1000000000\nt', "bytearray() takes bytes or (str, 'latin-1') here, not a int"],
  ['builtins.bytearray', '(Vabc\nVutf-8\nt', "bytearray() takes (str, 'latin-1') here"],
  ['builtins.complex', '(Vx\nt', 'complex() takes ints or floats here, not a str'],
  ['builtins.slice', '((lt', 'slice() takes scalars here, not a list'],
  ['builtins.slice', ')', 'slice() takes 1 to 3 arguments here, not 0'],
  ['builtins.range', '(I1\nI2\nI0\nt', 'range() arg 3 must not be zero'],
  ['builtins.range', '(F1.5\nt', 'range() takes ints here, not a float'],
  ['datetime.date', "(S'\\x07\\xe8\\x02\\x1e'\nt", 'date(): the state is not a valid date'],
  ['datetime.date', '(I2024\nI13\nI1\nt', 'date() takes a valid year, month and day here'],
  ['datetime.time', '(I24\nt', 'time() takes a valid hour, minute, second and microsecond here'],
  ['datetime.time', "(S'ab'\nt", 'time(): the state is not a valid time'],
  ['datetime.datetime', '(I2024\nt', 'datetime() takes a state or at least year, month and day here'],
  [
    'datetime.datetime',
    "(S'\\x07\\xe8\\x02\\x1d\\r\\x05\\t\\x01\\xe2@'\nVutc\nt",
    'datetime() takes a datetime.timezone as tzinfo here, not a str',
  ],
  ['datetime.timedelta', '(I1000000000\nt', 'timedelta(): days must have magnitude <= 999999999'],
  ['datetime.timedelta', '(F1.5\nt', 'timedelta() takes ints here, not a float'],
  ['datetime.timezone', '(I5\nt', 'timezone() takes a timedelta strictly between -24 and 24 hours here'],
  [
    'datetime.timezone',
    '(cdatetime\ntimedelta\n(I1\ntRt',
    'timezone() takes a timedelta strictly between -24 and 24 hours here',
  ],
  ['decimal.Decimal', '(Vabc\nt', 'Decimal(): invalid literal (decimal.InvalidOperation)'],
  ['decimal.Decimal', '(F1.5\nt', 'Decimal() takes a str or an int here, not a float'],
  ['decimal.Decimal', `(V${'1'.repeat(3073)}\nt`, 'Decimal(): the text is longer than 3072 characters'],
  ['collections.OrderedDict', '((I1\nlt', 'OrderedDict() takes (key, value) pairs here'],
  [
    'copyreg._reconstructor',
    '(cbuiltins\nset\ncbuiltins\nfrozenset\n(lt',
    '_reconstructor() takes (T, T, state) with T from the allow-list here',
  ],
  [
    'copyreg._reconstructor',
    '(I1\nI2\nI3\nt',
    '_reconstructor() takes (T, T, state) with T from the allow-list here',
  ],
  ['_codecs.encode', '(Vabc\nVutf-8\nt', "encode() takes (str, 'latin-1') here"],
  ['builtins.bytes', '(I5\nt', 'bytes() takes 0 arguments here, not 1'],
]

/** [what, pickle, the refusal message] */
export const REFUSED: Array<[string, Buffer, string]> = [
  [
    'os.system (protocol 0, as 2.7 writes it)',
    text("cos\nsystem\n(S'true'\ntR."),
    'refused pickle opcode GLOBAL (0x63) at offset 0: it would import or call code (os.system)',
  ],
  [
    'posix.system (os.system as 3.x names it)',
    hex('8004951f000000000000008c05706f736978948c0673797374656d9493948c047472756594859452942e'),
    'refused pickle opcode STACK_GLOBAL (0x93) at offset 28: it would import or call code (posix.system)',
  ],
  [
    'builtins.eval',
    text('\x80\x03cbuiltins\neval\n(V1\ntR.'),
    'refused pickle opcode GLOBAL (0x63) at offset 2: it would import or call code (builtins.eval)',
  ],
  [
    'subprocess.Popen',
    text('\x80\x03csubprocess\nPopen\n((Vtrue\nltR.'),
    'refused pickle opcode GLOBAL (0x63) at offset 2: it would import or call code (subprocess.Popen)',
  ],
  [
    'builtins.getattr',
    text('\x80\x03cbuiltins\ngetattr\n(Vx\nVupper\ntR.'),
    'refused pickle opcode GLOBAL (0x63) at offset 2: it would import or call code (builtins.getattr)',
  ],
  [
    'builtins.object (so no _reconstructor(T, object, state))',
    text('ccopy_reg\n_reconstructor\n(c__builtin__\nset\ncbuiltins\nobject\nNtR.'),
    'refused pickle opcode GLOBAL (0x63) at offset 43: it would import or call code (builtins.object)',
  ],
  [
    'a method of an allowed class (datetime.datetime.now)',
    text('\x80\x03cdatetime\ndatetime.now\n)R.'),
    'refused pickle opcode GLOBAL (0x63) at offset 2: it would import or call code (datetime.datetime.now)',
  ],
  [
    'a constructor placed in a list instead of called',
    text('\x80\x03(cbuiltins\nset\nl.'),
    'refused pickle opcode LIST (0x6c) at offset 17: builtins.set may only be called by REDUCE or NEWOBJ',
  ],
  [
    'a constructor as the whole pickle',
    text('\x80\x03cbuiltins\nset\n.'),
    'refused pickle opcode STOP (0x2e) at offset 16: builtins.set is a class, not a value',
  ],
  [
    'REDUCE whose arguments are no tuple',
    text('\x80\x03cbuiltins\nset\nI1\nR.'),
    'refused pickle opcode REDUCE (0x52) at offset 19: builtins.set takes its arguments as a tuple, not a int',
  ],
  [
    'BUILD on a constructed value (an OrderedDict with a state)',
    text('\x80\x03ccollections\nOrderedDict\n)R}b.'),
    'refused pickle opcode BUILD (0x62) at offset 30: it would import or call code',
  ],
]
