/**
 * The RPC store with real faults, across containers. The rpc container's /data is a named
 * volume that a second (holder) container also mounts, to fill it, free it and look inside:
 * - a full volume (a 2 MiB tmpfs): writes are refused with OSError(28) in each transport's form,
 *   every acknowledged write is still there (also after SIGKILL and a restart on the full
 *   volume), and writes work again once the holder frees space;
 * - a log with a corrupt record in the middle: the service refuses to start, exit 1, with a
 *   fatal log line naming the file and the offset;
 * - SIGKILL in the middle of a compaction (churn on a disk volume): nothing acknowledged is lost.
 */
import { execFile, spawn } from 'node:child_process'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Lab, startLab } from '../support/lab.ts'
import { createStoreVolume, runRpcOnce, type StoreVolume } from '../support/store-volume.ts'

const run = promisify(execFile)
const NO_SPACE =
  "[Errno 28] No space left on device: the store's volume is full; the write was not stored (STORE_NO_SPACE)"

/** Python's clients on the host: the seed's RPCProxy (mp port, argv[1]) and ServerProxy (argv[2]) set argv[3]. */
const PY_CLIENTS = `
import pickle, sys
from multiprocessing.connection import Client
from xmlrpc.client import Fault, ServerProxy
class RPCProxy:
    def __init__(self, connection):
        self._connection = connection
    def __getattr__(self, name):
        def do_rpc(*args, **kwargs):
            self._connection.send(pickle.dumps((name, args, kwargs)))
            result = pickle.loads(self._connection.recv())
            if isinstance(result, Exception):
                raise result
            return result
        return do_rpc
try:
    RPCProxy(Client(('127.0.0.1', int(sys.argv[1])), authkey=b'peekaboo')).set(sys.argv[3], 'v' * 8000)
except OSError as e:
    print('mp:', type(e).__name__, e.errno, e)
try:
    ServerProxy('http://127.0.0.1:%s' % sys.argv[2], allow_none=True).set(sys.argv[3], 'v' * 8000)
except Fault as f:
    print('xmlrpc:', f)
`

/** Calls `set`/`get` over the HTTP port: XML-RPC (raw body) and JSON-RPC (batches). */
function rpcAt(base: () => string) {
  const post = async (path: string, body: string, type: string) => {
    const res = await fetch(`${base()}${path}`, { method: 'POST', body, headers: { 'content-type': type } })
    return res.text()
  }
  const str = (s: string) => `<param><value><string>${s}</string></value></param>`
  return {
    xmlSet: (key: string, value: string) =>
      post(
        '/RPC2',
        `<methodCall><methodName>set</methodName><params>${str(key)}${str(value)}</params></methodCall>`,
        'text/xml',
      ),
    /** one JSON-RPC batch; the results (or error messages) in order */
    json: async (calls: readonly (readonly [string, ...unknown[]])[]) => {
      const body = calls.map(([method, ...params], id) => ({ jsonrpc: '2.0', method, params, id }))
      const replies = JSON.parse(await post('/jsonrpc', JSON.stringify(body), 'application/json')) as {
        id: number
        result?: unknown
        error?: { message: string }
      }[]
      return replies
        .sort((a, b) => a.id - b.id)
        .map((r) => (r.error ? `error: ${r.error.message}` : r.result))
    },
  }
}

/** startAgain starts the stopped rpc container; resolves once healthy, with its new HTTP port. */
async function startAgain(id: string): Promise<number> {
  await run('docker', ['start', id])
  await expect
    .poll(
      async () =>
        (await run('docker', ['inspect', id, '--format', '{{.State.Health.Status}}'])).stdout.trim(),
      {
        timeout: 60_000,
        interval: 200,
      },
    )
    .toBe('healthy')
  const { stdout } = await run('docker', ['port', id, '15000/tcp'])
  return Number(stdout.trim().split('\n')[0]?.split(':').at(-1))
}

