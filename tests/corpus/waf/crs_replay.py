"""Replays a labelled WAF corpus against a WAF on 127.0.0.1:PORT and counts 403s.

    python3 crs_replay.py PORT [CORPUS_DIR]

CORPUS_DIR defaults to this script's directory (tests/corpus/waf); it must have
attack/<category>.txt and benign/<kind>.txt. Payloads are placed in requests the
same way tests/waf_corpus.rs places them.
"""
import collections, concurrent.futures, http.client, json, os, sys, urllib.parse

ROOT = sys.argv[2] if len(sys.argv) > 2 else os.path.dirname(os.path.abspath(__file__))


def lines(p):
    out = []
    for l in open(p, encoding="utf-8").read().split("\n"):
        if not l.strip() or l.startswith("##"):
            continue
        out.append(l.replace("\\n", "\n").replace("\\r", "\r").replace("\\t", "\t"))
    return out


def pct(s):
    return urllib.parse.quote(s, safe="-_.~")


def req(conn, method, path, body=None, headers=None):
    h = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0", "Host": "localhost", "Accept": "*/*"}
    if headers:
        h.update(headers)
    try:
        conn.request(method, path, body=body, headers=h)
        r = conn.getresponse()
        r.read()
        return r.status
    except Exception:
        return -1


def send(port, payload, placement):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    st = -1
    try:
        if placement == "query":
            st = req(conn, "GET", "/api/v1/items?q=" + pct(payload))
        elif placement == "rawquery":
            st = req(conn, "GET", "/api/v1/items?" + payload.replace(" ", "%20"))
        elif placement == "json":
            st = req(conn, "POST", "/api/v1/items", json.dumps({"q": payload}).encode(), {"Content-Type": "application/json"})
        elif placement == "graphql":
            st = req(conn, "POST", "/api/v1/items", json.dumps({"query": payload}).encode(), {"Content-Type": "application/json"})
        elif placement == "rawjson":
            st = req(conn, "POST", "/api/v1/items", payload.encode(), {"Content-Type": "application/json"})
        elif placement == "multipart":
            b = ("--b0undary\r\nContent-Disposition: form-data; name=\"q\"\r\n\r\n" + payload + "\r\n--b0undary--\r\n").encode()
            st = req(conn, "POST", "/api/v1/items", b, {"Content-Type": "multipart/form-data; boundary=b0undary"})
        elif placement == "xml":
            st = req(conn, "POST", "/api/v1/items", payload.encode(), {"Content-Type": "application/xml"})
        elif placement == "ua":
            st = req(conn, "GET", "/api/v1/items", None, {"User-Agent": payload})
    except Exception:
        st = -1
    conn.close()
    return st


def attack_places(cat, p):
    if cat == "scanner":
        return ["ua"]
    if cat == "xxe":
        return ["xml"]
    if cat == "crlf":
        return ["rawquery"]
    if cat == "nosql" and p.lstrip().startswith("{"):
        return ["rawjson"]
    if cat == "nosql" and "[$" in p:
        return ["rawquery"]
    return ["query", "json", "multipart"]


def benign_places(kind):
    if kind == "json":
        return ["rawjson"]
    if kind == "graphql":
        return ["graphql", "query"]
    if kind == "useragents":
        return ["ua"]
    return ["query", "json", "multipart"]


def run(port, jobs):
    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        return list(ex.map(lambda j: send(port, j[0], j[1]) == 403, jobs))


def files(sub):
    """The corpus files of one part; a part that is not there (an attack-only set
    has no benign/) is empty, as tests/waf_corpus.rs reads it."""
    d = os.path.join(ROOT, sub)
    if not os.path.isdir(d):
        return []
    return sorted(f for f in os.listdir(d) if f.endswith(".txt"))


port = int(sys.argv[1])
print("attacks (port %d, %s)" % (port, ROOT))
for f in files("attack"):
    cat = f[:-4]
    jobs = [(p, pl) for p in lines(os.path.join(ROOT, "attack", f)) for pl in attack_places(cat, p)]
    hit = sum(run(port, jobs))
    print("  %-8s %4d/%-4d %5.1f%%" % (cat, hit, len(jobs), 100.0 * hit / max(1, len(jobs))))
fp = tot = 0
for f in files("benign"):
    kind = f[:-4]
    jobs = [(p, pl) for p in lines(os.path.join(ROOT, "benign", f)) for pl in benign_places(kind)]
    kf = sum(run(port, jobs))
    print("  benign %-10s fp %3d/%d" % (kind, kf, len(jobs)))
    fp += kf
    tot += len(jobs)
print("  benign overall fp %d/%d = %.2f%%" % (fp, tot, 100.0 * fp / max(1, tot)))
