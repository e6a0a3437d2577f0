/**
 * httpbin's request echo (/get /post /put /patch /delete /anything /headers /ip /user-agent):
 * seed 004's snippets as the Python clients send them, the body forms, and the limits.
 */
import { type AddressInfo, connect } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { collect } from '../../../../services/http/body.ts'
import { titleCase } from '../../../../services/http/routes/httpbin/echo.ts'
import { ANY_METHODS, httpbinApp, multipartBody } from '../../../support/httpbin-app.ts'

describe('titleCase', () => {
  it.each([
    ['user-agent', 'User-Agent'],
    ['USER-AGENT', 'User-Agent'],
    ['x-custom-header', 'X-Custom-Header'],
    ['content-md5', 'Content-Md5'],
    ['x-b3-traceid', 'X-B3-Traceid'],
    ['dnt', 'Dnt'],
    ['spam', 'Spam'],
    ['x_under_score', 'X_Under_Score'],
  ])('names %s as Python str.title() does: %s', (name, expected) => {
    expect(titleCase(name)).toBe(expected)
  })
})

describe('collect (the MultiMap of args and forms)', () => {
  it('keeps one value as a string and folds repeats into a list, in order', () => {
    expect({
      ...collect([
        ['a', '1'],
        ['b', '2'],
        ['a', '3'],
        ['a', '4'],
      ]),
    }).toEqual({ a: ['1', '3', '4'], b: '2' })
  })

  it('treats __proto__ as a plain name', () => {
    const map = collect([['__proto__', 'x']])
    expect(Object.keys(map)).toEqual(['__proto__'])
    expect(map.__proto__).toBe('x')
  })
})

