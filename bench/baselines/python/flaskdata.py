"""Seed 000's Flask server for ``/data/``, the bench's baseline for netlab's GET and POST /data/,
on Flask's own development server (Debian's python3-flask 2.2; ``app.run`` is threaded by default).

GET builds the seed's 1000 items and ``json.dumps`` them on every request, as the seed does
(its bytes are services/http/routes/data.ts's ``dataDocument(1000)``). POST reads the body,
``json.loads`` it and copies every item into a new dict (the seed's unpack loop), then answers
with the receipt netlab's POST /data/ sends (items, bytes, parse and unpack times), since the
bench checks every run received exactly what was sent.

Changes from the seed, all for measuring it: plain Flask routes instead of flask-restful
(``flask.ext`` is gone from Flask); no ``print`` per request, no request log; ``debug`` off
(the debugger and the reloader are development aids, and the reloader forks a second process);
the port is 8080, netlab's, instead of 5000; bodies over 16 MiB get Flask's own 413.

    python3 flaskdata.py          serve until SIGTERM/SIGINT
    python3 flaskdata.py check    GET /data/ once; exit 0 when it has the 1000 items
"""

import json
import logging
import sys
import time
import urllib.request

PORT = 8080


def create_app():
    from flask import Flask, make_response, request

    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 16 * 1024 * 1024

    @app.get("/data/")
    def get_data():
        data = {}
        tmp_data = {}
        for i in range(1000):
            tmp_data[i] = {}
            tmp_data[i]["name"] = "tigerrose"
            tmp_data[i]["tag"] = "cool"
        data["data"] = tmp_data
        resp = make_response(json.dumps(data))
        resp.mimetype = "application/json"
        return resp

    @app.post("/data/")
    def post_data():
        data = request.stream.read()
        t0 = time.perf_counter()
        try:
            json_data = json.loads(data)
        except ValueError:
            return {"error": "invalid_json", "message": "the body is not JSON"}, 400
        t1 = time.perf_counter()
        if not isinstance(json_data, dict):
            return {"error": "invalid_body", "message": "POST /data/ takes a JSON object"}, 400
        tmp_data = {}
        for d in json_data:
            tmp_data[d] = json_data[d]
        t2 = time.perf_counter()
        return {
            "result": "success",
            "items": len(tmp_data),
            "bytes": len(data),
            "parse_ms": round((t1 - t0) * 1000, 3),
            "unpack_ms": round((t2 - t1) * 1000, 3),
        }

    return app


def check():
    with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/data/", timeout=3) as r:
        return 0 if len(json.loads(r.read())["data"]) == 1000 else 1


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else "serve"
    if mode == "check":
        sys.exit(check())
    if mode != "serve":
        print(f"usage: flaskdata.py [serve|check] (got {mode!r})", file=sys.stderr)
        sys.exit(2)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    create_app().run(host="0.0.0.0", port=PORT, debug=False)
