"""Builds the round-8 held-out corpus for the categories other than SQL injection
(tests/corpus/waf-public5/{dev,test}).

Attacks come from payload collections no earlier round used:
- the PyPI package `fray` 3.5.249 (MIT): its xss, path_traversal, command_injection,
  ssti, xxe, ldap_injection, crlf_injection, prototype_pollution, ssrf,
  ssrf_cloud_metadata, deserialization and web_shells payloads (round 7 used only
  its sqli files); not the `threat_intel.json` files (one probe, `; id`, with CVE
  names in a comment), nor the strings it scraped from its own test scripts or
  its whole HTTP requests (see `entries`);
- the PyPI package `brs-kb` 4.0.2 (MIT), an XSS knowledge base: every payload of
  its `FULL_PAYLOAD_DATABASE` but the CSV and LLM-prompt entries.
Benign text is from the npm package `@mdn/browser-compat-data` 8.1.9 (CC0-1.0):
support notes and feature descriptions (HTML with `<code>` and links), MDN and
specification URLs, and whole `__compat` objects as JSON bodies.

Lines whose near-duplicate key appears in ../waf/ or any earlier ../waf-public*/
are dropped, so nothing here was seen while tuning before round 8.

    python3 build.py SRC_DIR      # writes dev/ and test/ next to this file

SRC_DIR holds pkg/fray/ and pkg/brs_kb/ (the unpacked wheels) and
npm/bcd/package/data.json (the unpacked npm tarball).

Deterministic: fixed file order, seeded samples, SHA-256 split (even first byte:
dev, odd: test).
"""
import glob, json, os, random, re, sys, urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from corpus_build import dedup, fragment, seen_keys, write  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = sys.argv[1] if len(sys.argv) > 1 else "/work/corpora/q8"
SEEN_DIRS = [os.path.join(HERE, "..", d) for d in ("waf", "waf-public", "waf-public2", "waf-public3", "waf-public4")]
FRAY = os.path.join(SRC, "pkg/fray/fray/payloads")

# fray directory -> corpus category (deserialization and web_shells are split by language below).
FRAY_DIRS = {
    "xss": "xss",
    "path_traversal": "lfi",
    "command_injection": "rce",
    "ssti": "ssti",
    "xxe": "xxe",
    "ldap_injection": "ldap",
    "crlf_injection": "crlf",
    "prototype_pollution": "node",
    "ssrf": "rfi",
    "ssrf_cloud_metadata": "rfi",
}
# fray's plain-text lists: one payload a line, except where a payload spans lines
# (indented continuation lines and template block tags are left out).
FRAY_TXT = {
    "xss/xss_basic.txt": "xss",
    "xss/xss_advanced.txt": "xss",
    "path_traversal/path_traversal.txt": "lfi",
    "ssti/template_injection.txt": "ssti",
    "xxe/xxe_basic.txt": "xxe",
}


def decode(s):
    """URL-decoded once. A line whose escapes are no UTF-8 (overlong `%c0%af`) is kept
    encoded: the harness sends text, and those bytes are no text."""
    d = urllib.parse.unquote(s)
    return s if "\ufffd" in d and "\ufffd" not in s else d


def entries(path):
    """fray's payload entries, less two kinds that are no parameter value: strings
    scraped from its authors' test scripts (`source_file` a `.py`: cut-off fragments
    such as `onerror` or `POST-gp-svg-on`, and stretches of Python code), and whole
    HTTP requests (`POST /... HTTP/1.1` with headers)."""
    d = json.load(open(path, encoding="utf-8"))
    for e in d.get("payloads", []) if isinstance(d, dict) else d:
        if not isinstance(e, dict) or not isinstance(e.get("payload"), str):
            continue
        if str(e.get("source_file", "")).endswith(".py"):
            continue
        if re.match(r"[A-Z]+ \S+ HTTP/\d", e["payload"]):
            continue
        yield e


def code_category(e):
    """Category of a deserialization or web-shell payload, by its language."""
    kind = (e.get("technique") or "") + " " + (e.get("type") or "")
    p = e["payload"]
    if "php" in kind or "<?" in p:
        return "php"
    if "jsp" in kind or "java" in kind:
        return "java"
    if "node" in kind:
        return "node"
    if "shell" in kind:  # ASP, Python, Ruby, Perl one-liners that run a command
        return "rce"
    return None  # Python pickles, Ruby Marshal blobs: no category here


