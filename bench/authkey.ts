/**
 * The Python baseline's mp-connection authkey. baseline-pyrpc runs real `pickle.loads` on
 * what it receives, so it must never run under the seed's public key `peekaboo`: each
 * `make bench` run makes a fresh random key and hands it, through the compose environment,
 * to baseline-pyrpc (which refuses to start without one) and to the load generator.
 */
import { randomBytes } from 'node:crypto'
import { DEVELOPMENT_AUTHKEY } from '../protocols/mpconn/handshake.ts'

/** SEED_AUTHKEY is the seeds' published key, which baseline-pyrpc refuses. */
export const SEED_AUTHKEY = DEVELOPMENT_AUTHKEY

/** newBenchAuthkey is 192 random bits, URL-safe base64 (32 characters). */
export function newBenchAuthkey(): string {
  return randomBytes(24).toString('base64url')
}

/** withBenchAuthkey is `env` with BENCH_AUTHKEY set to `key`, whatever it held before. */
export function withBenchAuthkey(env: NodeJS.ProcessEnv, key: string): NodeJS.ProcessEnv {
  return { ...env, BENCH_AUTHKEY: key }
}
