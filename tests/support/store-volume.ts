/**
 * A data volume for the RPC store that tests can fill, empty and look into from a second
 * container. `createStoreVolume` makes a named Docker volume (a tmpfs of a given size, or a
 * plain local volume) and a holder container that keeps it mounted (a tmpfs volume loses its
 * contents when no container has it mounted, e.g. while the rpc container restarts) and runs
 * Node scripts in it. Give `volume.mount` to startLab's `mounts`, and `runRpcOnce` starts the
 * rpc image on it for a start-up that is expected to fail.
 */
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { promisify } from 'node:util'
import { images, testLabel } from './images.ts'
import type { LogLine } from './lab.ts'

const run = promisify(execFile)
const label = Object.entries(testLabel).map(([k, v]) => `${k}=${v}`)[0] as string
/** As docker-compose.yml's x-hardened (uid 1000, read-only root, no capabilities); no network, no health check. */
const hardened = [
  '--user',
  '1000:1000',
  '--read-only',
  '--cap-drop',
  'ALL',
  '--network',
  'none',
  '--no-healthcheck',
]

export interface StoreVolume {
  readonly name: string
  /** the mount for startLab: `{ mounts: { rpc: [volume.mount] } }` */
  readonly mount: { readonly source: string; readonly target: string }
  /** runs a Node script (ESM, cwd /data) in the holder container; resolves its stdout */
  node(script: string): Promise<string>
  /** removes the holder container and the volume */
  remove(): Promise<void>
}

/** createStoreVolume makes the volume (tmpfs of `tmpfsBytes`, else a local disk volume) and its holder. */
export async function createStoreVolume(opts: { tmpfsBytes?: number } = {}): Promise<StoreVolume> {
  const name = `netlab-store-${randomBytes(4).toString('hex')}`
  const tmpfs =
    opts.tmpfsBytes === undefined
      ? []
      : [
          '--opt',
          'type=tmpfs',
          '--opt',
          'device=tmpfs',
          '--opt',
          `o=size=${opts.tmpfsBytes},uid=1000,gid=1000`,
        ]
  await run('docker', ['volume', 'create', '--label', label, ...tmpfs, name])
  const holder = `${name}-holder`
  const remove = async () => {
    await run('docker', ['rm', '-f', holder]).catch(() => undefined)
    await run('docker', ['volume', 'rm', '-f', name]).catch(() => undefined)
  }
  try {
    await run('docker', [
      'run',
      '-d',
      '--name',
      holder,
      '--label',
      label,
      ...hardened,
      '-v',
      `${name}:/data`,
      '--entrypoint',
      'node',
      images.rpc,
      '-e',
      'setInterval(() => {}, 1 << 30)',
    ])
  } catch (err) {
    await remove()
    throw err
  }
  return {
    name,
    mount: { source: name, target: '/data' },
    node: async (script) =>
      (
        await run('docker', ['exec', '-w', '/data', holder, 'node', '--input-type=module', '-e', script], {
          timeout: 20_000,
        })
      ).stdout,
    remove,
  }
}

/** runRpcOnce starts the rpc image on the volume, waits (up to 60 s) for it to exit: its exit code and log lines. */
export async function runRpcOnce(
  volume: StoreVolume,
  env: Readonly<Record<string, string>>,
): Promise<{ exitCode: number; logs: LogLine[] }> {
  const envArgs = Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`])
  const name = `${volume.name}-once-${randomBytes(2).toString('hex')}`
  const args = [
    'run',
    '--name',
    name,
    '--label',
    label,
    ...hardened,
    '-v',
    `${volume.name}:/data`,
    ...envArgs,
  ]
  const result = await run('docker', [...args, images.rpc], { timeout: 60_000 }).then(
    (r) => ({ exitCode: 0 as number | string | undefined, stdout: r.stdout }),
    (err: { code?: number | string; stdout?: string }) => ({ exitCode: err.code, stdout: err.stdout ?? '' }),
  )
  await run('docker', ['rm', '-f', name]).catch(() => undefined)
  if (typeof result.exitCode !== 'number') throw new Error(`rpc did not exit within 60 s: ${result.stdout}`)
  const logs = result.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine)
  return { exitCode: result.exitCode, logs }
}
