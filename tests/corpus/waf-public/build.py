"""Builds the held-out public WAF corpus (tests/corpus/waf-public/{dev,test}).

Inputs: payload lists copied from public repositories into SRC (one file per
source, comments and blank lines already dropped; see README.md for the exact
upstream files) and benign text drawn from material on a Debian + Rust machine
(crate READMEs, Python's reference manual topics, package summaries) and from
the Faker package. Everything is deterministic: no randomness without a seed,
no network.

    python3 build.py SRC_DIR            # writes dev/ and test/ next to this file
"""
import glob, gzip, hashlib, json, os, random, re, sys, urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = sys.argv[1] if len(sys.argv) > 1 else "/tmp/wafq-src"
OWN = os.path.join(HERE, "..", "waf")  # the tuning corpus: lines found there are dropped

# attack category -> [(file, decoding)]: "plus" = query-string capture (+ is a space),
# "once" = payload meant for a URL (decode one level), "raw" = placed raw in a query.
ATTACKS = {
    "sqli": [("li_sqli_misc.txt", "plus"), ("li_sqli_hackers.txt", "plus"),
             ("li_sqli_rsalgado.txt", "plus"), ("patt_sqli.txt", "once"),
             ("sl_generic_sqli.txt", "once")],
    "xss": [("li_xss_owasp.txt", "once"), ("li_xss_html5sec.txt", "once"),
            ("patt_xss.txt", "once"), ("patt_xss_jhaddix.txt", "once")],
    "lfi": [("patt_lfi.txt", "once")],
    "rce": [("patt_rce.txt", "once")],
    "ssti": [("patt_ssti.txt", "once")],
    "nosql": [("patt_nosql.txt", "once")],
    "ldap": [("ldap.txt", "once")],
    "xxe": [("patt_xxe.txt", "none")],
    "crlf": [("patt_crlf.txt", "raw")],
}


def norm(s):
    """Near-duplicate key: case, digits and spacing do not make a new payload."""
    s = re.sub(r"\d+", "0", s.lower())
    return re.sub(r"\s+", " ", s).strip()


def escape(s):
    """The corpus line format: one line, \\n \\r \\t written as escapes."""
    return s.replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t")


def own_keys():
    keys = set()
    for p in glob.glob(os.path.join(OWN, "*", "*.txt")):
        for l in open(p, encoding="utf-8"):
            l = l.rstrip("\n")
            if l and not l.startswith("##"):
                keys.add(norm(l.replace("\\n", "\n").replace("\\r", "\r").replace("\\t", "\t")))
    return keys


def decode(line, how):
    if how == "plus":
        return urllib.parse.unquote_plus(line) if re.search(r"%[0-9a-fA-F]{2}|\+", line) else line
    if how == "once":
        return urllib.parse.unquote(line)
    return line


def junk_attack(s):
    t = s.strip()
    if len(t) < 4:
        return True
    # A lone word or number ("update", "asc", "1") is not an attack on its own.
    return bool(re.fullmatch(r"[\w.]+", t))


def split(lines):
    dev, test = [], []
    for l in lines:
        (dev if hashlib.sha256(l.encode()).digest()[0] % 2 == 0 else test).append(l)
    return dev, test


def write(kind, name, lines):
    dev, test = split(lines)
    for part, ls in (("dev", dev), ("test", test)):
        d = os.path.join(HERE, part, kind)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, name + ".txt"), "w", encoding="utf-8") as f:
            for l in ls:
                f.write(l + "\n")
    print(f"{kind:7} {name:12} {len(lines):5}  dev {len(dev):4}  test {len(test):4}")


def dedup(lines, seen):
    out = []
    for l in lines:
        k = norm(l)
        if k in seen or not l.strip():
            continue
        seen.add(k)
        out.append(l)
    return out


