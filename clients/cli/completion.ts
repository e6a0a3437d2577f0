/**
 * Completion for the command line and the session's Tab: command groups, commands, options
 * and option values, walked from the real command tree (buildProgram), plus the values that
 * only the lab knows:
 *
 *   --host                     the lab's service names
 *   --via, and other choices   the option's own choices
 *   faults add|remove|enable|disable <proxy>   proxy names, from the faults API (GET /proxies)
 *   faults add <proxy> <type>  the toxic types that proxy's protocol takes
 *   faults remove <proxy> <toxic>  the toxics on that proxy, from the faults API
 *   http get|post|... <path>   paths from the HTTP service's routes table
 *   tcp cmd <line>             the cmd protocol's commands
 *
 * A source that fails (the faults API is down) completes nothing; completion never prints
 * an error or waits long (the API gets 2 s; a failed fetch is tried again at the next Tab).
 */
import type { Command, Option } from 'commander'
import type { FaultsApi, ProxyInfo } from './net/faults-api.ts'

/** The lab's service names, as compose and the client container know them. */
export const SERVICE_NAMES = ['tcp', 'udp', 'http', 'rpc', 'faults'] as const

/** CompletionSources are where the lab-specific values come from (tests pass their own). */
export interface CompletionSources {
  /** the faults proxies with their protocol and toxics */
  proxies(): Promise<readonly ProxyInfo[]>
  /** the toxic types a proxy of `protocol` (tcp or udp) takes */
  toxicTypes(protocol: string): Promise<readonly string[]>
  /** the HTTP service's route paths for `method`, parameters cut off: `/delay/`, `/get` */
  httpPaths(method: string): Promise<readonly string[]>
  /** the TCP cmd protocol's command names */
  cmdCommands(): Promise<readonly string[]>
}

const VALUE_COMPLETIONS: Readonly<Record<string, readonly string[]>> = {
  '--host': SERVICE_NAMES,
  '--stream': ['upstream', 'downstream'],
  '--data-file': ['-'],
}

const HTTP_METHOD: Readonly<Record<string, string>> = {
  get: 'GET',
  head: 'GET',
  delete: 'DELETE',
  post: 'POST',
  put: 'PUT',
  patch: 'PATCH',
  'post-data': 'POST',
}

function findOption(cmd: Command, name: string): Option | undefined {
  for (let c: Command | null = cmd; c; c = c.parent) {
    const opt = c.options.find((o) => o.long === name || o.short === name)
    if (opt) return opt
  }
  return undefined
}

const takesValue = (opt: Option) => opt.required || opt.optional

/** Where the words before the cursor leave the command line. */
interface Position {
  readonly cmd: Command
  readonly positional: readonly string[]
  /** the option whose value is being typed */
  readonly optionValue?: Option
}

function walk(program: Command, words: readonly string[]): Position {
  let cmd = program
  const positional: string[] = []
  let optionValue: Option | undefined
  for (const word of words) {
    if (optionValue) {
      optionValue = undefined
      continue
    }
    if (word.startsWith('-') && word.length > 1) {
      const eq = word.indexOf('=')
      const opt = findOption(cmd, eq > 0 ? word.slice(0, eq) : word)
      if (opt && takesValue(opt) && eq < 0) optionValue = opt
      continue
    }
    const sub = positional.length === 0 ? cmd.commands.find((c) => c.name() === word) : undefined
    if (sub) cmd = sub
    else positional.push(word)
  }
  return { cmd, positional, ...(optionValue && { optionValue }) }
}

async function positionalValues(
  path: string,
  positional: readonly string[],
  sources: CompletionSources,
): Promise<readonly string[]> {
  const index = positional.length
  const [group, name] = path.split(' ')
  if (group === 'faults' && name !== undefined && ['add', 'remove', 'enable', 'disable'].includes(name)) {
    const proxies = await sources.proxies()
    if (index === 0) return proxies.map((p) => p.name)
    const proxy = proxies.find((p) => p.name === positional[0])
    if (index !== 1 || !proxy) return []
    if (name === 'add') return sources.toxicTypes(proxy.protocol)
    if (name === 'remove') return proxy.toxics.map((t) => t.name)
    return []
  }
  if (group === 'http' && name !== undefined && index === 0) {
    const method = HTTP_METHOD[name]
    return method ? sources.httpPaths(method) : []
  }
  if (path === 'tcp cmd') return sources.cmdCommands()
  return []
}

