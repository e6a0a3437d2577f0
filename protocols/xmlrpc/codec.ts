/**
 * The XML-RPC wire format (http://xmlrpc.com/spec.md) as Python's `xmlrpc.client` writes
 * and reads it: a call, a result and a fault.
 *
 *   <?xml version='1.0'?>
 *   <methodCall>
 *   <methodName>set</methodName>
 *   <params>
 *   <param>
 *   <value><string>foo</string></value>
 *   </param>
 *   </params>
 *   </methodCall>
 *
 *   <methodResponse><params><param><value>…</value></param></params></methodResponse>
 *   <methodResponse><fault><value><struct>faultCode (int), faultString (string)</struct></value></fault></methodResponse>
 *
 * Values: `<int> <i4> <i8> <i1> <i2> <biginteger>` → bigint; `<double> <float>` → number;
 * `<boolean>` "0"/"1"; `<string>` or bare text in `<value>` (kept exactly, whitespace and
 * all); `<nil/>`; `<base64>` (line breaks allowed); `<dateTime.iso8601>` as
 * `YYYYMMDDTHH:MM:SS` or `YYYY-MM-DDTHH:MM:SS`, read as UTC; `<array><data><value>…`;
 * `<struct><member><name/><value/></member>…` (a repeated name: the last one wins).
 * Namespace prefixes are dropped (`<ex:nil/>` is `<nil/>`), as Python does.
 *
 * The encoder writes byte for byte what `xmlrpc.client.dumps` writes, except that an int
 * outside 32 bits goes out as `<i8>` (Python reads it; Python itself refuses to send it).
 *
 * Decoding streams through saxes, building values as tags close; nothing recurses, so
 * nesting is bounded by `maxDepth`, not by the stack. Each value is charged to an optional
 * memory-budget hold before it is built (DECODED_COST_BYTES; no room: XML_BUSY), and an
 * int longer than `maxIntDigits` digits is refused with CPython's own ValueError text.
 * Refused outright: any DOCTYPE (so no entity declarations, no billion laughs, no external
 * entities), any processing instruction but the XML declaration, any entity other than the
 * five predefined ones and character references, and more than 16 attributes on one
 * element. Every problem is an XmlRpcDecodeError whose message reads like Python's
 * (`no element found: line 1, column 0`), with `pyClass` and `pyMessage` giving the fault
 * Python's server would send.
 */
import { SaxesParser, type SaxesTagPlain } from 'saxes'
import { pyFloatRepr, pyStrRepr } from '../python.ts'
import { DECODED_COST_BYTES, type Grower, isStruct, type RpcValue, struct } from '../value.ts'

/** XmlRpcLimits bound what one document may cost. */
export interface XmlRpcLimits {
  /** the document's size in UTF-8 bytes */
  readonly maxBytes: number
  /** how deep `<value>`s may nest: a top-level param is depth 1, an item of it depth 2 */
  readonly maxDepth: number
  /** how many `<value>`s the whole document may hold (params, array items, struct members) */
  readonly maxMembers: number
  /** the UTF-8 size of one piece of text: a string, a name, a method name, base64 text */
  readonly maxStringBytes: number
  /** digits of one int (CPython refuses more than 4300 by default, sys.get_int_max_str_digits) */
  readonly maxIntDigits: number
  /** the heap bytes the decoded values may take (DECODED_COST_BYTES plus their text) */
  readonly maxDecodedBytes: number
}

export const DEFAULT_XMLRPC_LIMITS: XmlRpcLimits = {
  maxBytes: 10 * 1024 * 1024,
  maxDepth: 64,
  maxMembers: 100_000,
  maxStringBytes: 10 * 1024 * 1024,
  maxIntDigits: 4300,
  maxDecodedBytes: Number.MAX_SAFE_INTEGER,
}

/** XML_BUSY: the memory-budget hold given to the decoder had no room for the values. */
export type XmlRpcDecodeErrorCode =
  | 'XML_MALFORMED'
  | 'XML_FORBIDDEN'
  | 'XML_LIMIT'
  | 'XML_INVALID'
  | 'XML_BUSY'

const EXPAT_ERROR = 'xml.parsers.expat.ExpatError'
const RESPONSE_ERROR = 'xmlrpc.client.ResponseError'

