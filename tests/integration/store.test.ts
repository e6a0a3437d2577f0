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
import { type Lab, startLab } from './lab.ts'
import { createStoreVolume, runRpcOnce, type StoreVolume } from './store-volume.ts'

const run = promisify(execFile)
const NO_SPACE =
  "[Errno 28] No space left on device: the store's volume is full; the write was not stored (STORE_NO_SPACE)"

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

/** restart SIGKILLs the rpc container and starts it again; resolves once healthy, with its new HTTP port. */
async function killAndRestart(lab: Lab): Promise<number> {
  const id = lab.container('rpc').getId()
  await run('docker', ['kill', '--signal', 'KILL', id])
  await run('docker', ['start', id])
  await expect
    .poll(
      async () =>
        (await run('docker', ['inspect', id, '--format', '{{.State.Health.Status}}'])).stdout.trim(),
      {
        timeout: 30_000,
        interval: 200,
      },
    )
    .toBe('healthy')
  const { stdout } = await run('docker', ['port', id, '15000/tcp'])
  return Number(stdout.trim().split('\n')[0]?.split(':').at(-1))
}

describe('rpc store on a full volume (2 MiB tmpfs shared with a holder container)', () => {
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
    expect(refusal).toContain(
      `<name>faultString</name><value><string>&lt;class 'OSError'&gt;:${NO_SPACE}</string>`,
    )
    const refusedKey = `b${acked.length}`
    expect(
      await rpc.json([
        ['set', refusedKey, value(refusedKey)],
        ['exists', refusedKey],
      ]),
    ).toEqual([`error: OSError: ${NO_SPACE}`, false])
    const cli = await lab.client('rpc', 'kv', 'set', refusedKey, value(refusedKey), '--via', 'mpconn')
    expect([cli.exitCode, cli.stderr]).toEqual([
      1,
      `netlab: rpc set via mpconn raised OSError: ${NO_SPACE}\n`,
    ])

    const all = [...first, ...acked]
    const readBack = async () => rpc.json(all.map((k) => ['get', k]))
    expect(await readBack()).toEqual(all.map(value))
    port = await killAndRestart(lab) // on the full volume
    expect(await readBack()).toEqual(all.map(value))

    await volume.node("import { unlinkSync } from 'node:fs'; unlinkSync('filler')")
    expect(
      await rpc.json([
        ['set', refusedKey, value(refusedKey)],
        ['get', refusedKey],
      ]),
    ).toEqual([null, value(refusedKey)])
    const logs = await lab.logs('rpc')
    expect(logs.filter((l) => l.msg === 'store write failed').every((l) => l.code === 'STORE_NO_SPACE')).toBe(
      true,
    )
  })

  it('refuses to start on a log with a corrupt record in the middle: exit 1, file and offset logged', async () => {
    // Three writes of one record each, then one byte of the second changed.
    const offset = Number(
      await volume.node(`
        import { mkdirSync, writeFileSync } from 'node:fs'
        import { crc32 } from 'node:zlib'
        const rec = (p) => crc32(p, crc32('. ')).toString(16).padStart(8, '0') + ' . ' + p + '\\n'
        const [a, b, c] = ['{"s":"a","v":"1"}', '{"s":"b","v":"2"}', '{"s":"c","v":"3"}'].map(rec)
        mkdirSync('crafted', { recursive: true })
        writeFileSync('crafted/kv.log', a + b.replace('"2"', '"9"') + c)
        process.stdout.write(String(a.length))`),
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
    ).toBe(String(offset * 3))
  })
})

describe('rpc store: SIGKILL in the middle of a compaction (disk volume)', () => {
  const KEYS = 600
  const WRITERS = 6
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
  const value = (key: number, seq: number) => `k${key}:${seq}:`.padEnd(20_000, '#')
  /** per key, the last acknowledged sequence number and those sent after it without an answer */
  const acked = new Map<number, number>()
  const unanswered = new Map<number, number[]>()

  /** churn: each writer owns every WRITERS-th key and sets 10 of them per request, until a request fails. */
  const churn = (seqBase: number, until: AbortSignal) =>
    Promise.all(
      Array.from({ length: WRITERS }, async (_, w) => {
        const mine = Array.from({ length: KEYS / WRITERS }, (_, i) => i * WRITERS + w)
        for (let round = 0; !until.aborted; round++) {
          const batch = Array.from({ length: 10 }, (_, j) => mine[(round * 10 + j) % mine.length] as number)
          const seq = seqBase + round
          for (const k of batch) unanswered.set(k, [...(unanswered.get(k) ?? []), seq])
          const results = await rpc
            .json(batch.map((k) => ['set', `k${k}`, value(k, seq)]))
            .catch(() => undefined)
          if (results === undefined) return
          batch.forEach((k, j) => {
            if (results[j] !== null) return
            acked.set(k, seq)
            unanswered.set(k, [])
          })
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
      follower.stdout.on('data', (chunk: Buffer) => {
        if (
          killed.signal.aborted ||
          !/"when":"background".*"msg":"store compaction started"/.test(chunk.toString())
        )
          return
        killed.abort()
        execFile('docker', ['kill', '--signal', 'KILL', id])
      })
      await churn(attempt * 100_000, killed.signal)
      follower.kill()
      await expect
        .poll(async () =>
          (await run('docker', ['inspect', id, '--format', '{{.State.Running}}'])).stdout.trim(),
        )
        .toBe('false')
      if (
        (await volume.node(
          "import { existsSync } from 'node:fs'; process.stdout.write(String(existsSync('kv.log.tmp')))",
        )) === 'true'
      )
        midCompaction++
      await run('docker', ['start', id])
      await expect
        .poll(
          async () =>
            (await run('docker', ['inspect', id, '--format', '{{.State.Health.Status}}'])).stdout.trim(),
          {
            timeout: 30_000,
            interval: 200,
          },
        )
        .toBe('healthy')
      port = Number(
        (await run('docker', ['port', id, '15000/tcp'])).stdout.trim().split('\n')[0]?.split(':').at(-1),
      )
      const keys = [...acked.keys()]
      const held = (await rpc.json(keys.map((k) => ['get', `k${k}`]))) as string[]
      keys.forEach((k, i) => {
        const allowed = [acked.get(k) as number, ...(unanswered.get(k) ?? [])].map((seq) => value(k, seq))
        expect(allowed, `k${k}`).toContain(held[i])
      })
    }
    expect(midCompaction).toBe(1)
    expect((await lab.logs('rpc')).some((l) => l.msg === 'store removed an unfinished compaction')).toBe(true)
  })
})
