#!/usr/bin/env python3
"""Page weight (issue #8, part 5a): bytes a browser downloads for each public page.

For every page of the static site (each index.html / 404.html under SITE_DIR, as its URL)
and the flow pages served by the gateway (registration step 1, login, recovery start), it
fetches the page from BASE_URL and every resource the page makes the browser load:
stylesheets, scripts, icons, preloads, images (img/src, srcset, poster), and what the CSS
pulls in (url(...), @import) — each resource once per page, as a cold cache would. Links
to documents (<a href>, PDFs) are not loaded by the page and are not counted.

Counted per response: the body as sent (the local gateway does not compress) plus the
status line and headers. Also shown: the bodies gzip-compressed (-6), an estimate of what
CloudFront sends with Compress: true. Budget: as-sent bytes <= BUDGET (default 50 KB =
51,200 bytes). Exit status 1 when a page is over budget, 2 when a page or resource fails.

  python3 scripts/page_weight.py BASE_URL SITE_DIR [--budget BYTES]
"""

import gzip
import html.parser
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request

FLOW_PAGES = ["/registrazione/numero", "/accesso", "/recupero"]


class Refs(html.parser.HTMLParser):
    """Resources an HTML page makes the browser fetch (not links to follow)."""

    def __init__(self):
        super().__init__()
        self.refs = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        rel = (a.get("rel") or "").lower().split()
        if tag == "link" and a.get("href") and ({"stylesheet", "icon", "apple-touch-icon", "preload", "modulepreload", "manifest"} & set(rel)):
            self.refs.append(a["href"])
        elif tag == "script" and a.get("src"):
            self.refs.append(a["src"])
        elif tag in ("img", "source", "input", "video", "audio", "iframe", "embed"):
            for k in ("src", "poster"):
                if a.get(k) and not (tag == "input" and a.get("type") != "image"):
                    self.refs.append(a[k])
            for part in (a.get("srcset") or "").split(","):
                if part.strip():
                    self.refs.append(part.strip().split()[0])
        style = a.get("style")
        if style:
            self.refs.extend(css_refs(style))


def css_refs(css):
    out = re.findall(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)", css)
    out += re.findall(r"@import\s+['\"]([^'\"]+)['\"]", css)
    return [u for u in out if not u.startswith("data:")]


def fetch(url):
    req = urllib.request.Request(url, headers={"Accept-Encoding": "identity", "User-Agent": "page-weight"})
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            body = r.read()
            status, reason, headers = r.status, r.reason, r.headers
    except urllib.error.HTTPError as e:  # 404.html is served with status 404
        body, status, reason, headers = e.read(), e.code, e.reason, e.headers
    head = len(f"HTTP/1.1 {status} {reason}\r\n") + sum(len(f"{k}: {v}\r\n") for k, v in headers.items()) + 2
    return status, headers.get("content-type", ""), body, head


def pages(site_dir):
    out = []
    for root, _, files in os.walk(site_dir):
        for f in files:
            if not f.endswith(".html"):
                continue
            rel = os.path.relpath(os.path.join(root, f), site_dir).replace(os.sep, "/")
            if rel == "index.html":
                out.append("/")
            elif rel.endswith("/index.html"):
                out.append("/" + rel[: -len("index.html")])
            else:
                out.append("/" + rel)
    return sorted(out)


def weigh(base, path):
    """(rows of (url, status, content-type, body bytes, header bytes, gzip bytes), errors)."""
    rows, errors, seen = [], [], set()
    queue = [(urllib.parse.urljoin(base, path), "page")]
    while queue:
        url, why = queue.pop(0)
        url = urllib.parse.urldefrag(url)[0]
        if url in seen or not url.startswith(base):
            continue
        seen.add(url)
        try:
            status, ctype, body, head = fetch(url)
        except Exception as e:  # noqa: BLE001 - report any failure as a failed resource
            errors.append(f"{url}: {e}")
            continue
        expected = {200} | ({404} if why == "page" and path.endswith("404.html") else set())
        if status not in expected:
            errors.append(f"{url}: HTTP {status}")
        rows.append((url, status, ctype, len(body), head, len(gzip.compress(body, 6))))
        text = body.decode("utf-8", "replace")
        if "html" in ctype:
            p = Refs()
            p.feed(text)
            queue += [(urllib.parse.urljoin(url, r), "resource") for r in p.refs]
            for m in re.findall(r"<style[^>]*>(.*?)</style>", text, re.S):
                queue += [(urllib.parse.urljoin(url, r), "resource") for r in css_refs(m)]
        elif "css" in ctype:
            queue += [(urllib.parse.urljoin(url, r), "resource") for r in css_refs(text)]
    return rows, errors


def kb(n):
    return f"{n / 1024:.1f}"


def main():
    import argparse

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("base_url")
    ap.add_argument("site_dir")
    ap.add_argument("--budget", type=int, default=50 * 1024, help="bytes per page (default 51200)")
    a = ap.parse_args()
    base, site_dir, budget = a.base_url.rstrip("/") + "/", a.site_dir, a.budget
    todo = [(p, "sito") for p in pages(site_dir)] + [(p, "flusso") for p in FLOW_PAGES]

    over, failed, results = [], [], []
    for path, kind in todo:
        rows, errors = weigh(base, path)
        failed += errors
        body = sum(r[3] for r in rows)
        head = sum(r[4] for r in rows)
        gz = sum(r[5] for r in rows)
        html_b = rows[0][3] if rows else 0
        css = sum(r[3] for r in rows if "css" in r[2])
        js = sum(r[3] for r in rows if "javascript" in r[2])
        img = sum(r[3] for r in rows if r[2].startswith("image/"))
        total = body + head
        results.append((path, kind, len(rows), html_b, css, js, img, head, total, gz))
        if total > budget:
            over.append((path, total))

    print(f"Page weight, cold cache, budget {budget:,} bytes ({kb(budget)} KB) per page (as sent: bodies + headers)\n")
    print("| page | kind | requests | HTML | CSS | JS | images | headers | as sent (KB) | budget use | gzip bodies (KB) |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for path, kind, n, h, c, j, i, hd, total, gz in results:
        flag = " **OVER**" if total > budget else ""
        print(f"| `{path}` | {kind} | {n} | {h:,} | {c:,} | {j:,} | {i:,} | {hd:,} | {kb(total)}{flag} | {100 * total / budget:.0f}% | {kb(gz)} |")
    heaviest = max(results, key=lambda r: r[8])
    print(f"\nHeaviest: `{heaviest[0]}` {heaviest[8]:,} bytes = {100 * heaviest[8] / budget:.0f}% of the budget ({budget - heaviest[8]:,} bytes to spare).")
    if failed:
        print("\nFailed requests:", *failed, sep="\n- ", file=sys.stderr)
        sys.exit(2)
    if over:
        print("\nOver budget:", *(f"{p}: {t:,} bytes (+{t - budget:,})" for p, t in over), sep="\n- ", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