/**
 * XmlRpcDecodeError says why a document was refused. `code` sorts it: XML_MALFORMED (not
 * XML), XML_FORBIDDEN (DOCTYPE, PI, undefined entity), XML_LIMIT (a limit), XML_INVALID
 * (XML, but not XML-RPC, or a bad value). `pyClass`/`pyMessage` are the exception Python
 * would raise, e.g. `TypeError` / `bad boolean value`, for the fault string.
 */
export class XmlRpcDecodeError extends Error {
  override readonly name = 'XmlRpcDecodeError'
  readonly code: XmlRpcDecodeErrorCode
  readonly pyClass: string
  /** the exception's str() in Python; a ResponseError prints as `ResponseError("…")` */
  readonly pyMessage: string

  constructor(code: XmlRpcDecodeErrorCode, message: string, pyClass = EXPAT_ERROR, options?: ErrorOptions) {
    super(message, options)
    this.code = code
    this.pyClass = pyClass
    this.pyMessage = pyClass === RESPONSE_ERROR ? `ResponseError(${pyStrRepr(message)})` : message
  }
}

export interface XmlRpcCall {
  readonly method: string
  readonly params: RpcValue[]
}

export type XmlRpcResponse =
  | { readonly kind: 'result'; readonly value: RpcValue }
  | { readonly kind: 'fault'; readonly code: number; readonly message: string }

// ---------------------------------------------------------------------------------------
// Encoding

const XML_HEADER = "<?xml version='1.0'?>\n"
const INT32_MIN = -(2n ** 31n)
const INT32_MAX = 2n ** 31n - 1n
const MAX_ENCODE_DEPTH = 1000
const BASE64_LINE = 57 // input bytes per 76-character line, as base64.encodebytes

/** encodeMethodCall is `xmlrpc.client.dumps(params, method)`. */
export function encodeMethodCall(method: string, params: readonly RpcValue[]): string {
  return `${XML_HEADER}<methodCall>\n<methodName>${escapeXml(method)}</methodName>\n${encodeParams(params)}</methodCall>\n`
}

/** encodeMethodResponse is `xmlrpc.client.dumps((value,), methodresponse=True, allow_none=True)`. */
export function encodeMethodResponse(value: RpcValue): string {
  // One join for the whole document: a template around a big encoded value would be one
  // more copy of it when the socket flattens it.
  const out = [RESPONSE_HEAD]
  writeValue(value, out, 0)
  out.push(RESPONSE_TAIL)
  return out.join('')
}

const RESPONSE_HEAD = `${XML_HEADER}<methodResponse>\n<params>\n<param>\n`
const RESPONSE_TAIL = '</param>\n</params>\n</methodResponse>\n'
const ARRAY_HEAD = '<value><array><data>\n'
const ARRAY_TAIL = '</data></array></value>\n'

/** RESPONSE_ENVELOPE_BYTES is what encodeMethodResponse adds around its value. */
export const RESPONSE_ENVELOPE_BYTES = RESPONSE_HEAD.length + RESPONSE_TAIL.length

/** ARRAY_ENVELOPE_BYTES is what an array's `<value>` adds around its items. */
export const ARRAY_ENVELOPE_BYTES = ARRAY_HEAD.length + ARRAY_TAIL.length

/**
 * encodeArrayResponse is encodeMethodResponse of an array whose items are already encoded
 * (by encodeValue), for replies built part by part; one join.
 */
export function encodeArrayResponse(itemsXml: readonly string[]): string {
  return [RESPONSE_HEAD, ARRAY_HEAD, ...itemsXml, ARRAY_TAIL, RESPONSE_TAIL].join('')
}

/** encodeFault is `xmlrpc.client.dumps(Fault(code, message), methodresponse=True)`. */
export function encodeFault(code: number, message: string): string {
  const body = struct([
    ['faultCode', BigInt(Math.trunc(code))],
    ['faultString', message],
  ])
  return `${XML_HEADER}<methodResponse>\n<fault>\n${encodeValue(body)}</fault>\n</methodResponse>\n`
}

/** encodeValue writes one `<value>` the way Python's Marshaller does, trailing newline included. */
export function encodeValue(value: RpcValue): string {
  const out: string[] = []
  writeValue(value, out, 0)
  return out.join('')
}

function encodeParams(params: readonly RpcValue[]): string {
  const out = ['<params>\n']
  for (const p of params) {
    out.push('<param>\n')
    writeValue(p, out, 0)
    out.push('</param>\n')
  }
  out.push('</params>\n')
  return out.join('')
}

