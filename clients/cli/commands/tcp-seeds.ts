/**
 * `netlab tcp welcome|hello|ack`: the seeds' three TCP programs. welcome is seed 001's
 * server.py (send `1`, get `welcome to server!`), hello is seed 002's threaded server
 * (`Welcome!`, then `Hello, <name>!` per name), ack is seed 001's tcpServer.
 */
import { type Command, InvalidArgumentError } from 'commander'
import { ACK_REPLY, HELLO_RECV_BYTES } from '../../../protocols/seed-replies.ts'
import { helloSession, welcomeExchange } from '../net/seed-tcp.ts'
import { exchange } from '../net/tcp-client.ts'
import { type ConnOpts, MAX_INPUT_BYTES, parseTimeout, type Runner, withConnOptions } from '../options.ts'
import type { ServicePorts } from '../targets.ts'

const ms = (n: number) => Math.round(n * 100) / 100

/** parseSleep reads --sleep: 0 to 600000 ms. */
function parseSleep(value: string): number {
  return value === '0' ? 0 : parseTimeout(value)
}

/** parseName checks one hello name: one message of the seed's recv(1024), not empty. */
export function parseName(value: string, previous: string[] = []): string[] {
  const bytes = Buffer.byteLength(value)
  if (bytes === 0 || bytes > HELLO_RECV_BYTES)
    throw new InvalidArgumentError(`each name is one message: 1 to ${HELLO_RECV_BYTES} bytes (got ${bytes})`)
  return [...previous, value]
}

/** registerTcpSeeds adds welcome, hello and ack to the `tcp` command group. */
export function registerTcpSeeds(tcp: Command, defaults: ServicePorts, run: Runner): void {
  withConnOptions(
    tcp
      .command('welcome')
      .description(
        "seed 001's welcome server: send one message (`1` by default) and print the answer " +
          '(`welcome to server!`, else `please go out!`)',
      ),
    defaults,
    'welcome',
  )
    .option('--send <text>', 'the message to send (the seed sends 1)', '1')
    .option(
      '--sleep <ms>',
      "wait this long before sending (the seed's client sleeps 2000; over 5000 the server times you out)",
      parseSleep,
      0,
    )
    .action((opts: ConnOpts & { send: string; sleep: number }) =>
      run(async ({ signal }) => {
        const port = opts.port ?? (defaults.ports.welcome as number)
        const message = Buffer.from(opts.send, 'utf8')
        const timeoutMs = opts.timeout
        const r = await welcomeExchange({ host: opts.host, port }, message, {
          sleepMs: opts.sleep,
          timeoutMs,
          signal,
        })
        const reply = r.reply.toString('utf8')
        return {
          text: reply,
          data: {
            service: 'tcp',
            proto: 'welcome',
            host: opts.host,
            port,
            sent: opts.send,
            sleptMs: opts.sleep,
            reply,
            elapsedMs: ms(r.elapsedMs),
          },
        }
      }),
    )

  withConnOptions(
    tcp
      .command('hello')
      .argument('<names...>', 'messages to send one at a time, e.g. Michael Tracy Sarah', parseName)
      .description(
        "seed 002's threaded server: print `Welcome!`, then each name's `Hello, <name>!` " +
          '(about 1 s each), then send exit',
      ),
    defaults,
    'hello',
  ).action((names: string[], opts: ConnOpts) =>
    run(async ({ signal }) => {
      const port = opts.port ?? (defaults.ports.hello as number)
      const r = await helloSession({ host: opts.host, port }, names, opts.timeout, signal)
      return {
        text: [r.welcome, ...r.replies].join('\n'),
        data: {
          service: 'tcp',
          proto: 'hello',
          host: opts.host,
          port,
          names,
          welcome: r.welcome,
          replies: r.replies,
          elapsedMs: ms(r.elapsedMs),
        },
      }
    }),
  )

  withConnOptions(
    tcp
      .command('ack')
      .argument('[text...]', 'text to send (default: stdin)')
      .description("seed 001's tcpServer: send text, print its `tcpServer has received your message`"),
    defaults,
    'ack',
  ).action((words: string[], opts: ConnOpts) =>
    run(async ({ signal, readInput }) => {
      const port = opts.port ?? (defaults.ports.ack as number)
      const data =
        words.length > 0
          ? Buffer.from(words.join(' '), 'utf8')
          : await readInput("tcp ack's text", MAX_INPUT_BYTES)
      const started = performance.now()
      const reply = await exchange({ host: opts.host, port }, data, opts.timeout, signal)
      const text = reply.toString('utf8')
      return {
        text,
        data: {
          service: 'tcp',
          proto: 'ack',
          host: opts.host,
          port,
          bytesSent: data.length,
          reply: text,
          // one per message the server read (one per recv(4096) in the seed)
          replies: Math.floor(reply.length / ACK_REPLY.length),
          elapsedMs: ms(performance.now() - started),
        },
      }
    }),
  )
}
