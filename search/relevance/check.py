#!/usr/bin/env python3
"""Checks the hand-judged relevance set (corpus.json, queries.json) against the category reference.

Run from anywhere: `python3 search/relevance/check.py`. Exits non-zero and lists every problem found.
"""
import json
import re
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
CATEGORIES = HERE.parent.parent / "domain" / "reference" / "categories.json"

KINDS = {
    "arabic", "french", "darija_latin", "english", "cross_script", "spelling", "typo", "model", "category", "place",
    # the blind set's traps: the product against its accessories and parts, the named model against
    # its neighbours, rent against sale, one word with two meanings
    "product", "neighbour", "rent_sale", "meaning",
}
FIELDS = {"q", "relevant", "kind"}
OPTIONAL = {"acceptable", "distractors", "blind"}
MIN_BLIND = 100
MIN_QUERIES = 230
MIN_PER_KIND = 20
MIN_ARABIC_SCRIPT = 60
ARABIC = re.compile("[\u0600-\u06FF\u0750-\u077F\uFB50-\uFDFF\uFE70-\uFEFF]")

errors = []


def err(msg):
    errors.append(msg)


def leaves(nodes, inherited_price=None):
    """slug -> (attributes by key, price range of the nearest category that declares one)"""
    out = {}
    for n in nodes:
        price = n.get("price") or inherited_price
        if n.get("children"):
            out.update(leaves(n["children"], price))
        else:
            out[n["slug"]] = ({a["key"]: a for a in n.get("attributes") or []}, price)
    return out


def load_lines(path):
    """The file must be a JSON array written one object per line (so that diffs stay readable)."""
    text = path.read_text(encoding="utf-8")
    rows = json.loads(text)
    lines = text.strip().split("\n")
    if lines[0] != "[" or lines[-1] != "]" or len(lines) != len(rows) + 2:
        err(f"{path.name}: expected '[', one object per line, ']' ({len(rows)} objects, {len(lines)} lines)")
    return rows


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def check_corpus(ads, cats):
    ids = Counter()
    for ad in ads:
        ident = ad.get("id")
        where = f"ad {ident}"
        if not is_int(ident):
            err(f"{where}: id is not an integer")
        ids[ident] += 1
        extra = set(ad) - {"id", "title", "description", "category", "attributes", "price", "wilaya"}
        if extra:
            err(f"{where}: unknown fields {sorted(extra)}")
        for f in ("title", "description"):
            if not isinstance(ad.get(f), str) or not ad[f].strip():
                err(f"{where}: {f} missing or empty")
        w = ad.get("wilaya")
        if not is_int(w) or not 1 <= w <= 58:
            err(f"{where}: wilaya {w!r} not an integer in 1..58")
        cat = ad.get("category")
        if cat not in cats:
            err(f"{where}: category {cat!r} is not a leaf of categories.json")
            continue
        declared, price_range = cats[cat]
        attrs = ad.get("attributes")
        if not isinstance(attrs, dict):
            err(f"{where}: attributes is not an object")
            attrs = {}
        for key, value in attrs.items():
            spec = declared.get(key)
            if spec is None:
                err(f"{where}: attribute {key!r} not declared for {cat}")
                continue
            t = spec["type"]
            if t == "enum":
                options = {o["value"] for o in spec.get("options", [])}
                if value not in options:
                    err(f"{where}: {key}={value!r} not among the options of {cat}")
            elif t == "integer":
                if not is_int(value):
                    err(f"{where}: {key}={value!r} is not an integer")
                else:
                    if spec.get("min") is not None and value < spec["min"]:
                        err(f"{where}: {key}={value} below min {spec['min']}")
                    if spec.get("max") is not None and value > spec["max"]:
                        err(f"{where}: {key}={value} above max {spec['max']}")
            elif t == "text":
                if not isinstance(value, str) or not value.strip():
                    err(f"{where}: {key} is not a non-empty string")
                elif spec.get("max_len") and len(value) > spec["max_len"]:
                    err(f"{where}: {key} longer than {spec['max_len']}")
            elif t == "bool":
                if not isinstance(value, bool):
                    err(f"{where}: {key}={value!r} is not a boolean")
            else:
                err(f"{where}: attribute type {t!r} of {key} unknown to this check")
        price = ad.get("price")
        if price is not None:
            if not is_int(price):
                err(f"{where}: price {price!r} is not a whole number of dinars")
            elif price_range and not (price_range["min"] <= price <= price_range["max"]):
                err(f"{where}: price {price} outside {price_range['min']}..{price_range['max']} for {cat}")
    for ident, n in ids.items():
        if n > 1:
            err(f"id {ident} used {n} times")
    return set(ids)


