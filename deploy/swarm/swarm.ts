/**
 * netlab on Docker Swarm: `node deploy/swarm/swarm.ts up|ps|client [args...]|down`, run by
 * `make swarm-up`, `make swarm-ps`, `make swarm-client ARGS=...` and `make swarm-down`
 * (docs/swarm.md). The only file here that reads the environment or sets the exit code.
 */
import { spawn } from 'node:child_process'
import { ConfigError } from '../../lib/errors.ts'
import { clientAuthkey, clientRunArgs, networkName } from './client.ts'
import { loadSwarmConfig, type SwarmConfig } from './config.ts'
import { dockerSucceeds } from './docker.ts'
import { ensureSwarm, leaveIfCreated, swarmState } from './engine.ts'
import {
  checkImages,
  chooseSubnet,
  deployStack,
  ensureSecret,
  removeStack,
  secretName,
  waitConverged,
} from './stack.ts'
import { formatTable, statusRows } from './status.ts'

const say = (line: string) => console.log(line)

async function up(config: SwarmConfig): Promise<void> {
  const started = performance.now()
  await checkImages(config.tag)
  await ensureSwarm(config.advertiseAddr, say)
  const subnet = await chooseSubnet(config.stack, config.subnet)
  if (await ensureSecret(config.stack, process.env.RPC_AUTHKEY))
    say(
      `swarm: created the secret ${secretName(config.stack)} (rpc's authkey, from ${process.env.RPC_AUTHKEY ? 'RPC_AUTHKEY' : 'random bytes'})`,
    )
  if (config.publish === '1')
    console.error(
      'swarm: WARNING: SWARM_PUBLISH=1 publishes every port on EVERY interface of the node (Swarm cannot bind 127.0.0.1): UDP, the faults API and the RPC ports become reachable from the network',
    )
  const rpcNode = config.rpcNode || (await swarmState()).hostname
  await deployStack(config, { subnet, rpcNode })
  say(
    `swarm: deployed stack ${config.stack} (overlay ${networkName(config.stack)} ${subnet}; rpc on ${rpcNode})`,
  )
  await waitConverged(config.stack, config.waitS * 1000, say)
  say(
    `swarm: every replica runs healthy, ${((performance.now() - started) / 1000).toFixed(1)} s after swarm-up began`,
  )
  say(formatTable(await statusRows(config.stack)))
}

async function ps(config: SwarmConfig): Promise<void> {
  const rows = await statusRows(config.stack)
  say(
    rows.length > 1
      ? formatTable(rows)
      : `swarm: stack ${config.stack} runs nothing (start it with \`make swarm-up\`)`,
  )
}

async function client(config: SwarmConfig, args: readonly string[]): Promise<number> {
  if (!(await dockerSucceeds(['network', 'inspect', networkName(config.stack)]))) {
    console.error(`swarm: no network ${networkName(config.stack)}: run \`make swarm-up\` first`)
    return 1
  }
  const authkey = clientAuthkey(config.stack, process.env.RPC_AUTHKEY)
  const tty = process.stdin.isTTY === true && process.stdout.isTTY === true
  const child = spawn('docker', clientRunArgs(config, args, { tty }), {
    stdio: 'inherit',
    env: { ...process.env, ...(authkey !== undefined && { RPC_AUTHKEY: authkey }) },
  })
  return new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 1)))
}

async function down(config: SwarmConfig): Promise<void> {
  await removeStack(config.stack, say)
  await leaveIfCreated(say)
  say(`swarm: stack ${config.stack} is gone`)
}

const [command, ...args] = process.argv.slice(2)
let config: SwarmConfig
try {
  config = loadSwarmConfig(process.env)
} catch (err) {
  if (!(err instanceof ConfigError)) throw err
  for (const p of err.problems) console.error(`swarm: ${p}`)
  process.exit(2)
}
try {
  if (command === 'up') await up(config)
  else if (command === 'ps') await ps(config)
  else if (command === 'down') await down(config)
  else if (command === 'client') process.exitCode = await client(config, args)
  else {
    console.error('usage: node deploy/swarm/swarm.ts up | ps | client [args...] | down')
    process.exitCode = 2
  }
} catch (err) {
  console.error(`swarm: ${err instanceof Error ? err.message : String(err)}`)
  process.exitCode = 1
}
