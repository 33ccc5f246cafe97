"""Running a model over the sky: scoring tiles in this process or as Dask tasks, the tile
packs and the prefetch that feed the model, filling the cutout cache ahead of scoring, and the
demo. What it leaves: one result file per tile (:mod:`ringsky.results`)."""
__all__ = ["cache_fill", "dask_runner", "demo", "packs", "prefetch", "score"]