function writeValue(v: RpcValue, out: string[], depth: number): void {
  if (depth > MAX_ENCODE_DEPTH) throw new RangeError(`XML-RPC value nests deeper than ${MAX_ENCODE_DEPTH}`)
  if (v === null) {
    out.push('<value><nil/></value>') // sic: Python writes no newline after nil
    return
  }
  switch (typeof v) {
    case 'boolean':
      out.push(v ? '<value><boolean>1</boolean></value>\n' : '<value><boolean>0</boolean></value>\n')
      return
    case 'bigint': {
      const tag = v >= INT32_MIN && v <= INT32_MAX ? 'int' : 'i8'
      out.push(`<value><${tag}>${v}</${tag}></value>\n`)
      return
    }
    case 'number':
      out.push(`<value><double>${pyFloatRepr(v)}</double></value>\n`)
      return
    case 'string':
      out.push(`<value><string>${escapeXml(v)}</string></value>\n`)
      return
  }
  if (v instanceof Uint8Array) {
    out.push('<value><base64>\n', encodeBase64Lines(v), '</base64></value>\n')
  } else if (v instanceof Date) {
    out.push(`<value><dateTime.iso8601>${formatIsoDate(v)}</dateTime.iso8601></value>\n`)
  } else if (Array.isArray(v)) {
    out.push('<value><array><data>\n')
    for (const item of v as readonly RpcValue[]) writeValue(item, out, depth + 1)
    out.push('</data></array></value>\n')
  } else if (isStruct(v)) {
    out.push('<value><struct>\n')
    for (const key of Object.keys(v)) {
      out.push(`<member>\n<name>${escapeXml(key)}</name>\n`)
      writeValue(v[key] as RpcValue, out, depth + 1)
      out.push('</member>\n')
    }
    out.push('</struct></value>\n')
  }
}

/** escapeXml is Python's `xmlrpc.client.escape`: `&`, `<` and `>` only. */
export function escapeXml(s: string): string {
  if (!/[&<>]/.test(s)) return s
  return s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;')
}

/** encodeBase64Lines is `base64.encodebytes`: 76-character lines, each ending in `\n`. */
function encodeBase64Lines(bytes: Uint8Array): string {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let out = ''
  for (let i = 0; i < buf.length; i += BASE64_LINE) {
    out += `${buf.toString('base64', i, Math.min(i + BASE64_LINE, buf.length))}\n`
  }
  return out
}

/** formatIsoDate is `YYYYMMDDTHH:MM:SS` in UTC; Python's datetime only spans years 1 to 9999. */
function formatIsoDate(d: Date): string {
  const year = d.getUTCFullYear()
  if (!(year >= 1 && year <= 9999)) throw new RangeError(`cannot marshal ${d.toString()} as an XML-RPC date`)
  return (
    `${pad(year, 4)}${pad(d.getUTCMonth() + 1, 2)}${pad(d.getUTCDate(), 2)}` +
    `T${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}`
  )
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0')
}

// ---------------------------------------------------------------------------------------
// Decoding

/**
 * decodeMethodCall reads a `<methodCall>`: what a server gets from ServerProxy. With `hold`,
 * every value is charged to it before it is built.
 */
export function decodeMethodCall(
  xml: string,
  limits: XmlRpcLimits = DEFAULT_XMLRPC_LIMITS,
  hold?: Grower,
): XmlRpcCall {
  const root = parseDocument(xml, limits, K_CALL, hold)
  if (root.name === undefined) throw invalid('methodCall has no methodName')
  return { method: root.name, params: root.items ?? [] }
}

/**
 * decodeMethodCallAsync is decodeMethodCall letting the event loop run every 64 Ki characters,
 * so that one big document does not hold up every other request while it is parsed.
 */
export async function decodeMethodCallAsync(
  xml: string,
  limits: XmlRpcLimits = DEFAULT_XMLRPC_LIMITS,
  hold?: Grower,
): Promise<XmlRpcCall> {
  const root = await parseDocumentAsync(xml, limits, K_CALL, hold)
  if (root.name === undefined) throw invalid('methodCall has no methodName')
  return { method: root.name, params: root.items ?? [] }
}

