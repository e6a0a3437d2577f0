"""The seeds' HTTP clients (seeds 000, 002, 004), unchanged but for host and port.

Usage: python3 seed_http_clients.py BASE_URL   (e.g. http://127.0.0.1:8080)
Prints one deterministic line per check; the test compares them. The requests-based
snippets run only where `requests` imports (Debian's python3-requests); their lines are
prefixed "requests:". Runs on Python 3.6 to 3.13.
"""
import json
import sys
import xml.etree.ElementTree as ET
from urllib import parse, request
from urllib.parse import urlsplit

BASE = sys.argv[1].rstrip('/')
HOST = urlsplit(BASE).hostname
PORT = urlsplit(BASE).port


def show(label, value):
    print('%s: %s' % (label, json.dumps(value, sort_keys=True)))


# --- seed 004, urllib: GET with a query string -------------------------------------
parms = {'name1': 'value1', 'name2': 'value2'}
querystring = parse.urlencode(parms)
u = request.urlopen(BASE + '/get' + '?' + querystring)
resp = json.loads(u.read().decode('utf-8'))
show('urllib get keys', sorted(resp))
show('urllib get args', resp['args'])
show('urllib get url ok', resp['url'] == BASE + '/get?name1=value1&name2=value2')
show('urllib get ua', resp['headers']['User-Agent'].startswith('Python-urllib/'))

# --- seed 004, urllib: POST a form --------------------------------------------------
querystring = parse.urlencode(parms).encode('ascii')
u = request.urlopen(BASE + '/post', querystring)
resp = json.loads(u.read().decode('utf-8'))
show('urllib post form', resp['form'])
show('urllib post json', resp['json'])

# --- seed 004, urllib: custom headers -----------------------------------------------
headers = {'User-agent': 'none/ofyourbusiness', 'Spam': 'Eggs'}
req = request.Request(BASE + '/post', querystring, headers=headers)
u = request.urlopen(req)
resp = json.loads(u.read().decode('utf-8'))
show('urllib headers', [resp['headers']['User-Agent'], resp['headers']['Spam']])

# --- seed 004, the WSGI dispatcher's pages ------------------------------------------
u = request.urlopen(BASE + '/hello?name=Guido')
print(u.read().decode('utf-8'))
u = request.urlopen(BASE + '/localtime')
root = ET.fromstring(u.read())
show('localtime', [root.tag] + [child.tag for child in root])

# --- seed 002, the aiohttp pages ----------------------------------------------------
show('index', request.urlopen(BASE + '/').read().decode('utf-8'))
show('hello', request.urlopen(BASE + '/hello/Michael').read().decode('utf-8'))

# --- seed 000, the httplib client (http.client in Python 3) -------------------------
try:
    import http.client as httplib
except ImportError:  # Python 2
    import httplib
conn = httplib.HTTPConnection(HOST, port=PORT)
data = {}
for i in range(100000):
    data[i] = {'name': 'tigerrose'}
data = json.dumps(data)
conn.request('POST', BASE + '/data/', data)
response = conn.getresponse()
res = json.loads(response.read().decode('utf-8'))
show('seed000 post', [len(data), res['result'], res['items'], res['bytes']])
conn.request(method='GET', url=BASE + '/data/')
res = conn.getresponse().read()
show('seed000 get', [len(res), len(json.loads(res.decode('utf-8'))['data'])])

# --- seed 004, requests -------------------------------------------------------------
try:
    import requests
except ImportError:
    sys.exit(0)

resp = requests.post(BASE + '/post', data=parms, headers=headers)
r = json.loads(resp.text)
show('requests: post', [r['args'], r['data'], r['files'], r['form'], r['json']])
show('requests: post headers', [r['headers']['Content-Type'], r['headers']['Spam'], r['headers']['User-Agent']])

resp = requests.head(BASE + '/html')
show('requests: head', [resp.status_code, int(resp.headers['content-length']) > 0, resp.text])

resp = requests.get(BASE + '/basic-auth/user/password', auth=('user', 'password'))
show('requests: basic auth', [resp.status_code, resp.json()])
resp = requests.get(BASE + '/basic-auth/user/password', auth=('user', 'wrong'))
show('requests: basic auth wrong', [resp.status_code, resp.headers['WWW-Authenticate']])

resp1 = requests.get(BASE + '/cookies/set?session=abc123', allow_redirects=False)
resp2 = requests.get(BASE + '/cookies', cookies=resp1.cookies)
show('requests: cookies', [resp1.status_code, resp2.json()])

files = {'file': ('file.txt', b'Hello, world.')}
r = requests.post(BASE + '/post', files=files)
r = json.loads(r.text)
show('requests: files', [r['files'], r['form'], r['data']])

r = requests.get(BASE + '/get?name=Dave&n=37', headers={'User-agent': 'goaway/1.0'})
resp = r.json()
show('requests: get', [sorted(resp.keys()), resp['args'], resp['headers']['User-Agent']])
