"""The labels commands: training tables from the literature (buta, crossmatch, build, flags, agreement)."""
from pathlib import Path

from .arguments import COUNT, FRACTION, NON_NEGATIVE, POSITIVE, POSITIVE_NUMBER
from .common import Parser, UsageError


def cmd_labels_buta(args):
    from ..labels.training_table import buta_table, write_table

    table, report = buta_table(args.source, args.hyperleda, args.gz2)
    write_table(table, args.out)
    sources = ", ".join(f"{n} from {s}" for s, n in report["position_from"].items())
    if report["rows"] != report["expected"]:
        print(f"WARNING: {report['rows']} of the {report['expected']} galaxies of Table 2 came back from {args.source}; "
              f"{report['expected'] - report['rows']} are missing")
    print(f"Buta (2017) Table 2: {report['rows']} galaxies read ({report['has_ring']} with a ring or pseudo-ring, "
          f"{report['lens_only']} lens-only)\n"
          f"positions: {report['with_position']} ({sources}); {len(report['without_position'])} without")
    for column in ("sep_hyperleda_arcsec", "sep_gz2_arcsec"):
        if column in report:
            agreement = report[column]
            print(f"J-name vs {column.split('_')[1]}: {agreement['n']} galaxies, median {agreement['median']}\", "
                  f"99th percentile {agreement['p99']}\", {agreement['over_5arcsec']} over 5\"")
    print(f"-> {args.out}")


def _galaxy_zoo_source(value, name):
    """A Galaxy Zoo option: "published" downloads the table ``name``, anything else is a file."""
    return name if value == "published" else value


def cmd_labels_crossmatch(args):
    import astropy.units as u

    from ..labels.buta import read_buta_table
    from ..labels.training_table import crossmatch_report

    tables = {label: _galaxy_zoo_source(value, label)
              for label, value in (("gz2", args.gz2), ("gzdecals", args.gzdecals)) if value}
    if not tables:
        raise UsageError("give at least one of --gz2 and --gzdecals")
    report = crossmatch_report(read_buta_table(args.buta), tables, args.out, args.radius * u.arcsec)
    for label in tables:
        found = report[label]
        counts = ", ".join(f"{n} within {r.replace('arcsec', '')}\"" for r, n in found["buta_matched_within"].items())
        print(f"Buta x {label}: {counts}; of its {found['rows']} rows, {found['rows_near_buta']} lie within "
              f"{args.radius:g}\" of a Buta galaxy and {found['rows_over_5arcsec_from_buta']} farther than 5\" from all")
    print(f"matched tables, separations.png and crossmatch.json -> {args.out}")


def cmd_labels_build(args):
    import json

    import astropy.units as u

    from ..labels.buta import CORE_COLUMNS, read_buta_table
    from ..labels.galaxyzoo import read_galaxy_zoo
    from ..labels.training_table import BUILD_COLUMNS, build_training_table, split_counts, write_table

    buta = read_buta_table(args.buta, CORE_COLUMNS + BUILD_COLUMNS)
    table = build_training_table(buta, read_galaxy_zoo(args.zoo), args.votes_column,
                                 args.ring_column, args.min_votes, args.max_ring_fraction, args.positives,
                                 args.ratio, args.split, args.nside, args.radius * u.arcsec, args.seed)
    write_table(table, args.out)
    if not (table["label"] == 0).any():
        print(f"WARNING: no galaxy of {args.zoo} passed the vote cuts away from Buta galaxies: no negatives")
    print(f"training table: {len(table)} galaxies ({int(table['label'].sum())} rings), "
          f"{table.meta['DUPLICAT']} duplicates dropped, split by {args.split}\n"
          f"{json.dumps(split_counts(table))}\n-> {args.out}")


