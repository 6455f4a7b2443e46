"""Reads a DOCX back with python-docx (a real reader, not windowwatch's own writer) and prints
what it found as JSON: every paragraph with its style, every table's cells, the sections' page
geometry and both footers. Used by tests/cli/documents.rs."""

import json
import sys

import docx
from docx.shared import Mm

d = docx.Document(sys.argv[1])
out = {
    "paragraphs": [{"style": p.style.name, "text": p.text} for p in d.paragraphs],
    "tables": [[[c.text for c in row.cells] for row in t.rows] for t in d.tables],
    "sections": [
        {
            "orientation": "landscape" if s.orientation == 1 else "portrait",
            "width_mm": round(s.page_width / Mm(1), 1),
            "height_mm": round(s.page_height / Mm(1), 1),
            "top_mm": round(s.top_margin / Mm(1), 1),
            "left_mm": round(s.left_margin / Mm(1), 1),
            "odd_footer": [(p.text, str(p.alignment)) for p in s.footer.paragraphs],
            "even_footer": [(p.text, str(p.alignment)) for p in s.even_page_footer.paragraphs],
        }
        for s in d.sections
    ],
    "odd_and_even": d.settings.odd_and_even_pages_header_footer,
    "title": d.core_properties.title,
}
json.dump(out, sys.stdout, ensure_ascii=False)
