"""Builds the round-27 public WAF corpus (tests/corpus/waf-public7/{dev,test}).

XSS only: the XSS data files of client9/libinjection (BSD-3-Clause, see
src/LICENSE) that no earlier round used, saved in src/: the Xenotix scanner's
vectors, @soaj1664ashar's lists and pastebins, an unknown pastebin and
libinjection's smoke test. Every non-comment line is one vector. Lines whose
near-duplicate key appears in any earlier round (../waf/, ../waf-public/ to
../waf-public6/, both halves) are dropped, and so are fragments (one word, lone
symbols). A line goes to dev/ or test/ by the parity of the first byte of its
SHA-256 (corpus_build.write).

    python3 build.py        # writes dev/ and test/ next to this file

Deterministic: no sampling.
"""
import glob, os, sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
from corpus_build import dedup, fragment, seen_keys, write  # noqa: E402

SEEN_DIRS = [os.path.join(HERE, "..", d) for d in
             ("waf", "waf-public", "waf-public2", "waf-public3", "waf-public4", "waf-public5",
              "waf-public6")]


def main():
    seen = seen_keys(SEEN_DIRS)
    vectors = []
    for p in sorted(glob.glob(os.path.join(HERE, "src", "xss-*.txt"))):
        for l in open(p, encoding="utf-8"):
            l = l.rstrip("\n")
            if l.strip() and not l.startswith("#") and not fragment(l):
                vectors.append(l)
    kept = dedup(vectors, seen)
    write(HERE, "attack", "xss", kept)
    print("xss: %d vectors read, %d kept" % (len(vectors), len(kept)))


if __name__ == "__main__":
    main()