def cmd_labels_flags(args):
    import json

    import astropy.units as u

    from ..labels.buta import read_buta_table
    from ..labels.ringflags import read_ring_flags
    from ..labels.training_table import flags_training_table, mark_disagreements, split_counts, type_counts, write_table

    if args.disagreements and not args.buta:
        raise UsageError(f"--disagreements {args.disagreements} needs --buta, the table to disagree with")
    table = flags_training_table(read_ring_flags(args.flags), args.split, args.nside, args.radius * u.arcsec,
                                 args.seed)
    hard_line = ""
    if args.buta:
        table = mark_disagreements(table, read_buta_table(args.buta))
        hard = table[table["disagrees"]]
        hard_path = Path(args.out).with_name(f"{Path(args.out).stem}-disagreements{Path(args.out).suffix}")
        write_table(hard, hard_path)
        if args.disagreements == "drop":
            table = table[~table["disagrees"]]
        hard_line = (f"{len(hard)} galaxies where Buta (2017) disagrees "
                     f"({'dropped' if args.disagreements == 'drop' else 'marked in the disagrees column'}), "
                     f"kept apart as an evaluation table -> {hard_path}\n")
    write_table(table, args.out)
    print(f"training table: {len(table)} galaxies ({int(table['label'].sum())} rings, "
          f"{int((table['label'] == 0).sum())} vetted non-rings), {table.meta['DUPLICAT']} duplicates dropped, "
          f"split by {args.split}\n{json.dumps(split_counts(table))}\nper ring type: {json.dumps(type_counts(table))}"
          f"\n{hard_line}-> {args.out}")


def cmd_labels_agreement(args):
    import astropy.units as u

    from ..labels.buta import CORE_COLUMNS, read_buta_table
    from ..labels.galaxyzoo import read_galaxy_zoo
    from ..labels.ringflags import read_ring_flags
    from ..labels.training_table import (AGREEMENT_COLUMNS, agreement_markdown, flags_agreement, flags_zoo_agreement, write_agreement,
                         zoo_agreement_markdown)

    if not (args.buta or args.zoo):
        raise UsageError("give --buta, --zoo or both: the label sources to compare the flags with")
    flags, radius = read_ring_flags(args.flags), args.radius * u.arcsec
    sections, hard_cases, counts = [], {}, []
    if args.buta:
        confusion, hard = flags_agreement(flags, read_buta_table(args.buta, CORE_COLUMNS + AGREEMENT_COLUMNS), radius)
        sections.append(agreement_markdown(confusion, args.flags, args.buta))
        hard_cases["disagreements.fits"] = hard
        counts.append(f"{len(hard)} with Buta (2017)")
    for label, source in (_zoo_option(value) for value in args.zoo):
        confusion, hard = flags_zoo_agreement(flags, read_galaxy_zoo(source), radius)
        sections.append(zoo_agreement_markdown(confusion, args.flags, label, source))
        hard_cases[f"disagreements_{label}.fits"] = hard
        counts.append(f"{len(hard)} with {label}")
    text = write_agreement(sections, hard_cases, args.out)
    print(f"{text}galaxies where the flags and another source disagree on any ring: {', '.join(counts)} "
          f"-> {args.out}")


def _zoo_option(value):
    """``--zoo LABEL=SOURCE`` (a file, or gz2/gzdecals to download), or ``gz2``/``gzdecals`` alone."""
    label, _, source = value.partition("=")
    if not source:
        if label not in ("gz2", "gzdecals"):
            raise UsageError(f"--zoo {value}: expected LABEL=TABLE, gz2 or gzdecals")
        source = label
    return label, source


def split_options(p, radius_help):
    """The options of the label commands that write a split training table."""
    p.add_argument("--split", choices=("galaxy", "tile"), default="galaxy",
                   help="70/10/20 per galaxy (stratified) or by whole HEALPix tiles")
    p.add_argument("--nside", type=POSITIVE, default=8, help="tile size for --split tile")
    p.add_argument("--radius", type=POSITIVE_NUMBER, default=2.0, help=radius_help)
    p.add_argument("--seed", type=COUNT, default=0)
    p.add_argument("--out", required=True, help=".fits or .parquet")


