"""A Dask client for ringsky's parallel work (scoring tiles, importing a large HATS catalogue): a
LocalCluster on 127.0.0.1 only, or a running scheduler; an unreachable one is one RingskyError."""
import logging
from contextlib import contextmanager

from . import RingskyError
from .config import conf


@contextmanager
def connect(scheduler, workers=2):
    """A dask.distributed Client for the block: on a new LocalCluster (``scheduler`` "local",
    ``workers`` single-threaded processes on 127.0.0.1, shut down afterwards) or on the running
    scheduler at ``scheduler``."""
    from dask.distributed import Client, LocalCluster

    if scheduler == "local":
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                          dashboard_address=None, silence_logs=logging.CRITICAL) as cluster, Client(cluster) as client:
            yield client
        return
    try:
        client = Client(scheduler, timeout=f"{conf.scheduler_timeout}s")
    except (OSError, TimeoutError, ValueError) as error:
        raise RingskyError(f"cannot reach the Dask scheduler at {scheduler}: {str(error).splitlines()[0]}") from error
    with client:
        yield client