describe('the echo routes (inject)', () => {
  let app: FastifyInstance
  beforeAll(() => {
    app = httpbinApp({ HTTP_MAX_BODY_BYTES: '4096', HTTP_MAX_MULTIPART_PARTS: '3' })
  })
  afterAll(() => app.close())

  it("answers seed 004's urllib GET with query with httpbin's exact text", async () => {
    const res = await app.inject({
      url: '/get?name1=value1&name2=value2',
      headers: {
        'Accept-Encoding': 'identity',
        Host: 'httpbin.org',
        'User-Agent': 'Python-urllib/3.6',
        'X-Forwarded-For': '101.13.44.99, 101.13.44.99',
      },
    })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(res.body).toBe(
      [
        '{',
        '  "args": {',
        '    "name1": "value1",',
        '    "name2": "value2"',
        '  },',
        '  "headers": {',
        '    "Accept-Encoding": "identity",',
        '    "Host": "httpbin.org",',
        '    "User-Agent": "Python-urllib/3.6"',
        '  },',
        '  "origin": "101.13.44.99, 101.13.44.99",',
        '  "url": "http://httpbin.org/get?name1=value1&name2=value2"',
        '}',
        '',
      ].join('\n'),
    )
  })

  it('shows every header name Title-Case, those that look like object keys included', async () => {
    // over a socket: inject's header object would lose `__proto__` before the app saw it
    const server = httpbinApp({})
    await server.listen({ host: '127.0.0.1', port: 0 })
    try {
      const sock = connect((server.server.address() as AddressInfo).port, '127.0.0.1')
      sock.end(
        'GET /headers HTTP/1.1\r\nHost: h\r\n__proto__: p\r\nconstructor: c\r\ntostring: t\r\n' +
          'x-b3-id: 1\r\n123: n\r\nConnection: close\r\n\r\n',
      )
      const reply = Buffer.concat(await sock.toArray()).toString()
      expect(reply.startsWith('HTTP/1.1 200 OK')).toBe(true)
      const headers = JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4)).headers
      expect(Object.getPrototypeOf(headers)).toBe(Object.prototype)
      expect(Object.entries(headers)).toEqual([
        ['123', 'n'],
        ['Connection', 'close'],
        ['Constructor', 'c'],
        ['Host', 'h'],
        ['Tostring', 't'],
        ['X-B3-Id', '1'],
        ['__Proto__', 'p'],
      ])
    } finally {
      await server.close()
    }
  })

  it("echoes seed 004's urllib POST form with custom headers (User-agent, Spam)", async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/post',
      payload: 'name1=value1&name2=value2',
      headers: {
        'Accept-Encoding': 'identity',
        'Content-Type': 'application/x-www-form-urlencoded',
        Host: 'httpbin.org',
        'User-agent': 'none/ofyourbusiness',
        Spam: 'Eggs',
      },
    })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({
      args: {},
      data: '',
      files: {},
      form: { name1: 'value1', name2: 'value2' },
      headers: {
        'Accept-Encoding': 'identity',
        'Content-Length': '25',
        'Content-Type': 'application/x-www-form-urlencoded',
        Host: 'httpbin.org',
        Spam: 'Eggs',
        'User-Agent': 'none/ofyourbusiness',
      },
      json: null,
      origin: '127.0.0.1',
      url: 'http://httpbin.org/post',
    })
  })

  it("echoes seed 004's requests.post(files=...) upload: files {file: 'Hello, world.'}", async () => {
    const boundary = '4eaed52ef10a49aa87a6cce31a8b26f7'
    const body = multipartBody(boundary, [{ name: 'file', filename: 'file.txt', content: 'Hello, world.' }])
    const res = await app.inject({
      method: 'POST',
      url: '/post',
      payload: body,
      headers: {
        Accept: '*/*',
        'Accept-Encoding': 'gzip, deflate',
        'Content-Type': `multipart/form-data; boundary=${boundary}`,
        Host: 'httpbin.org',
        'User-Agent': 'python-requests/2.21.0',
      },
    })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({
      args: {},
      data: '',
      files: { file: 'Hello, world.' },
      form: {},
      headers: {
        Accept: '*/*',
        'Accept-Encoding': 'gzip, deflate',
        'Content-Length': '157',
        'Content-Type': 'multipart/form-data; boundary=4eaed52ef10a49aa87a6cce31a8b26f7',
        Host: 'httpbin.org',
        'User-Agent': 'python-requests/2.21.0',
      },
      json: null,
      origin: '127.0.0.1',
      url: 'http://httpbin.org/post',
    })
  })

  it("answers seed 004's requests.get with query and User-agent: the four keys, args as strings", async () => {
    const res = await app.inject({ url: '/get?name=Dave&n=37', headers: { 'User-agent': 'goaway/1.0' } })
    const body = res.json()
    expect(Object.keys(body)).toEqual(['args', 'headers', 'origin', 'url'])
    expect(body.args).toEqual({ n: '37', name: 'Dave' })
    expect(body.headers['User-Agent']).toBe('goaway/1.0')
  })

  it('folds repeated query names into lists and joins repeated headers with ","', async () => {
    const res = await app.inject({
      url: '/get?a=1&b=2&a=3',
      headers: { 'x-repeat': ['one', 'two'], 'x-single': 'v' },
    })
    const body = res.json()
    expect(body.args).toEqual({ a: ['1', '3'], b: '2' })
    expect(body.headers['X-Repeat']).toBe('one,two')
    expect(body.headers['X-Single']).toBe('v')
    expect(body.url).toBe('http://localhost:80/get?a=1&b=2&a=3')
  })

  it('hides the proxy headers unless ?show_env, but takes origin from X-Forwarded-For', async () => {
    const headers = { 'x-forwarded-for': '203.0.113.7', via: '1.1 proxy' }
    const hidden = (await app.inject({ url: '/headers', headers })).json()
    expect(hidden.headers).toEqual({ Host: 'localhost:80', 'User-Agent': 'lightMyRequest' })
    const shown = (await app.inject({ url: '/headers?show_env=1', headers })).json()
    expect(shown.headers).toEqual({
      Host: 'localhost:80',
      'User-Agent': 'lightMyRequest',
      Via: '1.1 proxy',
      'X-Forwarded-For': '203.0.113.7',
    })
    expect((await app.inject({ url: '/ip', headers })).json()).toEqual({ origin: '203.0.113.7' })
  })

  it('answers /ip with the client address and /user-agent with the User-Agent', async () => {
    expect((await app.inject({ url: '/ip' })).json()).toEqual({ origin: '127.0.0.1' })
    const ua = await app.inject({ url: '/user-agent', headers: { 'user-agent': 'curl/8.5.0' } })
    expect(ua.body).toBe('{\n  "user-agent": "curl/8.5.0"\n}\n')
  })

  it.each([
    'PUT',
    'PATCH',
    'DELETE',
  ] as const)('echoes %s with a JSON body on its own route', async (method) => {
    const res = await app.inject({
      method,
      url: `/${method.toLowerCase()}?x=1`,
      payload: '{"name": "tigerrose", "tags": [1, 2]}',
      headers: { 'content-type': 'application/json' },
    })
    expect(res.statusCode).toBe(200)
    const body = res.json()
    expect(body.args).toEqual({ x: '1' })
    expect(body.data).toBe('{"name": "tigerrose", "tags": [1, 2]}')
    expect(body.json).toEqual({ name: 'tigerrose', tags: [1, 2] })
    expect(body.form).toEqual({})
    expect(body.files).toEqual({})
    expect(body.method).toBeUndefined()
  })

  it.each(ANY_METHODS)('answers %s /anything/{path} with the method and the full URL', async (method) => {
    const res = await app.inject({ method, url: '/anything/a/b?q=1' })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({
      args: { q: '1' },
      data: '',
      files: {},
      form: {},
      headers: { Host: 'localhost:80', 'User-Agent': 'lightMyRequest' },
      json: null,
      method,
      origin: '127.0.0.1',
      url: 'http://localhost:80/anything/a/b?q=1',
    })
  })

  it('parses a JSON body sent without a Content-Type, as httpbin does (requests data=json.dumps(...))', async () => {
    const res = await app.inject({ method: 'POST', url: '/anything', payload: '{"a": 1}' })
    expect(res.json().json).toEqual({ a: 1 })
    const text = await app.inject({ method: 'POST', url: '/anything', payload: 'not json' })
    expect(text.json()).toMatchObject({ data: 'not json', json: null })
  })

  it('reports a non-UTF-8 body as a base64 data: URL', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/post',
      payload: Buffer.from([0xff, 0xfe, 0x00, 0x41]),
      headers: { 'content-type': 'application/octet-stream' },
    })
    expect(res.json()).toMatchObject({ data: 'data:application/octet-stream;base64,//4AQQ==', json: null })
  })

  it('reports multipart fields as form and files by name, several under one name as a list, binary as data: URLs', async () => {
    const boundary = 'b0undary'
    const res = await app.inject({
      method: 'POST',
      url: '/post',
      payload: multipartBody(boundary, [
        { name: 'note', content: 'hi' },
        { name: 'up', filename: 'a.txt', content: 'first' },
        { name: 'up', filename: 'b.png', type: 'image/png', content: Buffer.from([0x89, 0x50, 0xff]) },
      ]),
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
    })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({
      data: '',
      files: { up: ['first', 'data:image/png;base64,iVD/'] },
      form: { note: 'hi' },
      json: null,
    })
  })

  it('answers malformed JSON with a JSON Content-Type with 400 invalid_json (httpbin says null)', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/post',
      payload: '{"a": ',
      headers: { 'content-type': 'application/json' },
    })
    expect(res.statusCode).toBe(400)
    expect(res.json()).toEqual({
      code: 'INVALID_JSON',
      error: 'request body is not valid JSON: Unexpected end of JSON input',
      status: 400,
    })
  })

  it('answers an empty body with a JSON Content-Type with json null (clients set the type on every request)', async () => {
    const res = await app.inject({ url: '/anything', headers: { 'content-type': 'application/json' } })
    expect(res.statusCode).toBe(200)
    expect(res.json().json).toBeNull()
  })

  it('answers a body over HTTP_MAX_BODY_BYTES with 413 body_too_large', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/post',
      payload: 'x'.repeat(4097),
      headers: { 'content-type': 'text/plain' },
    })
    expect(res.statusCode).toBe(413)
    expect(res.json()).toEqual({ code: 'BODY_TOO_LARGE', error: 'Request body is too large', status: 413 })
  })

  it('answers a multipart body with more than HTTP_MAX_MULTIPART_PARTS parts with 413', async () => {
    const parts = ['a', 'b', 'c', 'd'].map((name) => ({ name, content: 'v' }))
    const res = await app.inject({
      method: 'POST',
      url: '/post',
      payload: multipartBody('xx', parts),
      headers: { 'content-type': 'multipart/form-data; boundary=xx' },
    })
    expect(res.statusCode).toBe(413)
    expect(res.json()).toEqual({
      code: 'BODY_TOO_LARGE',
      error: 'multipart body has more than 3 parts (HTTP_MAX_MULTIPART_PARTS)',
      status: 413,
    })
  })

  it('answers a multipart file over HTTP_MAX_BODY_BYTES with 413', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/post',
      payload: multipartBody('xx', [{ name: 'f', filename: 'big.bin', content: 'z'.repeat(5000) }]),
      headers: { 'content-type': 'multipart/form-data; boundary=xx' },
    })
    expect(res.statusCode).toBe(413)
    expect(res.json()).toEqual({
      code: 'BODY_TOO_LARGE',
      error: 'multipart file is larger than 4096 bytes',
      status: 413,
    })
  })

  it('answers a multipart body that ends early with 400 invalid_body', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/post',
      payload: '--xx\r\nContent-Disposition: form-data; name="a"\r\n\r\nunfinished',
      headers: { 'content-type': 'multipart/form-data; boundary=xx' },
    })
    expect(res.statusCode).toBe(400)
    expect(res.json()).toEqual({
      code: 'INVALID_BODY',
      error: 'malformed multipart body: Unexpected end of multipart data',
      status: 400,
    })
  })

  it('answers an unknown route with 404 and a wrong method with 405 and Allow', async () => {
    const missing = await app.inject({ url: '/nope' })
    expect(missing.statusCode).toBe(404)
    expect(missing.json()).toEqual({ code: 'NOT_FOUND', error: 'no route for GET /nope', status: 404 })

    const wrong = await app.inject({ method: 'POST', url: '/get' })
    expect(wrong.statusCode).toBe(405)
    expect(wrong.headers.allow).toBe('GET, HEAD')
    expect(wrong.json()).toEqual({
      code: 'METHOD_NOT_ALLOWED',
      error: 'POST is not allowed on /get; allowed: GET, HEAD',
      status: 405,
    })

    // seed 004 GETs /post: httpbin answers 405 too.
    const getPost = await app.inject({ url: '/post' })
    expect(getPost.statusCode).toBe(405)
    expect(getPost.headers.allow).toBe('POST')
  })

  it('answers HEAD /get with the GET headers and no body', async () => {
    const get = await app.inject({ url: '/get' })
    const head = await app.inject({ method: 'HEAD', url: '/get' })
    expect(head.statusCode).toBe(200)
    expect(head.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(head.headers['content-length']).toBe(get.headers['content-length'])
    expect(head.body).toBe('')
  })
})