def add_commands(command, common):
    labels = command("labels", "training labels from the literature")
    label_commands = labels.add_subparsers(dest="labels_command", required=True, parser_class=Parser)
    p = label_commands.add_parser("buta", help="parse Buta (2017) Table 2 (LaTeX) with positions", parents=[common])
    p.add_argument("--source", required=True, help="buta2017_table2.tex, or 'vizier' (J/MNRAS/471/4027)")
    p.add_argument("--hyperleda", help="HyperLEDA positions by PGC (default: buta2017_hyperleda.txt beside --source)")
    p.add_argument("--gz2", help="Galaxy Zoo 2 table with img_name, ra, dec (default: buta2017_gz2_matched.csv beside)")
    p.add_argument("--out", required=True, help="output table, .fits or .parquet")
    p.set_defaults(func=cmd_labels_buta)
    p = label_commands.add_parser("crossmatch", help="match Buta positions with Galaxy Zoo tables", parents=[common])
    p.add_argument("--buta", required=True, help="table written by 'ringsky labels buta'")
    p.add_argument("--gz2", help="Galaxy Zoo 2 table (ra, dec), or 'published' to download Hart et al. (2016)")
    p.add_argument("--gzdecals", help="Galaxy Zoo DECaLS table (ra, dec or iauname), or 'published' to "
                   "download the DR5 volunteer votes (Walmsley et al. 2022)")
    p.add_argument("--radius", type=POSITIVE_NUMBER, default=2.0, help="match radius in arcsec (default 2)")
    p.add_argument("--out", required=True, help="output folder")
    p.set_defaults(func=cmd_labels_crossmatch)

    p = label_commands.add_parser("build", help="training table: Buta rings + vetted Galaxy Zoo negatives, split",
                                  parents=[common])
    p.add_argument("--buta", required=True, help="table written by 'ringsky labels buta'")
    p.add_argument("--zoo", required=True, help="gz2 or gzdecals (the published tables, downloaded once), "
                   "or a Galaxy Zoo table file with ra/dec (or iauname) and vote columns")
    p.add_argument("--votes-column", default="votes",
                   help="volunteers behind the ring fraction (default: 'votes', which ringsky adds to gz2/gzdecals)")
    p.add_argument("--ring-column", default="ring_fraction",
                   help="ring vote fraction (default: 'ring_fraction', which ringsky adds to gz2/gzdecals)")
    p.add_argument("--min-votes", type=NON_NEGATIVE, default=20)
    p.add_argument("--max-ring-fraction", type=FRACTION, default=0.05)
    p.add_argument("--positives", choices=("rings", "rings+pseudo"), default="rings+pseudo")
    p.add_argument("--ratio", type=POSITIVE_NUMBER, help="at most this many negatives per positive (the seed used 10)")
    split_options(p, radius_help="arcsec: Buta exclusion and duplicate radius")
    p.set_defaults(func=cmd_labels_build)

    p = label_commands.add_parser("flags", help="training table from expert ring flags (Nair & Abraham bits): "
                                  "rings and vetted non-rings, split", parents=[common])
    p.add_argument("--flags", required=True, help="table with objid, ra, dec, ring_flags (2 nuclear, 4 inner, "
                   "8 outer, 16 pseudo; 0 no ring), e.g. ../shared/data/catalogues/sdss_ring_flags.csv")
    p.add_argument("--buta", help="table written by 'ringsky labels buta': galaxies it also holds are compared "
                                  "(match within 3\") and its disagreements written beside --out as OUT-disagreements")
    p.add_argument("--disagreements", choices=("mark", "drop"),
                   help="with --buta: mark them in a 'disagrees' column (default), or drop them from the table")
    split_options(p, radius_help="arcsec: duplicate radius")
    p.set_defaults(func=cmd_labels_flags)

    p = label_commands.add_parser("agreement", help="expert ring flags against Buta (2017) and Galaxy Zoo tables: "
                                  "a confusion table per ring type and the galaxies they disagree on", parents=[common])
    p.add_argument("--flags", required=True, help="ring-flag table (as for labels flags)")
    p.add_argument("--buta", help="table written by 'ringsky labels buta'")
    p.add_argument("--zoo", action="append", default=[], help="LABEL=TABLE, a Galaxy Zoo table (with ring votes, or "
                   "a list of rings such as buta2017_gz2_matched.csv), or gz2 / gzdecals to download; repeatable")
    p.add_argument("--radius", type=POSITIVE_NUMBER, default=3.0, help="match radius in arcsec (default 3)")
    p.add_argument("--out", required=True, help="output folder: agreement.md, disagreements.fits")
    p.set_defaults(func=cmd_labels_agreement)