describe(
  'rpc store on a full volume (2 MiB tmpfs shared with a holder container)',
  { timeout: 120_000 },
  () => {
    let volume: StoreVolume
    let lab: Lab
    let port: number
    beforeAll(async () => {
      volume = await createStoreVolume({ tmpfsBytes: 2 * 1024 * 1024 })
      lab = await startLab(['rpc'], { mounts: { rpc: [volume.mount] } })
      port = lab.hostPort('rpc', 15000)
    })
    afterAll(async () => {
      await lab?.stop()
      await volume?.remove()
    })
    const rpc = rpcAt(() => `http://127.0.0.1:${port}`)
    const value = (key: string) => `${key}=`.padEnd(8000, 'v')

    it('refuses writes with OSError(28), keeps every acknowledged one, and writes again once space returns', async () => {
      const first = Array.from({ length: 20 }, (_, i) => `a${i}`)
      expect(await rpc.json(first.map((k) => ['set', k, value(k)]))).toEqual(first.map(() => null))
      // The holder fills the volume, leaving 64 KiB.
      await volume.node(
        "import { statfsSync, writeFileSync } from 'node:fs'; const s = statfsSync('.'); writeFileSync('filler', Buffer.alloc(s.bavail * s.bsize - 65536))",
      )
      const acked: string[] = []
      let refusal = ''
      for (let i = 0; i < 20 && refusal === ''; i++) {
        const reply = await rpc.xmlSet(`b${i}`, value(`b${i}`))
        if (reply.includes('<nil/>')) acked.push(`b${i}`)
        else refusal = reply
      }
      expect(acked.length).toBeGreaterThan(3)
      expect(refusal).toBe(
        [
          "<?xml version='1.0'?>",
          '<methodResponse>',
          '<fault>',
          '<value><struct>',
          '<member>',
          '<name>faultCode</name>',
          '<value><int>1</int></value>',
          '</member>',
          '<member>',
          '<name>faultString</name>',
          `<value><string>&lt;class 'OSError'&gt;:${NO_SPACE}</string></value>`,
          '</member>',
          '</struct></value>',
          '</fault>',
          '</methodResponse>',
          '',
        ].join('\n'),
      )
      const refusedKey = `b${acked.length}`
      expect(
        await rpc.json([
          ['set', refusedKey, value(refusedKey)],
          ['exists', refusedKey],
        ]),
      ).toEqual([`error: OSError: ${NO_SPACE}`, false])
      // Python's own clients: the seed's RPCProxy re-raises a real OSError (errno 28); ServerProxy a Fault.
      const python = await run('python3', [
        '-c',
        PY_CLIENTS,
        String(lab.hostPort('rpc', 17000)),
        String(port),
        refusedKey,
      ])
      expect(python.stdout).toBe(
        `mp: OSError 28 ${NO_SPACE}\nxmlrpc: <Fault 1: "<class 'OSError'>:${NO_SPACE}">\n`,
      )
      // The CLI prints the pickled OSError's args as Python prints a plain exception's.
      const cli = await lab.client('rpc', 'kv', 'set', refusedKey, value(refusedKey), '--via', 'mpconn')
      expect([cli.exitCode, cli.stderr]).toEqual([
        1,
        `netlab: rpc set via mpconn raised OSError: (28, "${NO_SPACE.replace('[Errno 28] ', '')}")\n`,
      ])

      const all = [...first, ...acked]
      const readBack = async () => rpc.json(all.map((k) => ['get', k]))
      expect(await readBack()).toEqual(all.map(value))
      await run('docker', ['kill', '--signal', 'KILL', lab.container('rpc').getId()])
      port = await startAgain(lab.container('rpc').getId()) // on the full volume
      expect(await readBack()).toEqual(all.map(value))

      await volume.node("import { unlinkSync } from 'node:fs'; unlinkSync('filler')")
      expect(
        await rpc.json([
          ['set', refusedKey, value(refusedKey)],
          ['get', refusedKey],
        ]),
      ).toEqual([null, value(refusedKey)])
      const logs = await lab.logs('rpc')
      expect(
        logs.filter((l) => l.msg === 'store write failed').every((l) => l.code === 'STORE_NO_SPACE'),
      ).toBe(true)
    })

    it('refuses to start on a log with a corrupt record in the middle: exit 1, file and offset logged', async () => {
      // The header and three writes of one record each, then one byte of the second changed.
      const offset = Number(
        await volume.node(`
        import { mkdirSync, writeFileSync } from 'node:fs'
        import { crc32 } from 'node:zlib'
        const rec = (p) => crc32('0 ' + p).toString(16).padStart(8, '0') + ' 0 ' + p + '\\n'
        const [a, b, c] = ['{"s":"a","v":"1"}', '{"s":"b","v":"2"}', '{"s":"c","v":"3"}'].map(rec)
        mkdirSync('crafted', { recursive: true })
        writeFileSync('crafted/kv.log', 'netlab-kv-log 2\\n' + a + b.replace('"2"', '"9"') + c)
        process.stdout.write(String(16 + a.length))`),
      )
      const { exitCode, logs } = await runRpcOnce(volume, {
        RPC_MODE: 'development',
        RPC_DATA_DIR: '/data/crafted',
      })
      expect(exitCode).toBe(1)
      expect(logs.find((l) => l.level === 'fatal')).toMatchObject({
        code: 'STORE_CORRUPT',
        path: '/data/crafted/kv.log',
        offset,
        reason: 'checksum mismatch',
        msg: `store log /data/crafted/kv.log has a corrupt record at byte offset ${offset} (checksum mismatch) followed by later writes; refusing to start rather than drop acknowledged data`,
      })
      expect(
        await volume.node(
          "import { statSync } from 'node:fs'; process.stdout.write(String(statSync('crafted/kv.log').size))",
        ),
      ).toBe(String(16 + (offset - 16) * 3))
    })
  },
)

