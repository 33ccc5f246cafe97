"""Contact sheet: simulated rings and non-rings beside real DECaLS rings and non-rings.

    python scripts/contact_sheet.py [--out docs/contact_sheet.png]

Needs ../shared/data/gz-decals-rings for the real rows (skipped, with a note, where absent).
"""
import argparse
import csv
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from ringsky.imaging import load_rgb
from ringsky.simulate import simulate

REAL = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "gz-decals-rings"
SIZE, PER_ROW = 128, 8


def simulated_rows(seed=21):
    images, truth = simulate(64, seed=seed, ring_fraction=0.5, npix=SIZE, workers=2)
    rings = images[np.asarray(truth["is_ring"])][:PER_ROW]
    others = images[~np.asarray(truth["is_ring"])][:PER_ROW]
    return [("simulated rings", rings), ("simulated non-rings", others)]


def real_rows():
    if not (REAL / "catalogue.csv").exists():
        print(f"note: {REAL} not found; sheet has simulated rows only")
        return []
    rows = list(csv.DictReader(open(REAL / "catalogue.csv")))
    pick = {flag: [r for r in rows if r["ring"] == flag][:PER_ROW] for flag in ("1", "0")}
    return [(f"real DECaLS {label}", np.stack([load_rgb(REAL / r["image"], SIZE) for r in pick[flag]]))
            for flag, label in (("1", "rings"), ("0", "non-rings"))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default="docs/contact_sheet.png")
    args = parser.parse_args()
    rows = simulated_rows() + real_rows()
    label_height = 18
    sheet = Image.new("RGB", (PER_ROW * SIZE, len(rows) * (SIZE + label_height)), "white")
    draw = ImageDraw.Draw(sheet)
    for r, (label, images) in enumerate(rows):
        top = r * (SIZE + label_height)
        draw.text((4, top + 3), label, fill="black")
        for c, image in enumerate(images):
            sheet.paste(Image.fromarray(image), (c * SIZE, top + label_height))
    sheet.save(args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
