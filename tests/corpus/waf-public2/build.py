"""Builds the round-2 held-out WAF corpus (tests/corpus/waf-public2/{dev,test}).

Sources are other than round 1's (../waf-public/): fuzzdb and payloadbox payload
lists (saved by hand into SRC, one payload a line), GitHub API fixtures from the
npm package @octokit/fixtures, seeded values from @faker-js/faker
(faker_benign.mjs writes SRC/faker_*.txt) and the package descriptions of the
Debian archive (`apt-cache dumpavail`). Lines whose near-duplicate key appears in
the tuning corpus (../waf/) or in round 1's public corpus are dropped, so nothing
here was seen while tuning.

    python3 build.py SRC_DIR                 # writes dev/ and test/ next to this file
    python3 build.py SRC_DIR --extra OUT     # also builds OUT/{dev,test} from the
                                             # GPL scanner lists (wapiti, wfuzz), which
                                             # stay outside the repository

Deterministic: seeded sampling, SHA-256 split (even first byte: dev, odd: test).
"""
import glob, hashlib, json, os, random, re, subprocess, sys, urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = sys.argv[1] if len(sys.argv) > 1 else "/work/corpora/src2"
EXTRA = sys.argv[sys.argv.index("--extra") + 1] if "--extra" in sys.argv else None
SEEN_DIRS = [os.path.join(HERE, "..", "waf"), os.path.join(HERE, "..", "waf-public")]

# Shell commands the fuzzdb injection template is instantiated with.
TEMPLATE_CMDS = ["id", "cat /etc/passwd", "ping -c 3 127.0.0.1", "sleep 5", "uname -a", "whoami"]


def norm(s):
    s = re.sub(r"\d+", "0", s.lower())
    return re.sub(r"\s+", " ", s).strip()


def escape(s):
    return s.replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t")


def seen_keys():
    keys = set()
    for d in SEEN_DIRS:
        for p in glob.glob(os.path.join(d, "**", "*.txt"), recursive=True):
            for l in open(p, encoding="utf-8"):
                l = l.rstrip("\n")
                if l and not l.startswith("##"):
                    keys.add(norm(l.replace("\\n", "\n").replace("\\r", "\r").replace("\\t", "\t")))
    return keys


def lines(name):
    out = []
    for l in open(os.path.join(SRC, name), encoding="utf-8"):
        l = l.rstrip("\n")
        if l.strip() and not l.startswith("# "):
            out.append(l)
    return out


def junk(s):
    t = s.strip()
    return len(t) < 4 or bool(re.fullmatch(r"[\w.]+", t))


def dedup(ls, seen):
    out = []
    for l in ls:
        k = norm(l)
        if not l.strip() or k in seen:
            continue
        seen.add(k)
        out.append(l)
    return out


def every(lst, n, seed):
    lst = list(lst)
    random.Random(seed).shuffle(lst)
    return lst[:n]


def write(root, kind, name, ls):
    dev = [l for l in ls if hashlib.sha256(l.encode()).digest()[0] % 2 == 0]
    test = [l for l in ls if hashlib.sha256(l.encode()).digest()[0] % 2 == 1]
    for part, sub in (("dev", dev), ("test", test)):
        d = os.path.join(root, part, kind)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, name + ".txt"), "w", encoding="utf-8") as f:
            f.writelines(l + "\n" for l in sub)
    print(f"{root[-20:]:20} {kind:7} {name:10} {len(ls):5}  dev {len(dev):4}  test {len(test):4}")


def attacks(seen):
    once = lambda ls: [urllib.parse.unquote(l) for l in ls]
    cmd = [t.replace("{cmd}", c) for t in lines("fuzzdb_cmd_template.txt") for c in TEMPLATE_CMDS]
    cats = {
        "sqli": once(lines("fuzzdb_sqli_xplatform.txt") + lines("fuzzdb_sqli_mysql_mssql.txt")),
        "xss": once(lines("fuzzdb_xss_other.txt")),
        "rce": once(cmd),
        "ssti": lines("payloadbox_ssti.txt"),
        "nosql": once(lines("fuzzdb_nosql.txt")),
    }
    for cat, ls in cats.items():
        write(HERE, "attack", cat, dedup([escape(l) for l in ls if not junk(l)], seen))


def apt_descriptions():
    """Package descriptions of the Debian archive (AppStream metadata that apt
    downloads): paragraphs written by many people."""
    import gzip
    out = set()
    for p in sorted(glob.glob("/var/lib/apt/lists/*dep11_Components-*.yml.gz")):
        text = gzip.open(p, "rt", encoding="utf-8", errors="replace").read()
        for m in re.finditer(r"<p>(.*?)</p>", text, re.S):
            t = re.sub(r"\\[nt]|\s+", " ", m.group(1)).replace('\\"', '"').strip()
            if 25 <= len(t) <= 1500 and t.isascii():
                out.add(t)
    return sorted(out)