/**
 * complete returns the candidates for `partial`, the word under the cursor, after the
 * complete `words` before it (the program name excluded). `extra` are top-level words
 * that are not commands (the session's `exit`, `history`).
 */
export async function complete(
  program: Command,
  words: readonly string[],
  partial: string,
  sources: CompletionSources,
  extra: readonly string[] = [],
): Promise<string[]> {
  const { cmd, positional, optionValue } = walk(program, words)
  const help = program.createHelp()
  let candidates: readonly string[] = []
  try {
    if (optionValue) {
      candidates = optionValue.argChoices ?? VALUE_COMPLETIONS[optionValue.long ?? ''] ?? []
    } else if (partial.startsWith('-')) {
      const options = [...help.visibleOptions(cmd), ...(cmd === program ? [] : help.visibleOptions(program))]
      candidates = options.flatMap((o) => (o.long ? [o.long] : []))
    } else if (cmd.commands.length > 0 && positional.length === 0) {
      candidates = [...help.visibleCommands(cmd).map((c) => c.name()), ...(cmd === program ? extra : [])]
    } else {
      const path = cmd.parent && cmd.parent !== program ? `${cmd.parent.name()} ${cmd.name()}` : cmd.name()
      candidates =
        cmd.registeredArguments[positional.length]?.argChoices ??
        (await positionalValues(path, positional, sources))
    }
  } catch {
    candidates = []
  }
  return [...new Set(candidates.filter((c) => c.startsWith(partial)))].sort()
}

/**
 * parseRouteTree reads Fastify's `printRoutes({ commonPrefix: false, method })` tree into
 * paths, each cut at its first parameter or wildcard (`/delay/:n` → `/delay/`).
 */
export function parseRouteTree(tree: string): string[] {
  const stack: string[] = []
  const paths = new Set<string>()
  for (const line of tree.split('\n')) {
    const m = /^((?:│ {3}| {4})*)(?:├── |└── )(.+?)(?: \(([A-Z, ]+)\))?$/u.exec(line)
    if (!m) continue
    const depth = (m[1] as string).length / 4
    stack.length = depth
    stack.push(m[2] as string)
    if (m[3] === undefined) continue
    const full = stack.join('').replace(/^\/+/, '/')
    const cut = full.search(/[:*]/)
    paths.add(cut < 0 ? full : full.slice(0, cut))
  }
  return [...paths]
}

/** labSources are the real sources: the faults API at `faults`, the code's own tables. */
export function labSources(faults: Omit<FaultsApi, 'timeoutMs'>): CompletionSources {
  let proxies: { at: number; list: Promise<readonly ProxyInfo[]> } | undefined
  let routes: Promise<ReadonlyMap<string, readonly string[]>> | undefined
  return {
    proxies() {
      // kept for 1 s (a double Tab asks once), so a proxy or toxic added since completes
      if (!proxies || performance.now() - proxies.at > 1000) {
        const list = import('./net/faults-api.ts')
          .then(({ callApi }) => callApi({ ...faults, timeoutMs: 2000 }, 'GET', '/proxies'))
          .then((map) => Object.values(map as Record<string, ProxyInfo>))
        list.catch(() => {
          proxies = undefined
        })
        proxies = { at: performance.now(), list }
      }
      return proxies.list
    },
    async toxicTypes(protocol) {
      const { TOXIC_TYPES } = await import('../../protocols/toxics.ts')
      return protocol === 'tcp' || protocol === 'udp' ? TOXIC_TYPES[protocol] : []
    },
    async httpPaths(method) {
      // the app is built once, for every method, the first time a path is completed
      routes ??= import('../../protocols/http-routes.ts').then(({ HTTP_ROUTES }) => HTTP_ROUTES)
      return (await routes).get(method) ?? []
    },
    async cmdCommands() {
      const { CMD_COMMANDS } = await import('../../protocols/tcp-cmd.ts')
      return CMD_COMMANDS
    },
  }
}
