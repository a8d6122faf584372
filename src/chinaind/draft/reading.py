"""A newsletter or news text as plain text, whatever it arrived as: text or Markdown, a PDF (its
text layer, by pypdf), or a saved HTML page (the article, not its navigation, by selectolax's
lexbor parser). pypdf and selectolax are imported only here, only for their kind of file, so no
other command pays for them.

What cannot be read (a scanned PDF without a text layer, an encrypted PDF, a binary file, an
empty one) is an UnreadableInput naming the file and what to do. Nothing is guessed.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import NamedTuple

from chinaind.core.errors import ChinaindError

# Bigger than any newsletter issue (the seed is 19 KB of text; a MERICS PDF a few MB): a file
# past this is refused before it is read, like a record file past its limit.
MAX_INPUT_BYTES = 50 * 1024 * 1024


class UnreadableInput(ChinaindError):
    """A text to draft from that cannot be read as text."""

    exit_code = 65  # EX_DATAERR, as sysexits.h numbers it: the input is not what it should be


class Input(NamedTuple):
    """The text of one file, and what the file itself says about it."""

    text: str
    kind: str  # text, pdf or html
    name: str  # as shown in messages
    url: str | None = None  # an HTML page's canonical address, when it names one
    title: str | None = None  # an HTML page's headline (its h1, else its <title>)
    publication: str | None = None  # an HTML page's og:site_name, when it names one


def read_input(path: Path | None, data: bytes, name: str) -> Input:
    """The text of `data` (the bytes of `path`, or of standard input when path is None)."""
    if not data.strip():
        raise UnreadableInput(f"{name}: the file is empty; give a newsletter or news text")
    if len(data) > MAX_INPUT_BYTES:
        raise UnreadableInput(f"{name}: {len(data):,} bytes, over the {MAX_INPUT_BYTES:,}-byte limit; split the text")
    kind = _kind(path, data)
    if kind == "pdf":
        return Input(_pdf_text(data, name), "pdf", name)
    if kind == "html":
        return _html(data, name)
    return Input(_plain(data, name), "text", name)


def _kind(path: Path | None, data: bytes) -> str:
    head = data[:1024].lstrip().lower()
    if data.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith((b"<!doctype html", b"<html")) or (path is not None and path.suffix.lower() in (".html", ".htm")):
        return "html"
    return "text"


def _plain(data: bytes, name: str) -> str:
    if b"\x00" in data[:8192]:
        raise UnreadableInput(f"{name}: a binary file, not text; give a text, Markdown, PDF or HTML file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableInput(f"{name}: not UTF-8 text (byte {exc.start}); save it as UTF-8 and try again") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _pdf_text(data: bytes, name: str) -> str:
    try:
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError
    except ImportError:  # pragma: no cover - a dependency of chinaind
        raise UnreadableInput(f"{name}: reading PDF needs pypdf; pip install pypdf") from None
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not _opens_without_password(reader):
            raise UnreadableInput(f"{name}: an encrypted PDF; save an unencrypted copy (or its text) and draft that")
        # Layout mode keeps the lines of a page as laid out: headings, bullets and the
        # "Article / Issuing bodies / Date" blocks stay lines of their own.
        pages = [page.extract_text(extraction_mode="layout") or "" for page in reader.pages]
    except UnreadableInput:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise UnreadableInput(f"{name}: not a readable PDF ({type(exc).__name__}); check the file, or draft from its text") from None
    text = "\n".join(_tidy_layout(p) for p in pages)
    if len(re.findall(r"\w", text)) < 20:
        raise UnreadableInput(f"{name}: the PDF has no text layer (a scan?); run it through OCR, or draft from its text")
    return text


def _opens_without_password(reader: "object") -> bool:
    try:
        return bool(reader.decrypt(""))  # type: ignore[attr-defined]
    except Exception:  # pypdf raises several kinds for a password it needs
        return False


def _tidy_layout(page: str) -> str:
    """Layout-mode text pads lines to their place on the page: strip the padding, keep lines."""
    lines = [re.sub(r"[ \t]{3,}", "  ", line).rstrip() for line in page.splitlines()]
    return "\n".join(line.lstrip() if len(line) - len(line.lstrip()) > 20 else line for line in lines)


# Containers of everything but the article: navigation, banners, footers, scripts.
_NOT_ARTICLE = ("script", "style", "noscript", "nav", "header", "footer", "aside", "form", "iframe", "svg",
                "[role=navigation]", "[role=banner]", "[role=contentinfo]", "[aria-label*=cookie i]",
                "[class*=cookie i]", "[id*=cookie i]", "[class*=newsletter-signup i]")
_BLOCKS = ("p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "td", "th", "dt", "dd", "figcaption")


def _html(data: bytes, name: str) -> Input:
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(_plain(data, name))
    canonical = tree.css_first('link[rel="canonical"]') or tree.css_first('meta[property="og:url"]')
    url = (canonical.attributes.get("href") or canonical.attributes.get("content")) if canonical else None
    heading = tree.css_first("article h1") or tree.css_first("main h1") or tree.css_first("h1") or tree.css_first("title")
    title = " ".join(heading.text().split()) if heading else None
    site = tree.css_first('meta[property="og:site_name"]')
    publication = (site.attributes.get("content") or "").strip() if site else ""
    for selector in _NOT_ARTICLE:
        for node in tree.css(selector):
            node.decompose()
    root = tree.css_first("article") or tree.css_first("main") or tree.css_first("[role=main]") or tree.body
    if root is None:
        raise UnreadableInput(f"{name}: an HTML page without a body; save the whole page and try again")
    lines = []
    blocks = ",".join(_BLOCKS)
    for node in root.css(blocks):
        # css_first() also matches the node itself: a container is a node with a block inside.
        if node.tag not in ("li", "td") and any(inner.mem_id != node.mem_id for inner in node.css(blocks)):
            continue  # its blocks are read themselves
        text = " ".join(node.text(separator=" ").split())
        if text:
            lines.append(("- " if node.tag == "li" else "") + text)
    if not lines:
        lines = [" ".join(root.text(separator=" ").split())]
    text = "\n\n".join(lines)
    if len(re.findall(r"\w", text)) < 20:
        raise UnreadableInput(f"{name}: the page holds no article text (a page built by JavaScript?); save its text and draft that")
    return Input(text, "html", name, url=url if url and url.startswith(("http://", "https://")) else None,
                 title=title or None, publication=publication or None)