def fray_values():
    out = []
    for d in sorted(FRAY_DIRS):
        for p in sorted(glob.glob(os.path.join(FRAY, d, "*.json"))):
            if p.endswith("threat_intel.json"):
                continue
            out += [(FRAY_DIRS[d], e["payload"]) for e in entries(p)]
    for p in [os.path.join(FRAY, "deserialization/deser_java.json"), os.path.join(FRAY, "web_shells/web_shells_payloads.json")]:
        for e in entries(p):
            c = code_category(e)
            if c:
                out.append((c, e["payload"]))
    for rel, cat in sorted(FRAY_TXT.items()):
        for l in open(os.path.join(FRAY, rel), encoding="utf-8"):
            l = l.rstrip("\n")
            if not l.strip() or l.startswith("#") or l[0].isspace():
                continue
            if cat == "ssti" and re.match(r"\{\{[#/]", l):
                continue
            if cat == "xxe" and not re.search(r"<!DOCTYPE|xi:include|<xsl:", l, re.I):
                continue  # a line of a multi-line document
            out.append((cat, l))
    return out


def brs_values():
    sys.path.insert(0, os.path.join(SRC, "pkg/brs_kb"))
    from brs_kb.payloads import FULL_PAYLOAD_DATABASE  # noqa: E402

    out = []
    for _, e in FULL_PAYLOAD_DATABASE.items():
        ctx = set(e.contexts or [])
        if ctx & {"csv_injection", "llm_injection"}:
            continue
        out.append(("xss", e.payload))
    return out


def crlf_line(s):
    """A CRLF probe is placed raw in the query string: raw control characters are
    written as the escapes a client sends; a probe spelled with backslash escapes
    (`\\r\\n`) is dropped, since the corpus format reads those as the characters."""
    if "\\" in s:
        return None
    return re.sub(r"[\x00-\x1f]", lambda m: "%%%02x" % ord(m.group()), s)


def attacks():
    cats = {}
    for cat, v in fray_values() + brs_values():
        if cat == "crlf":
            v = crlf_line(v)
        elif cat != "xxe":
            v = decode(v)
        if v is None or fragment(v):
            continue
        cats.setdefault(cat, []).append(v)
    return cats


def bcd_benign():
    """Notes, descriptions, URLs and `__compat` objects of MDN's compatibility data."""
    data = json.load(open(os.path.join(SRC, "npm/bcd/package/data.json"), encoding="utf-8"))
    notes, descs, urls, objs = [], [], [], []

    def walk(node):
        if not isinstance(node, dict):
            return
        c = node.get("__compat")
        if isinstance(c, dict):
            if isinstance(c.get("description"), str):
                descs.append(c["description"])
            for k in ("mdn_url", "spec_url"):
                v = c.get(k)
                urls.extend([v] if isinstance(v, str) else [u for u in v or [] if isinstance(u, str)])
            for st in (c.get("support") or {}).values():
                for s in st if isinstance(st, list) else [st]:
                    n = s.get("notes") if isinstance(s, dict) else None
                    notes.extend([n] if isinstance(n, str) else [x for x in n or [] if isinstance(x, str)])
            body = json.dumps(c, separators=(",", ":"), ensure_ascii=False)
            if len(body) < 2000 and "\\" not in body:  # the corpus format reads `\n` as a newline
                objs.append(body)
        for k in sorted(node):
            if k != "__compat" and k != "__meta":
                walk(node[k])

    for top in sorted(data):
        if top not in ("__meta", "browsers"):
            walk(data[top])
    rnd = random.Random(8)

    def sample(ls, n):
        ls = sorted(set(ls))
        return rnd.sample(ls, min(n, len(ls)))

    return {"prose": sample(notes, 700), "search": sample(descs, 300), "urls": sample(urls, 200), "json": sample(objs, 200)}


def main():
    seen = seen_keys(SEEN_DIRS)
    for cat, vals in sorted(attacks().items()):
        write(HERE, "attack", cat, dedup(vals, seen))
    for kind, vals in sorted(bcd_benign().items()):
        write(HERE, "benign", kind, dedup(vals, seen))


if __name__ == "__main__":
    main()
