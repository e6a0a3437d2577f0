/**
 * The HTTP service's routes, for each method the paths that take it, parameters cut off
 * (`/delay/`): what the CLI completes after `netlab http <method>`. The client does not
 * ship the service, so the table is written out here; tests/unit/protocols/http-routes.test.ts
 * builds the service's app and checks that this table is exactly what it routes.
 */
export const HTTP_ROUTE_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const
export type HttpRouteMethod = (typeof HTTP_ROUTE_METHODS)[number]

const GET_PATHS: readonly string[] = [
  '/',
  '/health',
  '/headers',
  '/hello',
  '/hello/',
  '/hidden-basic-auth/',
  '/html',
  '/localtime',
  '/data',
  '/drip',
  '/deny',
  '/deflate',
  '/delay/',
  '/get',
  '/gzip',
  '/ip',
  '/user-agent',
  '/uuid',
  '/status/',
  '/stream-bytes/',
  '/stream/',
  '/bytes/',
  '/base64/',
  '/basic-auth/',
  '/bearer',
  '/range/',
  '/redirect/',
  '/redirect-to',
  '/relative-redirect/',
  '/response-headers',
  '/robots.txt',
  '/absolute-redirect/',
  '/anything',
  '/json',
  '/xml',
  '/encoding/utf8',
  '/etag/',
  '/cache',
  '/cache/',
  '/cookies',
  '/cookies/set',
  '/cookies/set/',
  '/cookies/delete',
]

/** HTTP_ROUTES maps each method to its paths, in the order Fastify prints them. */
export const HTTP_ROUTES: ReadonlyMap<HttpRouteMethod, readonly string[]> = new Map<
  HttpRouteMethod,
  readonly string[]
>([
  ['GET', GET_PATHS],
  ['HEAD', GET_PATHS],
  ['POST', ['/data', '/delay/', '/status/', '/redirect-to', '/response-headers', '/post', '/anything']],
  ['PUT', ['/status/', '/redirect-to', '/put', '/anything', '/delay/']],
  ['PATCH', ['/status/', '/redirect-to', '/patch', '/anything', '/delay/']],
  ['DELETE', ['/status/', '/redirect-to', '/delete', '/delay/', '/anything']],
])