def build_attacks(seen):
    for cat, files in ATTACKS.items():
        lines = []
        for fname, how in files:
            for raw in open(os.path.join(SRC, fname), encoding="utf-8"):
                raw = raw.rstrip("\n")
                if not raw.strip() or raw.startswith("#"):
                    continue
                p = decode(raw, how)
                if junk_attack(p):
                    continue
                lines.append(escape(p))
        write("attack", cat, dedup(lines, seen))


# ---- benign -------------------------------------------------------------------

def sentences(text):
    text = re.sub(r"\s+", " ", text)
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+(?=[A-Z\"'(])", text)]


def crate_readmes():
    out = []
    for p in sorted(glob.glob(os.path.expanduser("~/.cargo/registry/src/*/*/README.md"))):
        out.append((p, open(p, encoding="utf-8", errors="replace").read()))
    for p in sorted(glob.glob("/usr/share/doc/*/*.md")) + sorted(glob.glob("/usr/share/doc/*/*.md.gz")):
        try:
            t = gzip.open(p, "rt", errors="replace").read() if p.endswith(".gz") else open(p, errors="replace").read()
        except OSError:
            continue
        out.append((p, t))
    return out


def md_blocks(text):
    """Markdown paragraphs and fenced code blocks, as a user would post them."""
    blocks, cur, fence = [], [], False
    for l in text.split("\n"):
        if l.startswith("```"):
            cur.append(l)
            if fence:
                blocks.append("\n".join(cur)); cur = []
            fence = not fence
            continue
        if not fence and not l.strip():
            if cur:
                blocks.append("\n".join(cur)); cur = []
            continue
        cur.append(l)
    if cur:
        blocks.append("\n".join(cur))
    return [b for b in blocks if 20 <= len(b) <= 1500]


def every(lst, n, seed):
    r = random.Random(seed)
    lst = list(lst)
    r.shuffle(lst)
    return lst[:n]