describe('rpc store: SIGKILL in the middle of a compaction (disk volume)', { timeout: 180_000 }, () => {
  // 40 live values of 1 MB: a compaction rewrites 40 MB, long enough for the kill to land in it.
  const KEYS = 40
  const WRITERS = 4
  let volume: StoreVolume
  let lab: Lab
  let port: number
  beforeAll(async () => {
    volume = await createStoreVolume()
    lab = await startLab(['rpc'], {
      mounts: { rpc: [volume.mount] },
      env: { rpc: { RPC_STORE_COMPACT_RATIO: '2' } },
    })
    port = lab.hostPort('rpc', 15000)
  })
  afterAll(async () => {
    await lab?.stop()
    await volume?.remove()
  })
  const rpc = rpcAt(() => `http://127.0.0.1:${port}`)
  const value = (key: number, seq: number) => `k${key}:${seq}:`.padEnd(1_000_000, '#')
  /** per key, the last acknowledged sequence number and those sent after it without an answer */
  const acked = new Map<number, number>()
  const unanswered = new Map<number, number[]>()

  /** churn: each writer owns every WRITERS-th key and sets one per request, in turn, until a request fails. */
  const churn = (seqBase: number, until: AbortSignal) =>
    Promise.all(
      Array.from({ length: WRITERS }, async (_, w) => {
        for (let round = 0; !until.aborted; round++) {
          const k = (round % (KEYS / WRITERS)) * WRITERS + w
          const seq = seqBase + round
          unanswered.set(k, [...(unanswered.get(k) ?? []), seq])
          const [result] = (await rpc
            .json([['set', `k${k}`, value(k, seq)]])
            .catch(() => [undefined])) as unknown[]
          if (result !== null) return
          acked.set(k, seq)
          unanswered.set(k, [])
        }
      }),
    )

  it('loses no acknowledged write, whenever the kill lands', async () => {
    const id = lab.container('rpc').getId()
    let midCompaction = 0
    for (let attempt = 0; attempt < 3 && midCompaction === 0; attempt++) {
      const killed = new AbortController()
      // Kill the moment the service says a background compaction started.
      const follower = spawn('docker', ['logs', '-f', '--since', '1s', id])
      let seen = ''
      follower.stdout.on('data', (chunk: Buffer) => {
        seen = (seen + chunk.toString()).slice(-4096)
        if (killed.signal.aborted || !/"when":"background".*"msg":"store compaction started"/.test(seen))
          return
        killed.abort()
        execFile('docker', ['kill', '--signal', 'KILL', id])
      })
      await churn(attempt * 100_000, killed.signal)
      follower.kill()
      expect(killed.signal.aborted, 'the writes stopped before any compaction started').toBe(true)
      await expect
        .poll(
          async () => (await run('docker', ['inspect', id, '--format', '{{.State.Running}}'])).stdout.trim(),
          { timeout: 30_000, interval: 100 },
        )
        .toBe('false')
      const tmp =
        "import { existsSync } from 'node:fs'; process.stdout.write(String(existsSync('kv.log.tmp')))"
      if ((await volume.node(tmp)) === 'true') midCompaction++
      port = await startAgain(id)
      for (let from = 0; from < KEYS; from += 10) {
        const keys = [...acked.keys()].filter((k) => k >= from && k < from + 10)
        const held = await rpc.json(keys.map((k) => ['get', `k${k}`]))
        keys.forEach((k, i) => {
          const allowed = [acked.get(k) as number, ...(unanswered.get(k) ?? [])].map((seq) => value(k, seq))
          expect(allowed.includes(held[i] as string), `k${k}`).toBe(true)
        })
      }
    }
    expect(midCompaction).toBe(1)
    expect((await lab.logs('rpc')).some((l) => l.msg === 'store removed an unfinished compaction')).toBe(true)
  })
})
