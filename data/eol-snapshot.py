#!/usr/bin/env python3
# eol-snapshot.py: builds data/eol-snapshot.json, the end-of-life catalogue
# ward ships for air-gapped sites, from endoflife.date's product pages (the
# YAML front matter of products/*.md), in the shape of its API v1.
#
#   python3 data/eol-snapshot.py --date 2026-08-22 --source "commit a70eca3" \
#       DIR/products > data/eol-snapshot.json
#
# Each element of "products" is what GET /api/v1/products/{product} returns
# under "result", so ward-collector reads the snapshot and a refresh with one
# parser. A lifecycle field is a date, true or false in the front matter;
# the API spells that as is<Field> plus <field>From, and so does this:
# "eol: 2024-06-30" -> eolFrom "2024-06-30", isEol as of --date;
# "eol: true" -> isEol true, eolFrom null; "eol: false" -> isEol false,
# eolFrom null; a field a release does not have is left out. Needs PyYAML
# (Debian: python3-yaml); only a maintainer refreshing the snapshot runs it.
import argparse
import datetime
import json
import os
import re
import sys

import yaml

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TAG = re.compile(r"<[^>]*>")


def text(s):
    """A label without its HTML (<abbr title=...>LTS</abbr> -> LTS)."""
    return " ".join(TAG.sub("", s).split())


def die(where, msg):
    sys.exit("eol-snapshot: %s: %s" % (where, msg))


def value(where, v):
    """A front matter value as a date string, True, False or None."""
    if v is None:
        return None
    if not isinstance(v, str):
        die(where, "expected a date, true or false, got %r" % (v,))
    if v in ("true", "True"):
        return True
    if v in ("false", "False"):
        return False
    if DATE.match(v):
        datetime.date.fromisoformat(v)  # rejects 2024-02-30
        return v
    die(where, "expected a date, true or false, got %r" % v)


def column(v, default):
    """A product's column label: a string, true (the default) or off."""
    if v is None or v in ("false", "False"):
        return None
    if v in ("true", "True"):
        return default
    return text(v)


def release(where, r, template, asof):
    cycle = r.get("releaseCycle")
    if not isinstance(cycle, str) or cycle == "":
        die(where, "releaseCycle missing")
    where = "%s: release %s" % (where, cycle)
    codename = r.get("codename")
    label = r.get("releaseLabel") or template or "__RELEASE_CYCLE__"
    label = label.replace("__RELEASE_CYCLE__", cycle)
    label = label.replace("__CODENAME__", codename or "")
    out = {
        "name": cycle,
        "codename": codename,
        "label": text(label).replace(" ''", "").replace(" ()", ""),
        "releaseDate": value(where + ": releaseDate", r.get("releaseDate")),
    }
    lts = value(where + ": lts", r.get("lts"))
    out["isLts"] = lts is True or (isinstance(lts, str) and lts <= asof)
    out["ltsFrom"] = lts if isinstance(lts, str) else None
    for field, key in (("eoas", "Eoas"), ("eol", "Eol"), ("eoes", "Eoes")):
        if field not in r:
            continue
        v = value("%s: %s" % (where, field), r[field])
        out["is" + key] = v is True or (isinstance(v, str) and v <= asof)
        out[field + "From"] = v if isinstance(v, str) else None
    out["isMaintained"] = not out.get("isEol", False)
    latest = r.get("latest")
    if latest is not None:
        out["latest"] = {
            "name": str(latest),
            "date": value(where + ": latestReleaseDate",
                          r.get("latestReleaseDate")),
            "link": None,
        }
    else:
        out["latest"] = None
    return out


def product(path, asof):
    with open(path, encoding="utf-8") as f:
        raw = f.read()
    # A products/*.md page holds its front matter between "---" lines.
    if raw.startswith("---\n"):
        raw = raw[4:].split("\n---", 1)[0]
    # BaseLoader keeps every scalar a string: "8.10" stays "8.10", not 8.1.
    doc = yaml.load(raw, Loader=yaml.BaseLoader)
    where = os.path.basename(path)
    name = doc.get("permalink", "").strip("/")
    if not name:
        die(where, "no permalink")
    releases = doc.get("releases")
    if not isinstance(releases, list) or not releases:
        die(where, "no releases")
    tags = doc.get("tags", "")
    return {
        "name": name,
        "aliases": [a.strip("/") for a in doc.get("alternate_urls", [])],
        "label": text(doc.get("title", name)),
        "category": doc.get("category"),
        "tags": tags.split() if isinstance(tags, str) else tags,
        "versionCommand": doc.get("versionCommand"),
        "labels": {
            "eoas": column(doc.get("eoasColumn"), "Active Support"),
            "discontinued": None,
            "eol": column(doc.get("eolColumn", "true"), "Security Support"),
            "eoes": column(doc.get("eoesColumn"), "Extended Support"),
        },
        "links": {
            "html": "https://endoflife.date/" + name,
            "releasePolicy": doc.get("releasePolicyLink"),
        },
        "releases": [release(where, r, doc.get("releaseLabel"), asof)
                     for r in releases],
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--date", required=True,
                    help="the date the facts are from (YYYY-MM-DD)")
    ap.add_argument("--source", required=True,
                    help="where they come from, e.g. the commit")
    ap.add_argument("dir", help="endoflife.date's products directory")
    args = ap.parse_args()
    if not DATE.match(args.date):
        die("--date", "expected YYYY-MM-DD")
    names = sorted(n for n in os.listdir(args.dir)
                   if n.endswith((".yml", ".yaml", ".md")))
    products = [product(os.path.join(args.dir, n), args.date) for n in names]
    products.sort(key=lambda p: p["name"])
    snap = {
        "schema_version": "1.2.0",
        "generated_at": args.date + "T00:00:00+00:00",
        "snapshot": {
            "date": args.date,
            "source": "endoflife.date product data, " + args.source,
            "licence": "MIT (endoflife.date)",
        },
        "products": products,
    }
    json.dump(snap, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
