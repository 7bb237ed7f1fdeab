"""Builds the round-24 public WAF corpus (tests/corpus/waf-public6/dev).

SQL injection: the inputs of the OWASP CRS regression tests of all 62 files of
`tests/regression/tests/REQUEST-942-APPLICATION-ATTACK-SQLI/` (coreruleset/
coreruleset), saved in src/crs942.txt, one test input a line: `+` when the test
expects a 942 rule to match, `b` when it expects one not to; `URI` a request
target, `RAW` a header value, else a form-encoded body. Each is decoded as the
server decodes it. Lines whose near-duplicate key appears in any earlier round
(../waf/, ../waf-public/ to ../waf-public5/, both halves) are dropped, so no line
of a held-out half comes back here, and so are fragments (one word, lone symbols).

The `b` inputs are kept only where they are benign text: many are attacks that a
test expects some other rule to catch (`'or'1`, `UNION ALL SELECT NULL,...`), and
these are listed in NOT_BENIGN and dropped.

    python3 build.py        # writes dev/ next to this file

There is no `test` half: every line was read while tuning (see README.md).
Deterministic: no sampling.
"""
import os, re, sys, urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
from corpus_build import escape, fragment, norm, seen_keys  # noqa: E402

SEEN_DIRS = [os.path.join(HERE, "..", d) for d in
             ("waf", "waf-public", "waf-public2", "waf-public3", "waf-public4", "waf-public5")]

# `b` inputs that are attacks some other rule is expected to catch, or text about
# SQL injection quoting payloads: not benign traffic.
NOT_BENIGN = {
    "9'union all", "24 union all select 1,2,3 from aa", "user'collate foo--",
    '"1" sSOUNDS LIKE "SOUNDS LIKE 1', "11=1", "if(now()=sysdate(),sleep(12,0)",
    "BENChmARk(2999", "pay=;set @", "pay=1 OR 2+", "pay=4AND4+", "\"' and = bar",
    "'ortrue", "'||(select(pg_sleep(15))where(true))||'/investigate",
    "UNION ALL SELECT NULL,NULL,CONCAT(CONCAT('qqkjq','mxTSrPILRz'),'qvxvq')-- sqCV",
    "id'is notes", "x'@email--", "x'~email--", "''or", "\\'lol' or '1", "'or'1",
    "\\' foo or", "1=11",
}
# ... a text that explains SQL injection with its classic payloads, and a whole
# multipart body (a test sends it as the request body; it is no field's value).
NOT_BENIGN_PREFIXES = ("Incorrectly constructed SQL statements", "----------397236876")


def form_values(body):
    out = []
    for part in body.split("&"):
        k, eq, v = part.partition("=")
        # A part without `=` is one argument name; `k=v` is a value.
        out.append(urllib.parse.unquote_plus(v if eq and re.fullmatch(r"[\w%\[\]-]+", k) else part))
    return out


def values(marks):
    out = []
    for l in open(os.path.join(HERE, "src", "crs942.txt"), encoding="utf-8"):
        l = l.rstrip("\n")
        if len(l) < 2 or l[0] not in marks or l[1] != " ":
            continue
        body = l[2:].replace("\\n", "\n").replace("\\r", "\r").replace("\\t", "\t")
        if body.startswith("RAW "):
            vals = [body[4:]]
        elif body.startswith("URI "):
            path, _, query = body[4:].partition("?")
            if query:
                vals = form_values(query)
            else:
                segs = [urllib.parse.unquote_plus(s) for s in path.rstrip("/").split("/") if s]
                vals = [max(segs, key=len)] if segs else []
        else:
            vals = form_values(body)
        out += [v for v in vals if v.strip()]
    return out


def main():
    seen = seen_keys(SEEN_DIRS)

    def keep(ls, drop=(), drop_prefixes=()):
        out = []
        for l in ls:
            k = norm(l)
            if k in seen or fragment(l) or l in drop or l.startswith(drop_prefixes):
                continue
            seen.add(k)
            out.append(l)
        return out

    for kind, name, ls in (("attack", "sqli", keep(values("+"))),
                           ("benign", "search", keep(values("b"), NOT_BENIGN, NOT_BENIGN_PREFIXES))):
        d = os.path.join(HERE, "dev", kind)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, name + ".txt"), "w", encoding="utf-8") as f:
            for v in ls:
                f.write(escape(v) + "\n")
        print(kind, len(ls))


if __name__ == "__main__":
    main()
