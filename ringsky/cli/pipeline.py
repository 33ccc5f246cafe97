"""Commands that run a model over the sky: fetch, score, catalogue, demo."""
from pathlib import Path

from .. import RingskyError
from ..config import conf
from .arguments import PIXELS, POSITIVE, POSITIVE_NUMBER
from .common import tiles_and_source


def cmd_fetch(args):
    from .. import net
    from ..pipeline.cache_fill import fetch_tiles, write_fetched_folder

    tiles, source = tiles_and_source(args)
    before = dict(net.stats)
    summary = fetch_tiles(tiles, source, args.npix, progress=not args.quiet)
    counts = {key: net.stats[key] - before.get(key, 0) for key in ("requests", "cached", "retried")}
    print(f"fetched {summary.galaxies - summary.failed} of {summary.galaxies} cutouts in {summary.tiles} tiles "
          f"({counts['requests']} requests, {counts['cached']} from cache, {counts['retried']} retried, "
          f"{summary.failed} failed) in {summary.seconds:.1f} s")
    if args.folder:
        manifest = write_fetched_folder(args.folder, tiles, source, args.npix, summary.failed_ids)
        truth = (f" ({int(manifest['ring'].sum())} rings: a labelled source for train, crossval and evaluate)"
                 if "ring" in manifest.colnames else "")
        print(f"{len(manifest)} cutouts{truth} -> folder:{args.folder}")
    if summary.failed:
        raise RingskyError(f"{summary.failed} cutouts failed; rerun 'ringsky fetch' to retry them")


def cmd_score(args):
    from ..pipeline.score import check_writable, score_tiles

    # bad input is one line before torch loads (5 s) or a LocalCluster starts
    tiles, source = tiles_and_source(args)
    check_writable(args.out)
    from ..learn.models import load_classifier
    from ..sources import check_planes

    classifier = load_classifier(args.model)  # a missing or damaged model is one line here, not one per task
    check_planes(source, classifier.config.planes)
    if args.scheduler == "none":
        summary = score_tiles(tiles, source, classifier, args.out, force=args.force,
                              batch_size=args.batch_size, progress=not args.quiet)
        where = "in this process"
    else:
        summary, where = _score_on_dask(args, tiles)
    rate = summary.galaxies / summary.seconds if summary.seconds else 0.0
    print(f"scored {summary.tiles} tiles ({summary.galaxies} galaxies, {rate:.0f} galaxies/s) {where}, "
          f"skipped {summary.skipped} finished -> {args.out}")


def _score_on_dask(args, tiles):
    from ..dask_client import connect
    from ..pipeline.dask_runner import ScoreJob, local_torch_threads, score_tiles_on
    from ..config import cache_dir

    local = args.scheduler == "local"
    job = ScoreJob(out_dir=str(Path(args.out).resolve()), survey=args.survey, parents=args.parents,
                   image_format=args.format, pixscale=args.pixscale,
                   model=str(Path(args.model).resolve()) if args.model else None, batch_size=args.batch_size,
                   cache_dir=str(cache_dir().resolve()), tile_packs=conf.tile_packs,
                   torch_threads=local_torch_threads(args.workers) if local else None)
    with connect(args.scheduler, args.workers) as client:
        workers = len(client.scheduler_info()["workers"])
        summary = score_tiles_on(client, tiles, job, force=args.force, progress=not args.quiet)
    return summary, f"on {workers} Dask workers ({'LocalCluster' if local else args.scheduler})"


def cmd_catalogue(args):
    import astropy.units as u

    from ..catalogue.files import write_catalogue
    from ..catalogue.crossids import default_matches, parse_match

    matches = {} if args.no_known else default_matches()
    matches.update(parse_match(text) for text in args.match)
    table = write_catalogue(args.tiles_dir, args.out, matches, args.match_radius * u.arcsec, hats=args.hats)
    known = "".join(f", {int((table[f'{name}_id'] != '').sum())} in {name}" for name in matches)
    print(f"catalogue: {len(table)} galaxies, {int(table['ring_flag'].sum())} rings "
          f"(threshold {table.meta['THRESH']:.3f}){known} -> {args.out}")
    if args.hats and not len(table):
        print("no galaxies: no HATS collection written (lsdb cannot partition an empty table)")


def cmd_demo(args):
    from ..pipeline.demo import run_demo

    run_demo(Path(args.out), Path(args.work), model=args.model, progress=not args.quiet)


def survey_options(p):
    p.add_argument("--tile", required=True, help="nside=N, nside=N:PIX or nside=N:A-B,PIX,...")
    p.add_argument("--survey", default="sim", help="sim, folder:PATH, legacy[:LAYER], sdss, or hips:ID|PATH|URL")
    p.add_argument("--parents", help="galaxy list for online surveys: tractor, sdss or a table file "
                   "(default: tractor; sdss for --survey sdss)")
    p.add_argument("--format", choices=("fits", "jpeg"), help="cutout format (legacy: fits; sdss: jpeg)")
    p.add_argument("--pixscale", type=POSITIVE_NUMBER, help="fixed arcsec/pixel (default: scaled to galaxy size)")


def add_commands(command, common):
    p = command("fetch", "fill the cutout cache of HEALPix tiles ahead of scoring")
    survey_options(p)
    p.add_argument("--npix", type=PIXELS, default=64, help="cutout side in pixels (the model's input size)")
    p.add_argument("--folder", help="also write the fetched cutouts as a folder source (PNGs + catalogue.csv "
                   "with the parent table's columns, its 'label' as 'ring'), for train/crossval/evaluate")
    p.set_defaults(func=cmd_fetch)

    p = command("score", "score the galaxies of HEALPix tiles")
    survey_options(p)
    p.add_argument("--model", help="model file (default: the shipped model)")
    p.add_argument("--out", required=True, help="folder of per-tile parquet results")
    p.add_argument("--force", action="store_true", help="rescore tiles already finished")
    p.add_argument("--batch-size", type=POSITIVE, default=conf.batch_size)
    p.add_argument("--scheduler", default="none",
                   help="none (score in this process, the default: on one machine a cluster only splits its "
                   "cores), local (a Dask LocalCluster of --workers processes), or tcp://HOST:PORT (a running "
                   "Dask scheduler, e.g. on a SLURM cluster)")
    p.add_argument("--workers", type=POSITIVE, default=conf.workers, help="worker processes for --scheduler local")
    p.set_defaults(func=cmd_score)

    p = command("catalogue", "merge tile results into FITS + VOTable + MOC, cross-identified with known ring "
                             "catalogues")
    p.add_argument("tiles_dir")
    p.add_argument("--match", action="append", default=[], help="NAME=TABLE: a table (id, ra, dec; ring_flags or "
                   "Buta's LaTeX for ring types) whose nearest galaxy gives NAME_id, NAME_sep (and NAME_type); "
                   "repeatable, beside the known catalogues in ../shared/data/catalogues")
    p.add_argument("--no-known", action="store_true", help="do not match the known catalogues by default")
    p.add_argument("--match-radius", type=POSITIVE_NUMBER, default=5.0, help="arcsec (default 5)")
    p.add_argument("--hats", action="store_true", help="also write the catalogue as a HATS collection "
                   "(catalogue.hats, for lsdb.open_catalog)")
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_catalogue)

    p = command("demo", "score the simulated sky and write the demo catalogue")
    p.add_argument("--out", default="catalogues/demo")
    p.add_argument("--work", default="work/demo-tiles", help="folder for the tile results")
    p.add_argument("--model", help="model file (default: the shipped model)")
    p.set_defaults(func=cmd_demo)
