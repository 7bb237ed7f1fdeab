"""Builds the round-7 held-out SQL injection corpus (tests/corpus/waf-public4/{dev,test}).

Payload lists no earlier round used, saved into SRC: PayloadsAllTheThings Intruder
lists (`Auth_Bypass2.txt`, `SQLi_Polyglots.txt`, `Generic_UnionSelect.txt`,
`payloads-sql-blind-MySQL-WHERE`), payload-box/sql-injection-payload-list (all six
lists), SecLists `Fuzzing/SQLi/safe-SQLi-payloads.txt`, the fuzzdb files rounds 1
and 2 skipped (`detect/GenericBlind.txt`, `generic-blind.txt`, `MSSQL_blind.fuzz.txt`,
`MySQL_MSSQL.txt`, `oracle.txt`, `exploit/ms-sql-enumeration.txt`), and the SQLi
payloads of the PyPI package `fray` 3.5.249 (MIT; not its `threat_intel.json`, which is
`' OR 1=1--` with CVE names in a comment). The same author's `securityforge` 3.0.0 adds
nothing usable: its extra entries are fragments of Python scripts and `getSelection()`.
Lines whose near-duplicate key appears in ../waf/, ../waf-public/, ../waf-public2/ or
../waf-public3/ are dropped. Attacks only: the benign halves of the earlier corpora
are the false-positive check.

    python3 build.py SRC_DIR      # writes dev/ and test/ next to this file

SRC_DIR holds src/*.txt (one payload a line, URL-decoded once here, `__TIME__` as 5)
and pkg/fray/ (the unpacked wheel).

Deterministic: SHA-256 split (even first byte: dev, odd: test).
"""
import glob, json, os, re, sys, urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from corpus_build import dedup, escape, fragment, norm, seen_keys, write  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = sys.argv[1] if len(sys.argv) > 1 else "/work/corpora/q7"
SEEN_DIRS = [os.path.join(HERE, "..", d) for d in ("waf", "waf-public", "waf-public2", "waf-public3")]


def decode(s):
    """URL-decoded once; an escape that is no UTF-8 (`%a0`) stands for its Latin-1 byte."""
    d = urllib.parse.unquote(s)
    return urllib.parse.unquote(s, encoding="latin-1") if "\ufffd" in d else d


def list_values():
    out = []
    for p in sorted(glob.glob(os.path.join(SRC, "src", "*.txt"))):
        for l in open(p, encoding="utf-8"):
            l = l.rstrip("\n")
            if l.strip():
                out.append(decode(l).replace("__TIME__", "5"))
    return out


def package_values():
    out = []
    for p in sorted(glob.glob(os.path.join(SRC, "pkg/fray/fray/payloads/sqli/*.json"))):
        if p.endswith("threat_intel.json"):
            continue
        for e in json.load(open(p, encoding="utf-8")).get("payloads", []):
            v = e.get("payload") if isinstance(e, dict) else None
            if isinstance(v, str):
                out.append(decode(v))
    return out


def main():
    seen = seen_keys(SEEN_DIRS)
    sqli = [v for v in list_values() + package_values() if not fragment(v)]
    write(HERE, "attack", "sqli", dedup(sqli, seen))


if __name__ == "__main__":
    main()
