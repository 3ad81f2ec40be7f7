"""Reports: dashboard figures per wilayah (data, charts, CSV) and official PDF documents.

Charts are drawn server-side by matplotlib as SVG, so pages need no JavaScript; PDFs are made with fpdf2
using the DejaVu font that matplotlib ships (it has every character Bahasa Indonesia needs).
"""
