/**
 * The real docker-compose.yml, under a unique project name with random host ports: the
 * services (and the dashboard) come up healthy, and `docker compose run --rm client ...` reaches them by
 * service name, both for one command and for an interactive session fed on stdin.
 */
import { execFile } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { DockerComposeEnvironment, type StartedDockerComposeEnvironment, Wait } from 'testcontainers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { randomHostPorts } from '../soak/compose-project.ts'

const execFileP = promisify(execFile)
const root = join(import.meta.dirname, '..', '..')
const project = `netlab-test-${randomUUID().slice(0, 8)}`
// Empty host-port variables publish on random ports, so a running `make up` lab is not disturbed.
const env = randomHostPorts()

function compose(args: string[], input?: string): Promise<{ stdout: string; stderr: string }> {
  const child = execFileP('docker', ['compose', '-p', project, ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    timeout: 30_000,
  })
  if (input !== undefined) child.child.stdin?.end(input)
  return child
}

describe('docker-compose.yml', { timeout: 60_000 }, () => {
  let lab: StartedDockerComposeEnvironment
  beforeAll(async () => {
    lab = await new DockerComposeEnvironment(root, 'docker-compose.yml')
      .withProjectName(project)
      .withEnvironment(env)
      .withWaitStrategy('tcp-1', Wait.forHealthCheck())
      .withWaitStrategy('udp-1', Wait.forHealthCheck())
      .withWaitStrategy('http-1', Wait.forHealthCheck())
      .withWaitStrategy('rpc-1', Wait.forHealthCheck())
      .withWaitStrategy('faults-1', Wait.forHealthCheck())
      .withWaitStrategy('dashboard-1', Wait.forHealthCheck())
      .up(['tcp', 'udp', 'http', 'rpc', 'faults', 'dashboard'])
  })
  afterAll(async () => {
    await compose(['--profile', 'tools', 'down', '--volumes', '--remove-orphans'])
  })

  it.each([
    ['tcp', 6, 'tcp'],
    ['udp', 6, 'udp'],
    ['http', 1, 'tcp'],
    ['rpc', 4, 'tcp'],
    ['dashboard', 1, 'tcp'],
  ])('starts the %s service healthy, its %d ports published on 127.0.0.1 only', async (service, count, proto) => {
    const { stdout } = await execFileP('docker', ['port', lab.getContainer(`${service}-1`).getId()])
    const bindings = stdout.trim().split('\n')
    expect(bindings).toHaveLength(count)
    for (const b of bindings) expect(b).toMatch(new RegExp(`^\\d+/${proto} -> 127\\.0\\.0\\.1:\\d+$`))
  })

  it('the dashboard on its 127.0.0.1 host port sees the five services up, over the lab network only', async () => {
    const { stdout } = await execFileP('docker', [
      'port',
      lab.getContainer('dashboard-1').getId(),
      '8088/tcp',
    ])
    const url = `http://${stdout.trim().split('\n')[0]}`
    const mounts = await execFileP('docker', [
      'inspect',
      lab.getContainer('dashboard-1').getId(),
      '--format',
      '{{json .Mounts}}',
    ])
    expect(mounts.stdout).not.toContain('docker.sock')
    const deadline = Date.now() + 20_000
    let states: string[] = []
    while (Date.now() < deadline) {
      const body = (await (await fetch(`${url}/api/lab`)).json()) as {
        services: { service: string; state: string; health: string }[]
      }
      states = body.services.map((s) => `${s.service} ${s.state} ${s.health}`)
      if (states.every((s) => s.endsWith('up healthy'))) break
      await new Promise((r) => setTimeout(r, 500))
    }
    expect(states).toEqual(['tcp', 'udp', 'http', 'rpc', 'faults'].map((s) => `${s} up healthy`))
  })

  it('runs the udp service as uid 1000 with no capabilities, and it still binds port 123', async () => {
    const { stdout } = await execFileP('docker', [
      'inspect',
      lab.getContainer('udp-1').getId(),
      '--format',
      '{{.Config.User}} {{.HostConfig.CapDrop}} {{.HostConfig.CapAdd}} {{.HostConfig.ReadonlyRootfs}} {{index .HostConfig.Sysctls "net.ipv4.ip_unprivileged_port_start"}}',
    ])
    expect(stdout.trim()).toBe('1000:1000 [ALL] [] true 0')
  })

  it('`docker compose run --rm client tcp upper "hello world"` prints HELLO WORLD', async () => {
    const { stdout } = await compose(['run', '--rm', '-T', 'client', 'tcp', 'upper', 'hello world'])
    expect(stdout).toBe('HELLO WORLD\n')
  })

  it('runs the faults service hardened: uid 1000, read-only root, no capabilities, no-new-privileges', async () => {
    const { stdout } = await execFileP('docker', [
      'inspect',
      lab.getContainer('faults-1').getId(),
      '--format',
      '{{.Config.User}} {{.HostConfig.CapDrop}} {{.HostConfig.CapAdd}} {{.HostConfig.ReadonlyRootfs}} {{.HostConfig.SecurityOpt}}',
    ])
    expect(stdout.trim()).toBe('1000:1000 [ALL] [] true [no-new-privileges:true]')
  })

  it('`docker compose run --rm client tcp upper --host faults --port 19999` goes through the faults proxy', async () => {
    const { stdout } = await compose([
      'run',
      '--rm',
      '-T',
      'client',
      'tcp',
      'upper',
      '--host',
      'faults',
      '--port',
      '19999',
      'via faults',
    ])
    expect(stdout).toBe('VIA FAULTS\n')
  })

  it('the http service answers curl on its 127.0.0.1 host port', async () => {
    const { stdout } = await execFileP('docker', ['port', lab.getContainer('http-1').getId(), '8080/tcp'])
    const hostPort = stdout.trim().split('\n')[0]?.split(':').at(-1)
    const { stdout: page } = await execFileP('curl', [
      '-sS',
      '--max-time',
      '5',
      `http://127.0.0.1:${hostPort}/hello/curl`,
    ])
    expect(page).toBe('<h1>hello, curl!</h1>')
  })

  it('`docker compose run --rm client` with no arguments is an interactive session', async () => {
    const { stdout } = await compose(
      ['run', '--rm', '-T', 'client'],
      'help\ntcp upper "two words"\ntcp cmd PING\nexit\n',
    )
    expect(stdout).toContain('netlab interactive session')
    expect(stdout).toContain('Commands:\n  tcp ')
    expect(stdout).toContain('TWO WORDS\n')
    expect(stdout).toContain('OK PONG\n')
  })
})