def check_queries(queries, ad_ids):
    kinds = Counter()
    arabic = 0
    seen = Counter()
    blind = 0
    for i, q in enumerate(queries):
        text = q.get("q")
        where = f"query #{i} {text!r}"
        if not FIELDS <= set(q) or set(q) - FIELDS - OPTIONAL:
            err(f"{where}: fields are q, relevant, kind and optionally {sorted(OPTIONAL)} (got {sorted(q)})")
        if not isinstance(text, str) or not text.strip():
            err(f"{where}: empty text")
            continue
        seen[text.strip().lower()] += 1
        if ARABIC.search(text):
            arabic += 1
        kind = q.get("kind")
        if kind not in KINDS:
            err(f"{where}: unknown kind {kind!r}")
        kinds[kind] += 1
        rel = q.get("relevant")
        if not isinstance(rel, list) or not rel:
            err(f"{where}: relevant list missing or empty")
            continue
        if len(set(rel)) != len(rel):
            err(f"{where}: relevant ids repeated")
        graded = {}
        for field, grade in (("relevant", 2), ("acceptable", 1), ("distractors", 0)):
            ids = q.get(field, [])
            if not isinstance(ids, list) or len(set(ids)) != len(ids):
                err(f"{where}: {field} is not a list of distinct ids")
                continue
            for r in ids:
                if not is_int(r) or r not in ad_ids:
                    err(f"{where}: {field} id {r!r} is not an ad of the corpus")
                elif r in graded:
                    err(f"{where}: ad {r} graded twice ({graded[r]} and {grade})")
                else:
                    graded[r] = grade
        if q.get("blind"):
            if q["blind"] is not True:
                err(f"{where}: blind must be true or absent")
            blind += 1
            if not q.get("distractors"):
                err(f"{where}: a blind query names its hard distractors")
    for text, n in seen.items():
        if n > 1:
            err(f"query {text!r} appears {n} times")
    if len(queries) < MIN_QUERIES:
        err(f"{len(queries)} queries, want at least {MIN_QUERIES}")
    for k in sorted(KINDS):
        if kinds[k] < MIN_PER_KIND:
            err(f"kind {k}: {kinds[k]} queries, want at least {MIN_PER_KIND}")
    if blind and blind < MIN_BLIND:
        err(f"{blind} blind queries, want at least {MIN_BLIND}")
    if arabic < MIN_ARABIC_SCRIPT:
        err(f"{arabic} queries in Arabic script, want at least {MIN_ARABIC_SCRIPT}")
    return kinds, arabic


def main():
    cats = leaves(json.loads(CATEGORIES.read_text(encoding="utf-8")))
    ads = load_lines(HERE / "corpus.json")
    queries = load_lines(HERE / "queries.json")
    ad_ids = check_corpus(ads, cats)
    kinds, arabic = check_queries(queries, ad_ids)
    if errors:
        for e in errors:
            print("error:", e)
        print(f"{len(errors)} problem(s)")
        return 1
    per_kind = ", ".join(f"{k} {kinds[k]}" for k in sorted(kinds))
    print(f"ok: {len(ads)} ads, {len(queries)} queries ({per_kind}); {arabic} in Arabic script")
    return 0


if __name__ == "__main__":
    sys.exit(main())
