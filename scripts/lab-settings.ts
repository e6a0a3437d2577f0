/**
 * Keeps the settings given to `make up` (`make up TCP_WORKERS=1`, or exported beforehand) in
 * a marked block of `.env`, which Compose reads for every command run in this directory. A
 * later `docker compose run --rm client ...` then sees the same settings and does not
 * recreate the lab with the defaults. `make up` rewrites the block with exactly the settings
 * it was given (none: the defaults again); `make down` clears it.
 *
 *   node scripts/lab-settings.ts save     (make up)
 *   node scripts/lab-settings.ts clear    (make down)
 *
 * The variables are those docker-compose.yml reads (`${NAME...}`), less NETLAB_TAG and
 * NETLAB_NODE_IMAGE, which name images rather than configure the lab (set NETLAB_TAG in the
 * environment of every command instead). `.env` is written with mode 600: it may hold
 * RPC_AUTHKEY.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const BEGIN = '# --- settings given to `make up` (scripts/lab-settings.ts; `make down` clears them)'
const END = '# --- end of the settings given to `make up`'
const NOT_SETTINGS = new Set(['NETLAB_TAG', 'NETLAB_NODE_IMAGE'])

/** composeVariables lists the variables a compose file interpolates, in order of first use. */
export function composeVariables(yaml: string): string[] {
  return [...new Set(Array.from(yaml.matchAll(/\$\{([A-Z][A-Z0-9_]*)/g), (m) => m[1] as string))].filter(
    (name) => !NOT_SETTINGS.has(name),
  )
}

/** settingsFrom picks the variables set in `env` (an empty value counts: it means "random port"). */
export function settingsFrom(
  names: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): [string, string][] {
  return names.flatMap((name) => {
    const value = env[name]
    return value === undefined ? [] : [[name, value] as [string, string]]
  })
}

/** badValues names the settings `.env` cannot hold as literal single-quoted values. */
export function badValues(settings: readonly [string, string][]): string[] {
  return settings.filter(([, v]) => /['\n\r]/.test(v)).map(([name]) => name)
}

/** withSettings returns `.env`'s text with the block replaced by `settings` (removed if none). */
export function withSettings(envText: string, settings: readonly [string, string][]): string {
  const lines = envText.split('\n')
  const start = lines.indexOf(BEGIN)
  const end = lines.indexOf(END)
  const kept = start >= 0 && end > start ? [...lines.slice(0, start), ...lines.slice(end + 1)] : lines
  while (kept.length > 0 && kept.at(-1) === '') kept.pop()
  const block = settings.length === 0 ? [] : [BEGIN, ...settings.map(([k, v]) => `${k}='${v}'`), END]
  const all = [...kept, ...block]
  return all.length === 0 ? '' : `${all.join('\n')}\n`
}

/** shown is a setting as printed: secrets masked. */
const shown = ([k, v]: [string, string]) => `${k}=${/AUTHKEY|SECRET|PASSWORD|TOKEN/.test(k) ? '***' : v}`

if (import.meta.main) {
  const root = join(import.meta.dirname, '..')
  const envFile = join(root, '.env')
  const mode = process.argv[2]
  if (mode !== 'save' && mode !== 'clear') {
    console.error('usage: node scripts/lab-settings.ts save|clear')
    process.exit(2)
  }
  const names = composeVariables(readFileSync(join(root, 'docker-compose.yml'), 'utf8'))
  const settings = mode === 'save' ? settingsFrom(names, process.env) : []
  const bad = badValues(settings)
  if (bad.length > 0) {
    console.error(`lab-settings: ${bad.join(', ')}: a value with a quote or a newline cannot be kept in .env`)
    process.exit(2)
  }
  const before = existsSync(envFile) ? readFileSync(envFile, 'utf8') : ''
  const after = withSettings(before, settings)
  if (after !== before) {
    writeFileSync(envFile, after, { mode: 0o600 })
    chmodSync(envFile, 0o600)
  }
  if (settings.length > 0)
    console.log(`settings kept in .env for later compose commands: ${settings.map(shown).join(' ')}`)
}
