"""A report as a list of blocks, rendered to Markdown and to a self-contained HTML page.

Building the content once (``Heading``, ``Text``, ``Table``, ``Image``, ``Code``) and rendering it twice keeps
the two formats identical in substance. Markdown links images by relative path (the PNGs sit beside it in
``plots/``); HTML embeds them as ``data:`` URIs so the page is one file that can be mailed or archived.
"""
from __future__ import annotations

import base64
import html
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 2


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Table:
    columns: list[str]
    rows: list[list]
    caption: str = ""


@dataclass(frozen=True)
class Image:
    path: Path
    caption: str = ""


@dataclass(frozen=True)
class Code:
    text: str


Block = Heading | Text | Table | Image | Code


def fmt(v) -> str:
    """Numbers as a reader wants them in a table: fractions in [0, 1] as-is, big integers with separators."""
    if v is None or v == "":
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        if v != v:  # NaN
            return "-"
        if abs(v) >= 1000:
            return f"{v:,.0f}"
        return f"{v:.4g}"
    return str(v)


def pct(v) -> str:
    """An accuracy (a fraction) as a percentage for tables; "-" when absent."""
    return "-" if v is None else f"{100 * float(v):.2f} %"


def _md_cell(v) -> str:
    return fmt(v).replace("|", "\\|").replace("\n", " ")


def render_markdown(title: str, blocks: list[Block], base: Path) -> str:
    out = [f"# {title}", ""]
    for b in blocks:
        if isinstance(b, Heading):
            out += ["#" * b.level + " " + b.text, ""]
        elif isinstance(b, Text):
            out += [b.text, ""]
        elif isinstance(b, Code):
            out += ["```", b.text.rstrip(), "```", ""]
        elif isinstance(b, Table):
            if b.caption:
                out += [f"*{b.caption}*", ""]
            out.append("| " + " | ".join(b.columns) + " |")
            out.append("|" + "|".join("---" for _ in b.columns) + "|")
            out += ["| " + " | ".join(_md_cell(v) for v in r) + " |" for r in b.rows]
            out.append("")
        elif isinstance(b, Image):
            rel = Path(b.path).resolve().relative_to(base.resolve()) if _inside(b.path, base) else Path(b.path).resolve()
            out += [f"![{b.caption}]({rel.as_posix()})", ""]
            if b.caption:
                out += [f"*{b.caption}*", ""]
    return "\n".join(out)


def _inside(path: Path, base: Path) -> bool:
    try:
        Path(path).resolve().relative_to(base.resolve())
        return True
    except ValueError:
        return False


CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;
color:#222;line-height:1.45}
table{border-collapse:collapse;margin:0.6em 0 1.4em;font-size:0.9em}
th,td{border:1px solid #ccc;padding:0.25em 0.6em;text-align:right}
th{background:#f0f3f7}td:first-child,th:first-child{text-align:left}
tr:nth-child(even) td{background:#fafbfc}
figure{margin:1em 0 2em}figure img{max-width:100%;border:1px solid #ddd}
figcaption{font-size:0.85em;color:#555}
pre{background:#f6f8fa;padding:0.8em;overflow-x:auto;font-size:0.85em}
caption{caption-side:top;text-align:left;font-style:italic;color:#555;padding-bottom:0.3em}
"""


def data_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(Path(path).read_bytes()).decode("ascii")


def render_html(title: str, blocks: list[Block]) -> str:
    e = html.escape
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{e(title)}</title><style>{CSS}</style></head><body>", f"<h1>{e(title)}</h1>"]
    for b in blocks:
        if isinstance(b, Heading):
            lv = min(max(b.level, 2), 6)
            out.append(f"<h{lv}>{e(b.text)}</h{lv}>")
        elif isinstance(b, Text):
            out.append(f"<p>{e(b.text)}</p>")
        elif isinstance(b, Code):
            out.append(f"<pre>{e(b.text.rstrip())}</pre>")
        elif isinstance(b, Table):
            cap = f"<caption>{e(b.caption)}</caption>" if b.caption else ""
            head = "".join(f"<th>{e(c)}</th>" for c in b.columns)
            body = "".join("<tr>" + "".join(f"<td>{e(fmt(v))}</td>" for v in r) + "</tr>" for r in b.rows)
            out.append(f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
        elif isinstance(b, Image):
            cap = f"<figcaption>{e(b.caption)}</figcaption>" if b.caption else ""
            out.append(f'<figure><img src="{data_uri(b.path)}" alt="{e(b.caption or Path(b.path).name)}">{cap}</figure>')
    out.append("</body></html>")
    return "\n".join(out)


def write_report(title: str, blocks: list[Block], md_path: Path) -> tuple[Path, Path]:
    """Write ``md_path`` and the HTML page beside it (same stem); both atomically."""
    from qnn.util.atomic import atomic_write_text

    md_path = Path(md_path)
    html_path = md_path.with_suffix(".html")
    atomic_write_text(md_path, render_markdown(title, blocks, md_path.parent))
    atomic_write_text(html_path, render_html(title, blocks))
    for p in (md_path, html_path):  # temporary files are created private; a report is for sharing
        p.chmod(0o644)
    return md_path, html_path
