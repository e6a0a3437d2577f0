/** The swarm tooling's variables (make swarm-*), validated like the services' (exit 2 naming each). */
import { type ConfigOf, type Env, enumVar, hostVar, intVar, loadConfig, stringVar } from '../../lib/config.ts'
import { ConfigError } from '../../lib/errors.ts'
import { parseCidr } from './subnet.ts'

export const swarmConfigSpec = {
  stack: stringVar('SWARM_STACK', 'the stack: prefixes its services, network, volume and secret', {
    default: 'netlab-swarm',
  }),
  tag: stringVar('NETLAB_TAG', 'the image tag (netlab-tcp:<tag>, ...), as `make images` built them', {
    default: 'dev',
  }),
  replicas: intVar('SWARM_REPLICAS', 'replicas of tcp, udp and http (rpc and faults run one each)', {
    default: 2,
    min: 1,
    max: 32,
  }),
  subnet: stringVar('SWARM_SUBNET', "the overlay's IPv4 subnet (default: a free /24 in 172.16.0.0/16)", {
    default: '',
  }),
  publish: enumVar(
    'SWARM_PUBLISH',
    '1: publish every port in host mode, on every interface (publish.yml)',
    ['0', '1'],
    '0',
  ),
  advertiseAddr: hostVar(
    'SWARM_ADVERTISE_ADDR',
    'the address a swarm created by swarm-up advertises (other nodes join it there)',
    '127.0.0.1',
  ),
  rpcNode: stringVar(
    'SWARM_RPC_NODE',
    'the node (hostname) rpc and its volume are placed on (default: this one)',
    {
      default: '',
    },
  ),
  waitS: intVar('SWARM_WAIT_S', 'how long swarm-up waits for every replica to run healthy', {
    default: 180,
    min: 10,
    max: 3600,
    unit: 's',
  }),
  connectRetryMs: intVar(
    'NETLAB_CONNECT_RETRY_MS',
    "how long swarm-client's TCP connects are retried while a service starts or is replaced",
    { default: 15_000, min: 0, max: 600_000, unit: 'ms' },
  ),
} as const

/** SwarmConfig is the validated configuration of the swarm tooling. */
export type SwarmConfig = ConfigOf<typeof swarmConfigSpec>

/** loadSwarmConfig reads the SWARM_* variables; throws ConfigError naming every bad one. */
export function loadSwarmConfig(env: Env): SwarmConfig {
  const config = loadConfig(swarmConfigSpec, env)
  const problems: string[] = []
  // a stack name prefixes DNS names and Docker object names
  if (!/^[a-z0-9][a-z0-9-]{0,39}$/.test(config.stack))
    problems.push(`SWARM_STACK=${JSON.stringify(config.stack)}: expected 1 to 40 of a-z, 0-9 and -`)
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(config.tag))
    problems.push(`NETLAB_TAG=${JSON.stringify(config.tag)}: expected a Docker image tag`)
  if (config.subnet !== '' && (!config.subnet.includes('/') || parseCidr(config.subnet) === undefined))
    problems.push(
      `SWARM_SUBNET=${JSON.stringify(config.subnet)}: expected an IPv4 subnet such as 172.16.240.0/24`,
    )
  if (problems.length > 0) throw new ConfigError(problems)
  return config
}