/** decodeMethodResponse reads a `<methodResponse>`: a result or a fault. */
export function decodeMethodResponse(
  xml: string,
  limits: XmlRpcLimits = DEFAULT_XMLRPC_LIMITS,
): XmlRpcResponse {
  const root = parseDocument(xml, limits, K_RESPONSE)
  if (root.fault !== undefined) {
    const f = root.fault
    const code = isStruct(f) ? f.faultCode : undefined
    const message = isStruct(f) ? f.faultString : undefined
    if (typeof code !== 'bigint' || typeof message !== 'string') {
      throw invalid('fault is not a struct of faultCode (int) and faultString (string)')
    }
    return { kind: 'fault', code: Number(code), message }
  }
  const items = root.items
  if (items === undefined) throw invalid('methodResponse has neither params nor fault')
  if (items.length !== 1) throw invalid(`methodResponse has ${items.length} params, not 1`)
  return { kind: 'result', value: items[0] as RpcValue }
}

// Frame kinds: one frame a open element.
const K_DOC = 0
const K_CALL = 1
const K_RESPONSE = 2
const K_METHOD_NAME = 3
const K_PARAMS = 4
const K_PARAM = 5
const K_FAULT = 6
const K_VALUE = 7
const K_SCALAR = 8
const K_NIL = 9
const K_ARRAY = 10
const K_DATA = 11
const K_STRUCT = 12
const K_MEMBER = 13
const K_NAME = 14

/**
 * Frame is one open element; every kind uses the same shape so the hot paths stay
 * monomorphic. Only the fields a kind needs are set.
 */
interface Frame {
  kind: number
  /** the local name, for scalars (which type) and messages */
  tag: string
  /** collected text (value, scalar, name, methodName) */
  text: string
  /** the child value (value, param, fault, member) */
  value: RpcValue | undefined
  /** array items, params, or a call/response's params */
  items: RpcValue[] | undefined
  /** struct members as entries */
  entries: [string, RpcValue][] | undefined
  /** member name, method name */
  name: string | undefined
  /** the fault's value (response) */
  fault: RpcValue | undefined
  /** the `<value>` nesting depth at this element */
  depth: number
  /** for a call or response: which children were seen (methodName, params/fault) */
  seen: number
}

function frame(kind: number, tag: string, depth: number): Frame {
  return {
    kind,
    tag,
    text: '',
    value: undefined,
    items: kind === K_DATA || kind === K_PARAMS ? [] : undefined,
    entries: kind === K_STRUCT ? [] : undefined,
    name: undefined,
    fault: undefined,
    depth,
    seen: 0,
  }
}

const INT_TAGS = new Set(['int', 'i4', 'i8', 'i1', 'i2', 'biginteger'])
const SCALAR_TAGS = new Set([
  ...INT_TAGS,
  'double',
  'float',
  'boolean',
  'string',
  'base64',
  'dateTime.iso8601',
])
const SEEN_NAME = 1
const SEEN_BODY = 2

/** parseDocument runs saxes over the document and returns the root frame, fully built. */
function parseDocument(xml: string, limits: XmlRpcLimits, rootKind: number, hold?: Grower): Frame {
  const doc = openDocument(xml, limits, rootKind, hold)
  doc.feed(xml)
  return doc.finish()
}

/** the text fed to saxes between two turns of the event loop, when decoding asynchronously */
const ASYNC_CHUNK_CHARS = 64 * 1024

/**
 * parseDocumentAsync is parseDocument fed in chunks, letting the event loop run between
 * them: saxes takes about a second per 8 MiB, which would otherwise stall every other
 * request for that long.
 */
async function parseDocumentAsync(
  xml: string,
  limits: XmlRpcLimits,
  rootKind: number,
  hold?: Grower,
): Promise<Frame> {
  const doc = openDocument(xml, limits, rootKind, hold)
  for (let at = 0; at < xml.length; ) {
    let end = Math.min(at + ASYNC_CHUNK_CHARS, xml.length)
    const last = xml.charCodeAt(end - 1)
    if (end < xml.length && last >= 0xd800 && last <= 0xdbff) end++ // keep a surrogate pair together
    doc.feed(xml.slice(at, end))
    at = end
    if (at < xml.length) await new Promise<void>((resolve) => setImmediate(resolve))
  }
  return doc.finish()
}

/** DocumentParser is one document being parsed: feed it text, then finish it. */
interface DocumentParser {
  feed(text: string): void
  finish(): Frame
}

