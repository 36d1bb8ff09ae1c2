"""The bundled protocols, listed by hand: a file that goes missing from the wheel or the
library must fail a test, which a list read from the folder itself never would."""

from pathlib import Path

BUNDLED_DIR = Path(__file__).resolve().parent.parent / "protocols"
BUNDLED_IDS = [
    "atlas-looking-at-data",
    "chalk-talk",
    "charrette",
    "consultancy",
    "final-word",
    "microlabs",
    "peeling-the-onion",
    "success-analysis",
    "tuning",
]
