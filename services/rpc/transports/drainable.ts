import type { Tracked } from '../../../lib/net/connections.ts'

/**
 * Drainable is a served TCP connection the connection layer (lib/net/connections.ts) follows:
 * `drain` stops reading and closes once every request already read has its answer written.
 */
export interface Drainable extends Tracked {
  /** what this connection adds to its `connection closed` line */
  summary(): Record<string, unknown>
}