function openDocument(xml: string, limits: XmlRpcLimits, rootKind: number, hold?: Grower): DocumentParser {
  if (utf8Exceeds(xml, limits.maxBytes)) {
    throw new XmlRpcDecodeError('XML_LIMIT', `document exceeds ${limits.maxBytes} bytes`)
  }
  const parser = new SaxesParser({ xmlns: false, position: true })
  const builder = new Builder(parser, limits, rootKind, hold)
  parser.on('opentag', (tag) => builder.open(tag))
  parser.on('closetag', () => builder.close())
  parser.on('text', (text) => builder.text(text))
  parser.on('cdata', (text) => builder.text(text))
  // XML-RPC uses no attributes (Python ignores them); a few per element are read and dropped,
  // more are refused before saxes gathers them all.
  let attributes = 0
  parser.on('opentagstart', () => {
    attributes = 0
  })
  parser.on('attribute', () => {
    if (++attributes > MAX_ATTRIBUTES)
      throw new XmlRpcDecodeError(
        'XML_LIMIT',
        `more than ${MAX_ATTRIBUTES} attributes on one element: ${where(parser)}`,
      )
  })
  parser.on('doctype', () => {
    throw builder.forbidden('DOCTYPE is not allowed')
  })
  parser.on('processinginstruction', (pi) => {
    throw builder.forbidden(`processing instruction <?${pi.target}?> is not allowed`)
  })
  const guarded = (step: () => void) => {
    try {
      step()
    } catch (err) {
      if (err instanceof XmlRpcDecodeError) throw err
      throw fromSaxes(err, parser, builder.sawRoot)
    }
  }
  return {
    feed: (text) => guarded(() => parser.write(text)),
    finish() {
      guarded(() => parser.close())
      builder.settle()
      return builder.result()
    },
  }
}

/** the most attributes one element may carry (XML-RPC itself uses none) */
const MAX_ATTRIBUTES = 16

/** Charges are passed to the hold in steps of this many bytes, not one Atomics update per value. */
const CHARGE_STEP_BYTES = 64 * 1024

class Builder {
  readonly #parser: SaxesParser<{ xmlns: false }>
  readonly #limits: XmlRpcLimits
  readonly #rootKind: number
  readonly #stack: Frame[]
  #top: Frame
  readonly #hold: Grower | undefined
  #values = 0
  #root: Frame | undefined
  /** decoded bytes charged so far, and the part not yet passed to the hold */
  #charged = 0
  #unsettled = 0
  sawRoot = false

  constructor(parser: SaxesParser<{ xmlns: false }>, limits: XmlRpcLimits, rootKind: number, hold?: Grower) {
    this.#parser = parser
    this.#limits = limits
    this.#rootKind = rootKind
    this.#hold = hold
    this.#top = frame(K_DOC, '', 0)
    this.#stack = [this.#top]
  }

  /** charge accounts a value about to be built: the decoded-size limit, then the hold. */
  #charge(bytes: number): void {
    this.#charged += bytes
    if (this.#charged > this.#limits.maxDecodedBytes) {
      throw new XmlRpcDecodeError(
        'XML_LIMIT',
        `values take more than ${this.#limits.maxDecodedBytes} bytes decoded: ${where(this.#parser)}`,
      )
    }
    this.#unsettled += bytes
    if (this.#unsettled >= CHARGE_STEP_BYTES) this.settle()
  }

