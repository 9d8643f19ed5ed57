"""The text of an uploaded file, as file search indexes it and `input_file` parts read it.

PDF pages are read with pypdf; HTML keeps what a reader sees (no scripts, styles or tags); Markdown
keeps its words without the markup; JSON keeps its text values, each with its key; anything else
must be UTF-8 (or UTF-16 with a byte order mark) text. A file that cannot be read raises
`Unreadable`, whose `code` is the API's `last_error` code: `unsupported_file` for a kind of file the
server does not read (binary, encrypted PDF), `invalid_file` for a damaged or empty one.

Example:
    >>> extract_text(b"<html><style>p {}</style><p>Mars has <b>two</b> moons.</p></html>", "notes.html")
    'Mars has two moons.'
    >>> extract_text(b'{"title": "Moons", "items": [{"name": "Phobos"}, 2]}', "moons.json")
    'title: Moons\\nname: Phobos\\nitems: 2'
    >>> extract_text(b"# Moons\\n\\nSee [Phobos](https://example.org) and **Deimos**.", "moons.md")
    'Moons\\n\\nSee Phobos and Deimos.'
    >>> extract_text(b"%PDF-1.4 torn off", "report.pdf")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    jupyter_api_kit.local.files.text.Unreadable: report.pdf is not a readable PDF (...).
"""

from __future__ import annotations

import io
import json
import re
from html.parser import HTMLParser
from pathlib import PurePosixPath


class Unreadable(Exception):
    """A file whose content cannot be read as text; `code` (unsupported_file, invalid_file) and
    `message` become a vector store file's `last_error`.

    Example:
        >>> extract_text(bytes([0, 1, 2]), "blob.bin")
        Traceback (most recent call last):
        ...
        jupyter_api_kit.local.files.text.Unreadable: blob.bin looks binary; the local server reads text, Markdown, HTML, JSON and PDF files.
    """

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


READABLE = "the local server reads text, Markdown, HTML, JSON and PDF files"


def extract_text(data: bytes, filename: str) -> str:
    """The readable text of a file, chosen by its name and first bytes; raises `Unreadable`.

    Example:
        >>> extract_text("Plain notes.\\n".encode("utf-16"), "notes.txt")
        'Plain notes.\\n'
    """
    suffix = PurePosixPath(filename.lower()).suffix
    if data.startswith(b"%PDF-") or suffix == ".pdf":
        text = pdf_text(data, filename)
    else:
        text = decode(data, filename)
        if suffix in (".html", ".htm", ".xhtml") or (suffix not in MARKDOWN + JSON and _looks_html(text)):
            text = html_text(text)
        elif suffix in MARKDOWN:
            text = markdown_text(text)
        elif suffix in JSON:
            text = json_text(text, filename)
    if not text.strip():
        raise Unreadable("invalid_file", f"{filename} has no text to index.")
    return text


MARKDOWN = (".md", ".markdown", ".mdx")
JSON = (".json", ".jsonl", ".ndjson")


def decode(data: bytes, filename: str) -> str:
    """UTF-8 text (a UTF-8 or UTF-16 byte order mark is honoured); binary content is `Unreadable`."""
    try:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            text = data.decode("utf-16")
        else:
            text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Unreadable("unsupported_file", f"{filename} is neither UTF-8 text nor a PDF; {READABLE}.") from None
    if "\x00" in text:
        raise Unreadable("unsupported_file", f"{filename} looks binary; {READABLE}.")
    return text


def pdf_text(data: bytes, filename: str) -> str:
    """The text of every page of a PDF, pages separated by a blank line.

    An encrypted PDF is read when it opens without a password (as many "protected" PDFs do);
    otherwise it is `unsupported_file`. A PDF pypdf cannot parse is `invalid_file`, and so is one
    whose pages hold no text (a scan: the local server does no OCR).
    """
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise Unreadable("unsupported_file", f"{filename} is an encrypted PDF that needs a password; "
                                                 "upload it without the password protection.")
        pages = [page.extract_text() or "" for page in reader.pages]
    except Unreadable:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError) as exc:
        # pypdf reports damage with its own errors and, for some broken objects, with plain ones.
        reason = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise Unreadable("invalid_file", f"{filename} is not a readable PDF ({reason}).") from None
    text = "\n\n".join(p.strip() for p in pages if p.strip())
    if not text:
        raise Unreadable("invalid_file", f"{filename} has no text layer (a scanned PDF?); the local server "
                                         "does not recognise text in images.")
    return text


def _looks_html(text: str) -> bool:
    head = text.lstrip()[:200].lower()
    return head.startswith(("<!doctype html", "<html"))


class _Visible(HTMLParser):
    """Collects the text a browser shows: script, style and template contents are skipped, and
    block elements end a line."""

    HIDDEN = {"script", "style", "template", "noscript"}
    BLOCKS = {"p", "div", "section", "article", "header", "footer", "li", "ul", "ol", "table", "tr", "br",
              "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote", "title", "dt", "dd", "hr", "main", "nav"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self.hidden += 1
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in self.HIDDEN and self.hidden:
            self.hidden -= 1
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def html_text(html: str) -> str:
    """The visible text of an HTML page, one line per block, runs of spaces folded.

    Example:
        >>> html_text("<title>Moons</title><script>var x = 1;</script><ul><li>Phobos</li><li>Deimos</li></ul>")
        'Moons\\nPhobos\\nDeimos'
    """
    parser = _Visible()
    parser.feed(html)
    parser.close()
    lines = (re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in "".join(parser.parts).split("\n"))
    return "\n".join(line for line in lines if line)


def markdown_text(markdown: str) -> str:
    """The words of a Markdown document (markdown-it's parse): headings, paragraphs, list items,
    table cells and code, without the markup, link targets or image addresses; blocks are separated
    by a blank line.

    Example:
        >>> markdown_text("- *one*\\n- `two`\\n\\n```\\ncode here\\n```")
        'one\\n\\ntwo\\n\\ncode here'
    """
    from markdown_it import MarkdownIt

    blocks = []
    for token in MarkdownIt("commonmark").enable("table").parse(markdown):
        if token.type == "inline":
            words = "".join(child.content if child.type in ("text", "code_inline", "html_inline") else
                            "\n" if child.type in ("softbreak", "hardbreak") else ""
                            for child in token.children or ())
            blocks.append(words)
        elif token.type in ("fence", "code_block", "html_block"):
            blocks.append(token.content.rstrip("\n"))
    return "\n\n".join(b for b in blocks if b.strip())


def json_text(text: str, filename: str) -> str:
    """The text values of a JSON document (or of JSON Lines), one per line, each after its key.

    Example:
        >>> json_text('{"a": 1}\\n{"b": "two"}', "rows.jsonl")
        'a: 1\\nb: two'
    """
    try:
        documents = [json.loads(text)]
    except json.JSONDecodeError as first:
        try:  # JSON Lines: one document per line
            documents = [json.loads(line) for line in text.splitlines() if line.strip()]
        except json.JSONDecodeError:
            raise Unreadable("invalid_file", f"{filename} is not valid JSON ({first.msg} at line {first.lineno}, "
                                             f"column {first.colno}).") from None
    lines: list[str] = []
    for document in documents:
        _leaves(document, None, lines)
    return "\n".join(lines)


def _leaves(value, key, lines: list[str]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _leaves(v, k, lines)
    elif isinstance(value, list):
        for item in value:
            _leaves(item, key if not isinstance(item, (dict, list)) else None, lines)
    elif value is not None:
        shown = value if isinstance(value, str) else json.dumps(value)
        lines.append(f"{key}: {shown}" if key is not None else shown)