def sentences(text):
    text = re.sub(r"\s+", " ", text)
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+(?=[A-Z\"'(])", text)]


SQLISH = re.compile(r"\b(select|union|drop|insert|update|delete|where|order by|group by|having|join|table|from .* where|exec|truncate|or 1|and 1)\b", re.I)


def octokit():
    """Request and response bodies of the recorded GitHub API scenarios."""
    bodies, texts, urls = [], [], []

    def walk(v):
        if isinstance(v, dict):
            for x in v.values():
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)
        elif isinstance(v, str):
            if re.match(r"https?://", v):
                urls.append(v)
            elif " " in v and 12 <= len(v) <= 2000:
                texts.append(v)

    for p in sorted(glob.glob(os.path.join(SRC, "octokit", "**", "normalized-fixture.json"), recursive=True)):
        for ex in json.load(open(p, encoding="utf-8")):
            for key in ("body", "response"):
                v = ex.get(key)
                objs = v if isinstance(v, list) else [v]
                for o in objs:
                    if isinstance(o, (dict, list)) and o:
                        s = json.dumps(o, ensure_ascii=False)
                        if len(s) <= 6000:
                            bodies.append(s)
                walk(v)
    return sorted(set(bodies)), sorted(set(texts)), sorted(set(urls))


def benign(seen):
    fk = lambda n: [l for l in lines(f"faker_{n}.txt")]
    bodies, texts, urls = octokit()
    desc = apt_descriptions()
    sents = [s for d in desc for s in sentences(d) if 25 <= len(s) <= 300]
    sqlish = [s for s in sents if SQLISH.search(s)]
    plain = [s for s in sents if not SQLISH.search(s)]
    kinds = {
        "names": fk("names"),
        "addresses": fk("addresses"),
        "search": fk("products") + fk("companies"),
        "prose": every(plain, 600, 1) + fk("phrases"),
        "sqlish": every(sqlish, 500, 2),
        "markdown": [escape(t) for t in texts if "\n" in t or "`" in t or "**" in t] + every(desc, 150, 3),
        "webvalues": fk("webvalues") + every(urls, 200, 4),
        "json": fk("json") + every(bodies, 300, 5),
    }
    for kind, ls in kinds.items():
        write(HERE, "benign", kind, dedup([escape(l) if kind != "markdown" else l for l in ls], seen))


def extra(seen, out):
    """Wapiti and wfuzz attack lists (GPL-2): measured, never committed."""
    w = os.path.join(SRC, "wapiti")
    sub = lambda s: (s.replace("[TIME]", "5").replace("[VALUE]", "1").replace("[LF]", "\n")
                     .replace("[EXTERNAL_ENDPOINT]", "http://192.0.2.10/").replace("[FILE_NAME]", "index.php")
                     .replace("[EXTVALUE]", "php").replace("[TAB]", "\t").replace("__XSS__", "xss1"))
    ini = lambda p: [l.split("=", 1)[1].strip() for l in open(p, encoding="utf-8") if l.startswith("payload")]
    txt = lambda p: [l.rstrip("\n") for l in open(p, encoding="utf-8") if l.strip()]
    files = ini(os.path.join(w, "fileHandlingPayloads.ini"))
    cats = {
        "sqli": txt(os.path.join(w, "blindSQLPayloads.txt")) + txt(os.path.join(SRC, "wfuzz", "SQL.txt")),
        "xss": ini(os.path.join(w, "xssPayloads.ini")) + txt(os.path.join(SRC, "wfuzz", "XSS.txt")),
        "rce": txt(os.path.join(w, "execPayloads.txt")),
        "lfi": [f for f in files if "EXTERNAL" not in f] + txt(os.path.join(SRC, "wfuzz", "Traversal.txt")),
        "rfi": [f for f in files if "EXTERNAL" in f],
    }
    for cat, ls in cats.items():
        ls = [sub(urllib.parse.unquote(l)) for l in ls]
        write(out, "attack", cat, dedup([escape(l) for l in ls if not junk(l)], seen))


def main():
    seen = seen_keys()
    for p in glob.glob(os.path.join(HERE, "*", "*", "*.txt")):
        os.remove(p)
    attacks(seen)
    benign(seen)
    if EXTRA:
        extra(seen, EXTRA)


if __name__ == "__main__":
    main()
