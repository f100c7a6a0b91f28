"""What the scripts' Python drivers share (cluster-load.py, mixed_version.py, local-cluster.sh's
scenario): one JSON-over-HTTP call that never raises."""
import json
import urllib.error
import urllib.request


def call(method, url, body=None, token=None, timeout=10):
    """(status, decoded JSON or text) of one request; status 0 when no answer came."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as res:
            text = res.read().decode()
            return res.status, (json.loads(text) if text else None)
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except OSError as e:
        return 0, str(e)
