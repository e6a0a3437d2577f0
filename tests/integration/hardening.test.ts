/**
 * Container hardening, verified rather than only configured: every service started from the
 * real docker-compose.yml (its own project, random host ports) is checked twice, from
 * `docker inspect` (what Docker was asked for: also docker-init as pid 1 and a restart on
 * failure) and from inside the running container (what the kernel enforces on the service's
 * Node process, docker-init's child): uid 1000, no effective or bounding
 * capabilities (udp too: it binds 37 and 123 through the namespaced sysctl), no_new_privs,
 * a read-only root (a write fails with EROFS), the memory and pids limits, and host ports on
 * 127.0.0.1 only. Production mode without an RPC key, as the compose file passes it (an empty
 * RPC_AUTHKEY), refuses to start; rpc.test.ts covers the variable being absent altogether.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ComposeProject, docker, SERVICES as LAB_SERVICES } from '../soak/compose-project.ts'
import { securityView } from '../soak/container-probe.ts'
import { containerLimits } from '../support/lab.ts'

/** the lab's services, the fault-injection proxy in front of them, and the dashboard */
const SERVICES = [...LAB_SERVICES, 'faults', 'dashboard'] as const

describe('container hardening (docker-compose.yml)', { timeout: 60_000 }, () => {
  const project = new ComposeProject('netlab-harden', process.env)
  const ids = new Map<string, string>()
  beforeAll(async () => {
    await project.up(SERVICES)
    for (const s of SERVICES) ids.set(s, await project.containerId(s))
  }, 120_000)
  afterAll(() => project.down())

  it.each(
    SERVICES,
  )('%s: docker inspect shows uid 1000, read-only root, no caps, no-new-privileges, limits, init, restart on failure', async (service) => {
    const format = [
      '{{.Config.User}}',
      '{{.HostConfig.ReadonlyRootfs}}',
      '{{json .HostConfig.CapDrop}}',
      '{{json .HostConfig.CapAdd}}',
      '{{json .HostConfig.SecurityOpt}}',
      '{{.HostConfig.Memory}}',
      '{{.HostConfig.PidsLimit}}',
      '{{.HostConfig.Privileged}}',
      '{{.HostConfig.Init}}',
      '{{.HostConfig.RestartPolicy.Name}}',
    ].join(' ')
    const { stdout } = await docker(['inspect', ids.get(service) as string, '--format', format])
    expect(stdout.trim()).toBe(
      `1000:1000 true ["ALL"] null ["no-new-privileges:true"] ${containerLimits.memoryBytes} ${containerLimits.pids} false true on-failure`,
    )
  })

  it.each(
    SERVICES,
  )('%s: inside, the service process runs as uid 1000 with CapEff 0, NoNewPrivs 1, EROFS on /, cgroup limits', async (service) => {
    expect(await securityView(ids.get(service) as string)).toEqual({
      uid: '1000\t1000\t1000\t1000',
      gid: '1000\t1000\t1000\t1000',
      capEff: '0000000000000000',
      capBnd: '0000000000000000',
      noNewPrivs: '1',
      rootWrite: 'EROFS',
      memoryLimit: String(containerLimits.memoryBytes),
      pidsMax: String(containerLimits.pids),
    })
  })

  it.each(SERVICES)('%s: publishes its ports on 127.0.0.1 only', async (service) => {
    const { stdout } = await docker([
      'inspect',
      ids.get(service) as string,
      '--format',
      '{{json .HostConfig.PortBindings}}',
    ])
    const bindings = Object.values(JSON.parse(stdout) as Record<string, { HostIp: string }[]>).flat()
    expect(bindings.length).toBeGreaterThan(0)
    expect(new Set(bindings.map((b) => b.HostIp))).toEqual(new Set(['127.0.0.1']))
  })

  it('rpc in production mode with the compose file’s empty RPC_AUTHKEY exits 2 naming RPC_AUTHKEY', async () => {
    const production = new ComposeProject('netlab-harden-prod', process.env, {
      RPC_MODE: 'production',
      RPC_AUTHKEY: '',
    })
    try {
      const failure = await production.compose(['run', '--rm', '--no-deps', '-T', 'rpc']).then(
        () => undefined,
        (err: { exitCode?: number; stdout?: string }) => err,
      )
      expect(failure?.exitCode).toBe(2)
      const first = JSON.parse(failure?.stdout?.split('\n')[0] ?? '{}') as Record<string, unknown>
      expect(first).toMatchObject({ level: 'fatal', msg: 'invalid configuration' })
      expect(JSON.stringify(first.problems)).toContain('RPC_AUTHKEY')
    } finally {
      await production.down()
    }
  })
})
