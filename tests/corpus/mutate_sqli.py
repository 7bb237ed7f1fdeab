#!/usr/bin/env python3
"""Mutates SQL injection lines of the `dev` halves into a corpus directory, to
see whether the rules tuned to them hold on variants (tests/corpus/waf-public6
README, round 25). Two modes:

  mutate_sqli.py OUT DEV_FILE...           numbers, case, spaces, quote, logic word, names
  mutate_sqli.py --rename OUT DEV_FILE...  every identifier that is no SQL word renamed

then, from the repository root:

  WAF_CORPUS_DIR=$PWD/OUT WAF_PARANOIA=2 cargo test --release -p gateway-user \\
      --test waf_corpus attack_corpus_is_detected_above -- --nocapture

OUT gets `attack/sqli.txt` and an empty `benign/` file. Seeded: the same input
gives the same lines.
"""
import os
import random
import re
import sys

# Words kept by --rename: SQL keywords, functions and catalog names the dev lines use.
SQL_WORDS = set("""select from where union all and or xor not null like rlike regexp in is
between insert update delete drop create alter table into values exec execute declare
waitfor delay sleep benchmark char chr concat version database user having group by order
limit offset case when then else end if ifnull substring substr ascii count cast convert
information_schema load_file outfile dumpfile true false as on join inner outer left right
distinct top set begin procedure function print shutdown grant revoke truncate match against
boolean mode natural language with query expansion collate escape div mod sounds glob exists
any some asc desc schema tables columns table_name column_name table_schema sysobjects
syscolumns mysql sqlite_master pg_sleep pg_catalog xp_cmdshell sp_executesql openrowset
utl_http dbms_pipe nchar varchar int integer text md5 rand floor extractvalue updatexml elt
make_set hex unhex ord mid length len char_length current_user session_user system_user
system dual admin root sa password passwd users""".split())

NAMES = {"user": "member", "users": "members", "password": "passwd", "passwords": "secrets",
         "admin": "root", "username": "login", "id": "uid", "name": "title"}


def digits(s):
    return re.sub(r"\d+", lambda m: str(random.choice([2, 3, 7, 42, 99, 1337])), s)


def case(s):
    return "".join(c.upper() if random.random() < 0.5 else c.lower() for c in s)


def spaces(s):
    return s.replace(" ", "  ")


def quote(s):
    if "'" in s and '"' not in s:
        return s.replace("'", '"')
    if '"' in s and "'" not in s:
        return s.replace('"', "'")
    return s


def logic(s):
    swap = {"and": "or", "or": "and"}
    return re.sub(r"\b(and|or)\b", lambda m: swap[m.group(1).lower()], s, flags=re.I)


def names(s):
    pattern = r"\b(" + "|".join(NAMES) + r")\b"
    return re.sub(pattern, lambda m: NAMES[m.group(1).lower()], s, flags=re.I)


def rename(s):
    def one(m):
        w, end = m.group(0), m.end()
        if w.lower() in SQL_WORDS or s[end:end + 1] == "(" or len(w) < 3:
            return w
        if m.start() > 0 and s[m.start() - 1] in "\\%&@$0123456789":
            return w
        return random.choice(["tb", "c", "x", "acct", "zq", "col", "fld"]) + "".join(
            random.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(random.randint(2, 6)))
    return re.sub(r"[A-Za-z_]+", one, s)


def main():
    args = sys.argv[1:]
    renaming = bool(args) and args[0] == "--rename"
    if renaming:
        args = args[1:]
    if len(args) < 2:
        sys.exit(__doc__)
    out_dir, files = args[0], args[1:]
    random.seed(11 if renaming else 7)
    lines = []
    for f in files:
        with open(f, encoding="utf-8", errors="replace") as fh:
            lines += [l.rstrip("\n") for l in fh if l.strip()]
    mutations = [rename] if renaming else [digits, case, spaces, quote, logic, names]
    out = {m(l) for l in lines for m in mutations} - set(lines)
    os.makedirs(os.path.join(out_dir, "attack"), exist_ok=True)
    os.makedirs(os.path.join(out_dir, "benign"), exist_ok=True)
    open(os.path.join(out_dir, "benign", "none.txt"), "w").close()
    with open(os.path.join(out_dir, "attack", "sqli.txt"), "w") as fh:
        fh.writelines(l + "\n" for l in sorted(out))
    print(f"{len(out)} lines")


if __name__ == "__main__":
    main()
