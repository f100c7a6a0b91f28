#!/usr/bin/env python3
"""Fails on a broken internal link or anchor: in the built book (every href of every page of
docs/book: the file must exist, and a #fragment must be an id in it) and in README.md and
CHANGELOG.md (every relative link's file must exist). Usage: check-book.py [BOOK_DIR]"""
import html
import os
import re
import sys
from urllib.parse import unquote, urlsplit

book = sys.argv[1] if len(sys.argv) > 1 else "docs/book"
problems = []
ids_cache = {}


def ids_of(path):
    if path not in ids_cache:
        text = open(path, encoding="utf-8").read()
        ids_cache[path] = set(re.findall(r'\sid="([^"]+)"', text))
    return ids_cache[path]


pages = [os.path.join(d, f) for d, _, fs in os.walk(book) for f in fs if f.endswith(".html")]
if not pages:
    sys.exit(f"no pages in {book}: build the book first")
for page in pages:
    text = open(page, encoding="utf-8").read()
    for href in re.findall(r'<(?:a|link)\s[^>]*?href="([^"]+)"', text):
        href = html.unescape(href)
        parts = urlsplit(href)
        # Absolute paths are the site's root (the 404 page's home link), not the book's.
        if parts.scheme or parts.netloc or href.startswith(("mailto:", "/")):
            continue
        target = page if not parts.path else os.path.normpath(
            os.path.join(os.path.dirname(page), unquote(parts.path)))
        if os.path.isdir(target):
            target = os.path.join(target, "index.html")
        if not os.path.exists(target):
            problems.append(f"{page}: link to a missing file: {href}")
        elif parts.fragment and target.endswith(".html") and unquote(parts.fragment) not in ids_of(target):
            problems.append(f"{page}: link to a missing anchor: {href}")

for doc in ["README.md", "CHANGELOG.md"]:
    text = open(doc, encoding="utf-8").read()
    for link in re.findall(r"\]\(([^)\s]+)\)", text):
        parts = urlsplit(link)
        if parts.scheme or link.startswith("#"):
            continue
        if not os.path.exists(unquote(parts.path)):
            problems.append(f"{doc}: link to a missing file: {link}")

for p in problems:
    print(p)
print(f"book: {len(pages)} pages checked, {len(problems)} broken links")
sys.exit(1 if problems else 0)
