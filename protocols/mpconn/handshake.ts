/**
 * The multiprocessing.connection authkey handshake (CPython `deliver_challenge` and
 * `answer_challenge`; docs/protocols.md §5.2): mutual HMAC challenge-response in six frames, each
 * read with a 256-byte limit.
 *
 *   server (Listener.accept)                     client (Client)
 *   1  "#CHALLENGE#" "{sha256}" + 40 random  →
 *                                             ←  2  HMAC(authkey, challenge), raw 16-byte MD5 or "{name}" + MAC
 *   3  "#WELCOME#" | "#FAILURE#"             →
 *                                             ←  4  "#CHALLENGE#" + the client's challenge
 *   5  the answer to it                      →
 *                                             ←  6  "#WELCOME#" | "#FAILURE#"
 *
 * Both generations interoperate (docs/protocols.md §5.2): we always send the 3.12+ challenge (a
 * 3.11 peer answers it with raw HMAC-MD5 over all 48 bytes, which we accept); we answer a
 * 20-byte legacy challenge with raw HMAC-MD5 and a `{name}`-prefixed one with `{name}` +
 * HMAC-name. Digests: md5, sha256, sha384, sha3_256, sha3_384. MACs are compared in
 * constant time. Error texts are CPython's.
 *
 * On any failure the connection is closed (after `#FAILURE#` is flushed, when we are the
 * one who rejects); on timeout it is destroyed at once.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { pyBytesRepr } from '../python.ts'
import type { MpConnection } from './connection.ts'
import { authFailed, handshakeTimeout } from './errors.ts'

/**
 * The seeds' published authkey. The RPC service uses it only in development mode when
 * RPC_AUTHKEY is unset, and the CLI sends it when neither --authkey nor RPC_AUTHKEY is given.
 */
export const DEVELOPMENT_AUTHKEY = 'peekaboo'

export interface HandshakeOptions {
  /** the whole handshake must finish within this many ms, else the connection is destroyed (10000) */
  readonly timeoutMs?: number
}

const CHALLENGE = Buffer.from('#CHALLENGE#')
const WELCOME = Buffer.from('#WELCOME#')
const FAILURE = Buffer.from('#FAILURE#')
/** every handshake frame is read with recv_bytes(256) */
const AUTH_FRAME_BYTES = 256
/** random bytes in a 3.12+ challenge (MESSAGE_LENGTH) */
const MESSAGE_LENGTH = 40
/** a 3.11 challenge is 20 bytes, a raw HMAC-MD5 answer 16: both mean "legacy, no prefix" */
const LEGACY_LENGTHS = new Set([20, 16])
const MIN_CHALLENGE_BYTES = 20
const MAX_DIGEST_NAME = 8
/** Python's digest names → node:crypto's */
const DIGESTS: ReadonlyMap<string, string> = new Map([
  ['md5', 'md5'],
  ['sha256', 'sha256'],
  ['sha384', 'sha384'],
  ['sha3_256', 'sha3-256'],
  ['sha3_384', 'sha3-384'],
])

/** serverHandshake is Listener.accept's side: deliver our challenge, then answer the client's. */
export function serverHandshake(
  conn: MpConnection,
  authkey: Uint8Array,
  opts: HandshakeOptions = {},
): Promise<void> {
  return guarded(conn, opts.timeoutMs ?? 10_000, async () => {
    await deliverChallenge(conn, authkey)
    await answerChallenge(conn, authkey)
  })
}

/** clientHandshake is Client's side: answer the server's challenge, then deliver ours. */
export function clientHandshake(
  conn: MpConnection,
  authkey: Uint8Array,
  opts: HandshakeOptions = {},
): Promise<void> {
  return guarded(conn, opts.timeoutMs ?? 10_000, async () => {
    await answerChallenge(conn, authkey)
    await deliverChallenge(conn, authkey)
  })
}

/** deliverChallenge: send a `{sha256}` challenge, verify the answer, say WELCOME or FAILURE. */
async function deliverChallenge(conn: MpConnection, authkey: Uint8Array): Promise<void> {
  const message = Buffer.concat([Buffer.from('{sha256}'), randomBytes(MESSAGE_LENGTH)])
  await conn.send(Buffer.concat([CHALLENGE, message]))
  const response = await conn.recv(AUTH_FRAME_BYTES)
  try {
    verify(authkey, message, response)
  } catch (err) {
    await conn.send(FAILURE).catch(() => undefined)
    throw err
  }
  await conn.send(WELCOME)
}

/** answerChallenge: MAC the peer's challenge with the digest it names (MD5 for a legacy one), expect WELCOME. */
async function answerChallenge(conn: MpConnection, authkey: Uint8Array): Promise<void> {
  const frame = await conn.recv(AUTH_FRAME_BYTES)
  if (!frame.subarray(0, CHALLENGE.length).equals(CHALLENGE)) {
    throw authFailed(`Protocol error, expected challenge: message=${pyBytesRepr(frame)}`)
  }
  const message = frame.subarray(CHALLENGE.length)
  if (message.length < MIN_CHALLENGE_BYTES) throw authFailed(`challenge too short: ${message.length} bytes`)
  const { digest } = digestAndPayload(message)
  const mac = hmac(digest || 'md5', authkey, message)
  await conn.send(digest ? Buffer.concat([Buffer.from(`{${digest}}`), mac]) : mac)
  const reply = await conn.recv(AUTH_FRAME_BYTES)
  if (!reply.equals(WELCOME)) throw authFailed('digest sent was rejected')
}

/** verify is CPython's _verify_challenge: the answer names its digest (none = legacy MD5). */
function verify(authkey: Uint8Array, message: Buffer, response: Buffer): void {
  const parsed = digestAndPayload(response)
  const digest = parsed.digest || 'md5'
  const expected = hmac(digest, authkey, message)
  if (expected.length !== parsed.payload.length) {
    throw authFailed(`expected '${digest}' of length ${expected.length} got ${parsed.payload.length}`)
  }
  if (!timingSafeEqual(expected, parsed.payload)) throw authFailed('digest received was wrong')
}

/** digestAndPayload is CPython's _get_digest_name_and_payload: '' for a legacy (16 or 20 byte) message. */
function digestAndPayload(message: Buffer): { digest: string; payload: Buffer } {
  if (LEGACY_LENGTHS.has(message.length)) return { digest: '', payload: message }
  if (message[0] === 0x7b) {
    // '}' within bytes 1..9: message.find(b'}', 1, _MAX_DIGEST_LEN + 2)
    const curly = message.subarray(0, MAX_DIGEST_NAME + 2).indexOf(0x7d, 1)
    const digest = curly > 0 ? message.toString('latin1', 1, curly) : ''
    if (DIGESTS.has(digest)) return { digest, payload: message.subarray(curly + 1) }
  }
  throw authFailed(
    `unsupported message length, missing digest prefix, or unsupported digest: message=${pyBytesRepr(message)}`,
  )
}

function hmac(digest: string, authkey: Uint8Array, message: Buffer): Buffer {
  return createHmac(DIGESTS.get(digest) ?? digest, authkey)
    .update(message)
    .digest()
}

/** guarded runs the handshake under a deadline and closes the connection if it fails. */
async function guarded(conn: MpConnection, timeoutMs: number, steps: () => Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = handshakeTimeout(timeoutMs)
      conn.destroy(err)
      reject(err)
    }, timeoutMs)
  })
  try {
    await Promise.race([steps(), deadline])
  } catch (err) {
    void conn.close()
    throw err
  } finally {
    clearTimeout(timer)
  }
}
