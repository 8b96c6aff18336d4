"""Where the non-Python parts of the repository live (templates, scripts, catalogs)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WIDGET = ROOT / "widget"
CONSOLE = ROOT / "console"
PROTOCOL = ROOT / "protocol"
LOCALES = ROOT / "locales"
