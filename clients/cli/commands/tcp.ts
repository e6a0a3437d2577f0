/** `netlab tcp upper|echo|cmd`: the TCP service's three protocols. */
import type { Command } from 'commander'
import { exchange, LineClient } from '../net/tcp-client.ts'
import { type ConnOpts, MAX_INPUT_BYTES, type Runner, withConnOptions } from '../options.ts'
import type { ServicePorts } from '../targets.ts'
import { registerTcpSeeds } from './tcp-seeds.ts'

/** registerTcp adds the `tcp` command group to `program`. */
export function registerTcp(program: Command, defaults: ServicePorts, run: Runner): void {
  const p = defaults.ports
  const tcp = program
    .command('tcp')
    .description(
      `threaded TCP service: upper (${p.upper}), echo (${p.echo}), cmd (${p.cmd}), ` +
        `and the seeds' welcome (${p.welcome}), hello (${p.hello}), ack (${p.ack})`,
    )

  for (const proto of ['upper', 'echo'] as const) {
    const description =
      proto === 'upper'
        ? 'send text, print it upper-cased by the server'
        : 'send text (or stdin; in the session, one line), print the byte-exact echo'
    withConnOptions(
      tcp
        .command(proto)
        .argument('[text...]', 'text to send (default: stdin; in the session, a prompt for one line)')
        .description(description),
      defaults,
      proto,
    )
      .option('--hex', 'print the reply as hex')
      .action((words: string[], opts: ConnOpts & { hex?: boolean }) =>
        run(async ({ signal, readInput }) => {
          const port = opts.port ?? (defaults.ports[proto] as number)
          const data =
            words.length > 0
              ? Buffer.from(words.join(' '), 'utf8')
              : await readInput(`tcp ${proto}'s text`, MAX_INPUT_BYTES)
          const started = performance.now()
          const reply = await exchange(
            { host: opts.host, port, retryForMs: defaults.connectRetryMs },
            data,
            opts.timeout,
            signal,
          )
          const elapsedMs = Math.round((performance.now() - started) * 100) / 100
          const text = opts.hex ? reply.toString('hex') : reply.toString('utf8')
          return {
            text,
            data: {
              service: 'tcp',
              proto,
              host: opts.host,
              port,
              bytesSent: data.length,
              bytesReceived: reply.length,
              reply: text,
              elapsedMs,
            },
          }
        }),
      )
  }

  withConnOptions(
    tcp
      .command('cmd')
      .argument('<line...>', 'one or more command lines, e.g. "UPPER hi" TIME STATS (see HELP)')
      .description('send command lines on one connection and print each reply (exit 1 if any is ERR)'),
    defaults,
    'cmd',
  ).action((lines: string[], opts: ConnOpts) =>
    run(async ({ signal }) => {
      const port = opts.port ?? (defaults.ports.cmd as number)
      await using client = await LineClient.connect(
        { host: opts.host, port, retryForMs: defaults.connectRetryMs },
        opts.timeout,
        signal,
      )
      const replies: string[] = []
      for (const line of lines) {
        replies.push(await client.request(line))
        if (/^quit$/i.test(line.trim())) break
      }
      const failed = replies.some((r) => r.startsWith('ERR '))
      return {
        text: replies.join('\n'),
        data: { service: 'tcp', proto: 'cmd', host: opts.host, port, requests: lines, replies },
        exitCode: failed ? 1 : 0,
      }
    }),
  )
  registerTcpSeeds(tcp, defaults, run)
}
