import http.client, json, os, sys, urllib.parse, collections
ROOT = "/work/wt/waf/tests/corpus/waf"
def lines(p):
    out = []
    for l in open(p, encoding="utf-8").read().split("\n"):
        if not l.strip() or l.startswith("##"): continue
        out.append(l.replace("\\n", "\n").replace("\\r", "\r").replace("\\t", "\t"))
    return out
def pct(s): return urllib.parse.quote(s, safe="-_.~")
def req(conn, method, path, body=None, headers=None):
    h = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0", "Host": "localhost", "Accept": "*/*"}
    if headers: h.update(headers)
    try:
        conn.request(method, path, body=body, headers=h)
        r = conn.getresponse(); r.read(); return r.status
    except Exception as e:
        return -1
def send(port, payload, placement):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    if placement == "query": st = req(conn, "GET", "/api/v1/items?q=" + pct(payload))
    elif placement == "rawquery":
        try: st = req(conn, "GET", "/api/v1/items?" + payload.replace(" ", "%20"))
        except Exception: st = -1
    elif placement == "json": st = req(conn, "POST", "/api/v1/items", json.dumps({"q": payload}).encode(), {"Content-Type": "application/json"})
    elif placement == "graphql": st = req(conn, "POST", "/api/v1/items", json.dumps({"query": payload}).encode(), {"Content-Type": "application/json"})
    elif placement == "rawjson": st = req(conn, "POST", "/api/v1/items", payload.encode(), {"Content-Type": "application/json"})
    elif placement == "multipart":
        b = ("--b0undary\r\nContent-Disposition: form-data; name=\"q\"\r\n\r\n" + payload + "\r\n--b0undary--\r\n").encode()
        st = req(conn, "POST", "/api/v1/items", b, {"Content-Type": "multipart/form-data; boundary=b0undary"})
    elif placement == "xml": st = req(conn, "POST", "/api/v1/items", payload.encode(), {"Content-Type": "application/xml"})
    elif placement == "ua":
        try: st = req(conn, "GET", "/api/v1/items", None, {"User-Agent": payload})
        except Exception: st = -1
    conn.close()
    return st
def attack_places(cat, p):
    if cat == "scanner": return ["ua"]
    if cat == "xxe": return ["xml"]
    if cat == "crlf": return ["rawquery"]
    if cat == "nosql" and p.lstrip().startswith("{"): return ["rawjson"]
    if cat == "nosql" and "[$" in p: return ["rawquery"]
    return ["query", "json", "multipart"]
def benign_places(kind):
    if kind == "json": return ["rawjson"]
    if kind == "graphql": return ["graphql", "query"]
    return ["query", "json", "multipart"]
port = int(sys.argv[1])
print("attacks (port %d)" % port)
for f in sorted(os.listdir(ROOT + "/attack")):
    cat = f[:-4]; hit = tot = 0
    for p in lines(ROOT + "/attack/" + f):
        for pl in attack_places(cat, p):
            tot += 1
            if send(port, p, pl) == 403: hit += 1
    print("  %-8s %4d/%-4d %5.1f%%" % (cat, hit, tot, 100.0 * hit / tot))
fp = tot = 0
for f in sorted(os.listdir(ROOT + "/benign")):
    if not f.endswith(".txt"): continue
    kind = f[:-4]; kf = kt = 0
    for p in lines(ROOT + "/benign/" + f):
        for pl in benign_places(kind):
            kt += 1
            if send(port, p, pl) == 403: kf += 1
    print("  benign %-9s fp %3d/%d" % (kind, kf, kt)); fp += kf; tot += kt
print("  benign overall fp %d/%d = %.2f%%" % (fp, tot, 100.0 * fp / tot))
