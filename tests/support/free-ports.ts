/**
 * Port 0 for every port variable a service declares, so an in-process test binds only ports
 * the OS picks (never a lab port another test or a running lab may hold), however many
 * listeners the service grows.
 */
import type { Env, VarSpec } from '../../lib/config.ts'

/** freePorts maps each `*_PORT` variable of `spec` to '0'. */
export function freePorts(spec: Readonly<Record<string, VarSpec<unknown>>>): Env {
  return Object.fromEntries(
    Object.values(spec)
      .filter((s) => s.name.endsWith('_PORT'))
      .map((s) => [s.name, '0']),
  )
}
