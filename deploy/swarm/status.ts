/**
 * The running stack as a table (`make swarm-up`, `make swarm-ps`), like `make ps`: each
 * replica's service, task, node, state, container (the hostname WHOAMI names), overlay
 * address, published ports, and one example per service.
 */
import { docker, dockerLines } from './docker.ts'
import { NAMESPACE_LABEL } from './stack.ts'

const examples: Readonly<Record<string, string>> = {
  tcp: "make swarm-client ARGS='tcp cmd WHOAMI'",
  udp: "make swarm-client ARGS='udp sntp'",
  http: "make swarm-client ARGS='http get /get'",
  rpc: "make swarm-client ARGS='rpc call add 2 3 --via mpconn'",
  faults: "make swarm-client ARGS='faults list'",
}

interface Task {
  readonly ID: string
  readonly Slot?: number
  readonly ServiceID: string
  readonly NodeID: string
  readonly Status: {
    readonly State: string
    readonly ContainerStatus?: { readonly ContainerID?: string }
    readonly PortStatus?: {
      readonly Ports?: readonly { PublishedPort: number; TargetPort: number; Protocol: string }[]
    }
  }
  readonly NetworksAttachments?: readonly {
    Network: { Spec: { Name: string } }
    Addresses?: readonly string[]
  }[]
}

/** statusRows returns the table's rows (header first); just the header when the stack runs nothing. */
export async function statusRows(stack: string): Promise<string[][]> {
  const header = ['SERVICE', 'TASK', 'NODE', 'STATE', 'CONTAINER', 'ADDRESS', 'PUBLISHED', 'EXAMPLE']
  const filter = ['--filter', `label=${NAMESPACE_LABEL}=${stack}`]
  const names = await dockerLines(['service', 'ls', ...filter, '--format', '{{.Name}}'])
  if (names.length === 0) return [header]
  // full service IDs (tasks name their service by it; `service ls` shortens it)
  const services = new Map(
    (await dockerLines(['service', 'inspect', '--format', '{{.ID}}\t{{.Spec.Name}}', ...names])).map(
      (l) => l.split('\t') as [string, string],
    ),
  )
  const taskIds = await dockerLines([
    'service',
    'ps',
    '-q',
    '--filter',
    'desired-state=running',
    ...services.values(),
  ])
  if (taskIds.length === 0) return [header]
  const tasks = JSON.parse(await docker(['inspect', '--type', 'task', ...taskIds])) as Task[]
  const nodes = new Map(
    (await dockerLines(['node', 'ls', '--format', '{{.ID}}\t{{.Hostname}}'])).map(
      (l) => l.split('\t') as [string, string],
    ),
  )
  const rows = tasks.map((t) => {
    const service = (services.get(t.ServiceID) ?? '?').slice(stack.length + 1)
    const address =
      t.NetworksAttachments?.find((a) => a.Network.Spec.Name === `${stack}_overlay`)?.Addresses?.[0]?.split(
        '/',
      )[0] ?? '-'
    const ports = t.Status.PortStatus?.Ports ?? []
    return [
      service,
      `${service}.${t.Slot ?? '?'}`,
      nodes.get(t.NodeID) ?? t.NodeID.slice(0, 12),
      t.Status.State,
      t.Status.ContainerStatus?.ContainerID?.slice(0, 12) ?? '-',
      address,
      ports.length === 0
        ? '-'
        : ports.map((p) => `${p.PublishedPort}->${p.TargetPort}/${p.Protocol}`).join(' '),
    ]
  })
  rows.sort((a, b) => (a[1] as string).localeCompare(b[1] as string, 'en', { numeric: true }))
  let last = ''
  return [
    header,
    ...rows.map((r) => {
      const first = r[0] !== last
      last = r[0] as string
      return [...r, first ? (examples[last] ?? '') : '']
    }),
  ]
}

/** formatTable aligns rows into columns. */
export function formatTable(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? []
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
}
