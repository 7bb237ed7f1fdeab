"""What the corpus build scripts share (waf-public3/ and waf-public4/build.py):
the near-duplicate key, the line escapes, the split into dev and test.

A corpus line is one payload with `\\n`, `\\r` and `\\t` escaped; two lines are
near-duplicates when their keys (lowercase, digit runs as 0, spaces collapsed)
are equal. A line goes to `dev` or `test` by the parity of the first byte of its
SHA-256, so the split is fixed and does not depend on order.
"""
import glob, hashlib, os, re


def norm(s):
    s = re.sub(r"\d+", "0", s.lower())
    return re.sub(r"\s+", " ", s).strip()


def escape(s):
    return s.replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t")


def seen_keys(dirs):
    """The keys of every line of every corpus file under `dirs`."""
    keys = set()
    for d in dirs:
        for p in glob.glob(os.path.join(d, "**", "*.txt"), recursive=True):
            for l in open(p, encoding="utf-8"):
                l = l.rstrip("\n")
                if l and not l.startswith("##"):
                    keys.add(norm(l.replace("\\n", "\n").replace("\\r", "\r").replace("\\t", "\t")))
    return keys


def fragment(s):
    """A single word, a name, or lone symbols: not an injection on its own."""
    t = s.strip()
    return len(t) < 4 or bool(re.fullmatch(r"[\w.@-]+", t)) or bool(re.fullmatch(r"[^\w\s]+", t))


def dedup(ls, seen):
    """`ls` without blank lines and lines whose key is in `seen` (which gains theirs)."""
    out = []
    for l in ls:
        k = norm(l)
        if not l.strip() or k in seen:
            continue
        seen.add(k)
        out.append(l)
    return out


def write(root, kind, name, ls):
    """Writes `ls` to {root}/{dev,test}/{kind}/{name}.txt, escaped, split by hash."""
    parts = {"dev": [], "test": []}
    for l in ls:
        part = "dev" if hashlib.sha256(l.encode()).digest()[0] % 2 == 0 else "test"
        parts[part].append(l)
    for part, vals in parts.items():
        d = os.path.join(root, part, kind)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, name + ".txt"), "w", encoding="utf-8") as f:
            for v in vals:
                f.write(escape(v) + "\n")