  /** settle passes what was charged to the hold; XML_BUSY when it has no room. */
  settle(): void {
    if (this.#unsettled === 0 || this.#hold === undefined) return
    if (!this.#hold.grow(this.#unsettled)) {
      throw new XmlRpcDecodeError('XML_BUSY', `no room to decode the request (${this.#charged} bytes so far)`)
    }
    this.#unsettled = 0
  }

  result(): Frame {
    if (this.#root === undefined) throw invalid('no document element') // unreachable: saxes requires one
    return this.#root
  }

  forbidden(what: string): XmlRpcDecodeError {
    return new XmlRpcDecodeError('XML_FORBIDDEN', `${what}: ${where(this.#parser)}`)
  }

  open(tag: SaxesTagPlain): void {
    const name = localName(tag.name)
    const top = this.#top
    let kind: number
    switch (top.kind) {
      case K_DOC:
        this.sawRoot = true
        if (this.#rootKind === K_CALL && name === 'methodCall') kind = K_CALL
        else if (this.#rootKind === K_RESPONSE && name === 'methodResponse') kind = K_RESPONSE
        else throw this.#unexpected(name, top)
        break
      case K_CALL:
        if (name === 'methodName' && (top.seen & SEEN_NAME) === 0) kind = K_METHOD_NAME
        else if (name === 'params' && (top.seen & SEEN_BODY) === 0) kind = K_PARAMS
        else throw this.#unexpected(name, top)
        top.seen |= kind === K_METHOD_NAME ? SEEN_NAME : SEEN_BODY
        break
      case K_RESPONSE:
        if (top.seen !== 0) throw this.#unexpected(name, top)
        if (name === 'params') kind = K_PARAMS
        else if (name === 'fault') kind = K_FAULT
        else throw this.#unexpected(name, top)
        top.seen = SEEN_BODY
        break
      case K_PARAMS:
        if (name !== 'param') throw this.#unexpected(name, top)
        kind = K_PARAM
        break
      case K_ARRAY:
        if (name !== 'data' || top.items !== undefined) throw this.#unexpected(name, top)
        kind = K_DATA
        break
      case K_STRUCT:
        if (name !== 'member') throw this.#unexpected(name, top)
        kind = K_MEMBER
        break
      case K_MEMBER:
        if (name === 'name' && top.name === undefined) {
          kind = K_NAME
          break
        }
        if (name !== 'value' || top.value !== undefined) throw this.#unexpected(name, top)
        this.#openValue(top)
        return
      case K_PARAM:
      case K_FAULT:
        if (name !== 'value' || top.value !== undefined) throw this.#unexpected(name, top)
        this.#openValue(top)
        return
      case K_DATA:
        if (name !== 'value') throw this.#unexpected(name, top)
        this.#openValue(top)
        return
      case K_VALUE:
        if (top.value !== undefined) throw this.#unexpected(name, top)
        if (SCALAR_TAGS.has(name)) kind = K_SCALAR
        else if (name === 'array') kind = K_ARRAY
        else if (name === 'struct') kind = K_STRUCT
        else if (name === 'nil') kind = K_NIL
        else throw invalid(`unknown tag ${pyStrRepr(name)}`)
        break
      default:
        throw this.#unexpected(name, top)
    }
    this.#push(frame(kind, name, top.depth))
  }

  #openValue(parent: Frame): void {
    const depth = parent.depth + 1
    if (depth > this.#limits.maxDepth) {
      throw new XmlRpcDecodeError(
        'XML_LIMIT',
        `values nest deeper than ${this.#limits.maxDepth}: ${where(this.#parser)}`,
      )
    }
    if (++this.#values > this.#limits.maxMembers) {
      throw new XmlRpcDecodeError(
        'XML_LIMIT',
        `more than ${this.#limits.maxMembers} values: ${where(this.#parser)}`,
      )
    }
    this.#push(frame(K_VALUE, 'value', depth))
  }

  #push(f: Frame): void {
    this.#stack.push(f)
    this.#top = f
  }

  text(text: string): void {
    const top = this.#top
    switch (top.kind) {
      case K_VALUE:
        if (top.value !== undefined) return // text beside a typed value is ignored, as in Python
        break
      case K_SCALAR:
      case K_NAME:
      case K_METHOD_NAME:
        break
      default:
        if (!isXmlSpace(text)) {
          throw invalid(`unexpected text in <${top.tag || 'document'}>: ${where(this.#parser)}`)
        }
        return
    }
    top.text += text
    if (top.text.length > this.#limits.maxStringBytes) this.#tooLong(top)
  }

  #tooLong(f: Frame): never {
    throw new XmlRpcDecodeError('XML_LIMIT', `<${f.tag}> text exceeds ${this.#limits.maxStringBytes} bytes`)
  }

  close(): void {
    const f = this.#stack.pop() as Frame
    const parent = this.#stack[this.#stack.length - 1] as Frame
    this.#top = parent
    switch (f.kind) {
      case K_VALUE: {
        let v = f.value
        if (v === undefined) {
          if (utf8Exceeds(f.text, this.#limits.maxStringBytes)) this.#tooLong(f)
          this.#charge(DECODED_COST_BYTES.value + f.text.length)
          v = f.text // a bare value is a string
        }
        if (parent.kind === K_DATA) parent.items?.push(v)
        else parent.value = v
        return
      }
      case K_SCALAR:
        if (utf8Exceeds(f.text, this.#limits.maxStringBytes)) this.#tooLong(f)
        this.#charge(scalarCost(f.tag, f.text))
        parent.value = decodeScalar(f.tag, f.text, this.#limits.maxIntDigits)
        return
      case K_NIL:
        this.#charge(DECODED_COST_BYTES.value)
        parent.value = null
        return
      case K_ARRAY:
        this.#charge(DECODED_COST_BYTES.value)
        parent.value = f.items ?? []
        return
      case K_DATA:
        parent.items = f.items
        return
      case K_STRUCT:
        this.#charge(DECODED_COST_BYTES.struct + (f.entries?.length ?? 0) * DECODED_COST_BYTES.value)
        parent.value = struct(f.entries as [string, RpcValue][])
        return
      case K_MEMBER:
        if (f.name === undefined || f.value === undefined) {
          throw invalid('struct member needs a name and a value')
        }
        parent.entries?.push([f.name, f.value])
        return
      case K_NAME:
        if (utf8Exceeds(f.text, this.#limits.maxStringBytes)) this.#tooLong(f)
        parent.name = f.text
        return
      case K_METHOD_NAME:
        if (f.text === '') throw invalid('empty methodName')
        if (utf8Exceeds(f.text, this.#limits.maxStringBytes)) this.#tooLong(f)
        parent.name = f.text
        return
      case K_PARAM:
        if (f.value === undefined) throw invalid('param has no value')
        parent.items?.push(f.value)
        return
      case K_PARAMS:
        parent.items = f.items
        return
      case K_FAULT:
        if (f.value === undefined) throw invalid('fault has no value')
        parent.fault = f.value
        return
      default: // K_CALL, K_RESPONSE
        this.#root = f
    }
  }

  #unexpected(name: string, parent: Frame): XmlRpcDecodeError {
    const inside = parent.kind === K_DOC ? 'as the document element' : `in <${parent.tag}>`
    return invalid(`unexpected tag ${pyStrRepr(name)} ${inside}`)
  }
}

function invalid(message: string, pyClass = RESPONSE_ERROR): XmlRpcDecodeError {
  return new XmlRpcDecodeError('XML_INVALID', message, pyClass)
}

/** localName drops a namespace prefix: `ex:i8` → `i8`. */
function localName(name: string): string {
  const colon = name.lastIndexOf(':')
  return colon === -1 ? name : name.slice(colon + 1)
}

function isXmlSpace(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c !== 0x20 && c !== 0x0a && c !== 0x09 && c !== 0x0d) return false
  }
  return true
}

/** utf8Exceeds tells whether `s` is more than `max` bytes in UTF-8, counting only when it must. */
function utf8Exceeds(s: string, max: number): boolean {
  if (s.length > max) return true // every UTF-16 unit takes at least one byte
  if (s.length * 3 <= max) return false // and at most three
  return Buffer.byteLength(s, 'utf8') > max
}

function where(parser: SaxesParser<{ xmlns: false }>): string {
  return `line ${parser.line}, column ${parser.column}`
}

// Python's int() and float() strip white space and allow `_` between digits.
const INT_RE = /^\s*[+-]?\d+(?:_\d+)*\s*$/
const FLOAT_RE =
  /^\s*[+-]?(?:(?:\d+(?:_\d+)*(?:\.(?:\d+(?:_\d+)*)?)?|\.\d+(?:_\d+)*)(?:[eE][+-]?\d+(?:_\d+)*)?|inf|infinity|nan)\s*$/i
const DATE_RE = /^(\d{4})-?(\d{2})-?(\d{2})T(\d{2}):(\d{2}):(\d{2})$/

/** scalarCost is what decodeScalar's value will take on the heap. */
function scalarCost(tag: string, text: string): number {
  switch (tag) {
    case 'string':
      return DECODED_COST_BYTES.value + text.length
    case 'base64':
      return DECODED_COST_BYTES.bytes + Math.ceil((text.length * 3) / 4)
    case 'dateTime.iso8601':
      return DECODED_COST_BYTES.date
    default:
      return (
        DECODED_COST_BYTES.value +
        (tag === 'double' || tag === 'float' || tag === 'boolean' ? 0 : text.length / 2)
      )
  }
}

/**
 * intDigits counts the digits of an int literal as CPython does before converting it
 * (underscores and white space are not digits).
 */
function intDigits(text: string): number {
  let n = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c >= 0x30 && c <= 0x39) n++
  }
  return n
}

/** decodeScalar turns a scalar element's text into its value, with Python's error texts. */
function decodeScalar(tag: string, text: string, maxIntDigits: number): RpcValue {
  switch (tag) {
    case 'string':
      return text
    case 'boolean':
      if (text === '0') return false
      if (text === '1') return true
      throw invalid('bad boolean value', 'TypeError')
    case 'double':
    case 'float':
      return decodeFloat(text)
    case 'base64':
      return decodeBase64(text)
    case 'dateTime.iso8601':
      return decodeDate(text)
    default: // the int family
      if (!INT_RE.test(text)) {
        throw invalid(`invalid literal for int() with base 10: ${pyStrRepr(text)}`, 'ValueError')
      }
      return decodeInt(text, maxIntDigits)
  }
}

/** decodeInt is int(text) with CPython's limit on digits (Python/longobject.c, 3.11+). */
function decodeInt(text: string, maxIntDigits: number): bigint {
  const digits = intDigits(text)
  if (digits > maxIntDigits) {
    throw new XmlRpcDecodeError(
      'XML_LIMIT',
      `Exceeds the limit (${maxIntDigits} digits) for integer string conversion: value has ${digits} digits; use sys.set_int_max_str_digits() to increase the limit`,
      'ValueError',
    )
  }
  return BigInt(text.trim().replaceAll('_', ''))
}

function decodeFloat(text: string): number {
  if (!FLOAT_RE.test(text)) {
    throw invalid(`could not convert string to float: ${pyStrRepr(text)}`, 'ValueError')
  }
  const t = text.trim().replaceAll('_', '').toLowerCase()
  const unsigned = t.replace(/^[+-]/, '')
  if (unsigned === 'nan') return Number.NaN
  if (unsigned === 'inf' || unsigned === 'infinity') {
    return t.startsWith('-') ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY
  }
  return Number(t)
}

/** decodeBase64 reads base64 with any white space in it, refusing what Python refuses. */
function decodeBase64(text: string): Uint8Array {
  const clean = isXmlSpace(text) ? '' : text.replace(/\s+/g, '')
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean)) {
    throw invalid('Invalid base64-encoded string', 'binascii.Error')
  }
  const padding = clean.endsWith('==') ? 2 : clean.endsWith('=') ? 1 : 0
  const data = clean.length - padding
  if (data % 4 === 1) {
    throw invalid(
      `Invalid base64-encoded string: number of data characters (${data}) cannot be 1 more than a multiple of 4`,
      'binascii.Error',
    )
  }
  if (clean.length % 4 !== 0) throw invalid('Incorrect padding', 'binascii.Error')
  const buf = Buffer.from(clean, 'base64')
  return new Uint8Array(buf) // a copy: small Buffers are views into a shared pool
}

function decodeDate(text: string): Date {
  const m = DATE_RE.exec(text)
  if (m !== null) {
    const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number]
    const date = new Date(0)
    date.setUTCFullYear(y, mo - 1, d)
    date.setUTCHours(h, mi, s, 0)
    const fits =
      y >= 1 &&
      date.getUTCFullYear() === y &&
      date.getUTCMonth() === mo - 1 &&
      date.getUTCDate() === d &&
      date.getUTCHours() === h &&
      date.getUTCMinutes() === mi &&
      date.getUTCSeconds() === s
    if (fits) return date
  }
  throw invalid(`time data ${pyStrRepr(text)} does not match format '%Y%m%dT%H:%M:%S'`, 'ValueError')
}

// saxes' messages → expat's, for the well-formedness errors a client can provoke.
const SAXES_TO_EXPAT: readonly (readonly [string, string])[] = [
  ['document must contain a root element', 'no element found'],
  ['unclosed tag', 'no element found'],
  ['unexpected close tag', 'mismatched tag'],
  ['unmatched closing tag', 'mismatched tag'],
  ['documents may contain only one root', 'junk after document element'],
  ['malformed character entity', 'reference to invalid character number'],
  ['an XML declaration must be at the start', 'XML or text declaration not at start of entity'],
  ['duplicate attribute', 'duplicate attribute'],
]

/** fromSaxes turns a saxes well-formedness error into an expat-worded XmlRpcDecodeError. */
function fromSaxes(err: unknown, parser: SaxesParser<{ xmlns: false }>, sawRoot: boolean): XmlRpcDecodeError {
  const raw = err instanceof Error ? err.message : String(err)
  const at = where(parser)
  if (raw.includes('undefined entity')) {
    return new XmlRpcDecodeError('XML_FORBIDDEN', `undefined entity: ${at}`, EXPAT_ERROR, { cause: err })
  }
  let text = 'not well-formed (invalid token)'
  if (raw.includes('text data outside of root node')) {
    text = sawRoot ? 'junk after document element' : 'syntax error'
  } else {
    for (const [saxes, expat] of SAXES_TO_EXPAT) {
      if (raw.includes(saxes)) {
        text = expat
        break
      }
    }
  }
  return new XmlRpcDecodeError('XML_MALFORMED', `${text}: ${at}`, EXPAT_ERROR, { cause: err })
}