def build_benign(seen):
    from faker import Faker
    Faker.seed(20261124)
    random.seed(20261124)

    # search: libinjection's false-positive inputs (mostly shop search strings) plus
    # short package summaries from the PyPI and npm registries (search-box sized text).
    search = []
    for raw in open(os.path.join(SRC, "li_false_positives.txt"), encoding="utf-8"):
        raw = raw.rstrip("\n")
        if raw.strip():
            search.append(escape(decode(raw, "plus")))
    summaries = []
    for path, col in (("/work/.library/env/packages/pypi.tsv", 4), ("/work/.library/env/packages/npm.tsv", 3)):
        if not os.path.exists(path):
            continue
        with open(path, encoding="utf-8", errors="replace") as f:
            next(f)
            for l in f:
                cols = l.rstrip("\n").split("\t")
                if len(cols) > col and 12 <= len(cols[col]) <= 160:
                    summaries.append(cols[col])
    search += [escape(s) for s in every(summaries, 700, 1)]
    write("benign", "search", dedup(search, seen))

    # names: Faker person names from locales with apostrophes and diacritics.
    names = []
    for loc in ["en_IE", "en_GB", "en_US", "fr_FR", "de_DE", "es_ES", "it_IT", "pt_BR",
                "nl_NL", "pl_PL", "tr_TR", "cs_CZ", "vi_VN", "ga_IE", "da_DK", "hu_HU"]:
        f = Faker(loc)
        for _ in range(30 if loc not in ("en_IE", "ga_IE") else 60):
            names.append(f.name())
    write("benign", "names", dedup([escape(n) for n in names], seen))

    # prose: sentences from Python's reference manual topics (pydoc) and READMEs.
    import pydoc_data.topics as topics
    prose = []
    for k in sorted(topics.topics):
        for para in topics.topics[k].split("\n\n"):
            if para.startswith("   ") or "***" in para:
                continue
            prose += [s for s in sentences(para) if 30 <= len(s) <= 300]
    docs = crate_readmes()
    for _, t in docs:
        for b in md_blocks(t):
            if not b.lstrip().startswith(("```", "#", "|", "[", "<", "!", "-", "*")):
                prose += [s for s in sentences(b) if 30 <= len(s) <= 300]
    write("benign", "prose", dedup([escape(s) for s in every(prose, 700, 2)], seen))

    # markdown: whole README blocks (paragraphs, lists, fenced code) and pydoc code samples.
    md = []
    for _, t in docs:
        md += md_blocks(t)
    write("benign", "markdown", dedup([escape(b) for b in every(md, 500, 3)], seen))
    code = []
    for k in sorted(topics.topics):
        for para in topics.topics[k].split("\n\n"):
            if para.startswith("   ") and 20 <= len(para) <= 800 and "::=" not in para:
                code.append("\n".join(l[3:] for l in para.split("\n")))
    write("benign", "code", dedup([escape(c) for c in every(code, 250, 4)], seen))

    # urls: links found in the READMEs and manual, plus Faker URIs.
    urls = set()
    for _, t in docs:
        urls.update(u.rstrip(".,;:") for u in re.findall(r"https?://[^\s)>\]\"'`]+", t))
    f = Faker("en_US")
    fake = [f.uri() for _ in range(60)] + [f.url() + f.uri_path() + "?" + f.uri_extension()[1:] + "=" + f.word() for _ in range(40)]
    write("benign", "urls", dedup([escape(u) for u in every(sorted(urls), 300, 5) + fake], seen))

    # useragents: Faker browser user agents (sent in the User-Agent header).
    write("benign", "useragents", dedup([f.user_agent() for _ in range(200)], seen))

    # json: whole request bodies -- JSON-Schema-Test-Suite instances (shipped with the
    # jsonschema crate) and Faker-filled API objects of common shapes.
    bodies = []
    for p in sorted(glob.glob(os.path.expanduser("~/.cargo/registry/src/*/jsonschema-*/**/*.json"), recursive=True)):
        try:
            doc = json.load(open(p, encoding="utf-8"))
        except (ValueError, OSError):
            continue
        groups = doc if isinstance(doc, list) else []
        for g in groups:
            for t in (g.get("tests", []) if isinstance(g, dict) else []):
                if isinstance(t, dict) and isinstance(t.get("data"), (dict, list)):
                    s = json.dumps(t["data"], ensure_ascii=False)
                    if 2 < len(s) < 2000 and "__proto__" not in s and "constructor" not in s:
                        bodies.append(s)
    bodies = every(bodies, 250, 6)
    for loc in ["en_US", "en_GB", "fr_FR", "de_DE", "en_IE"]:
        f = Faker(loc)
        for _ in range(30):
            shape = random.randrange(4)
            if shape == 0:
                o = {"name": f.name(), "email": f.email(), "address": {"street": f.street_address(), "city": f.city(), "postcode": f.postcode()}, "company": f.company(), "phone": f.phone_number()}
            elif shape == 1:
                o = {"title": f.sentence(), "body": f.paragraph(), "tags": f.words(3), "author": {"id": f.random_int(1, 99999), "name": f.name()}, "published": f.iso8601()}
            elif shape == 2:
                o = {"order_id": f.uuid4(), "items": [{"sku": f.bothify("??-####"), "qty": f.random_int(1, 5), "note": f.sentence()} for _ in range(2)], "ship_to": f.address(), "gift_message": f.sentence()}
            else:
                o = {"query": " ".join(f.words(3)), "filters": {"country": f.country_code(), "job": f.job()}, "page": f.random_int(1, 20), "sort": "-created_at"}
            bodies.append(json.dumps(o, ensure_ascii=False))
    write("benign", "json", dedup([escape(b) for b in bodies], seen))

    # graphql: the example operations of the GraphQL specification.
    gql = [l.rstrip("\n") for l in open(os.path.join(SRC, "benign", "graphql_spec.txt"), encoding="utf-8") if l.strip()]
    write("benign", "graphql", dedup(gql, seen))


def main():
    seen = own_keys()
    for part in ("dev", "test"):
        for kind in ("attack", "benign"):
            for p in glob.glob(os.path.join(HERE, part, kind, "*.txt")):
                os.remove(p)
    build_attacks(seen)
    build_benign(seen)


if __name__ == "__main__":
    main()
