/** The httpbin-compatible routes (being filled in: see the next commits). */
import type { FastifyInstance } from 'fastify'
import type { HttpConfig } from '../../config.ts'

export function registerHttpbinRoutes(_app: FastifyInstance, _config: HttpConfig): void {}
