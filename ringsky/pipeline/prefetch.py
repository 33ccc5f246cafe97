"""Run a producer in a background thread a bounded number of items ahead of its consumer.

Scoring reads and decodes the next cutouts while the model works on the current batch; PIL,
zlib, numpy and torch release the GIL, so the two overlap on separate cores. The queue bound
keeps memory flat whatever the tile size.
"""
import queue
import threading

_DONE = object()


class _Failure:
    def __init__(self, error):
        self.error = error


def prefetch(iterable, ahead=2):
    """Yield the items of ``iterable``, produced in a thread at most ``ahead`` items early.
    An exception in the producer is raised in the consumer at the item where it happened;
    a consumer that stops early stops the producer too."""
    items = queue.Queue(maxsize=ahead)
    stop = threading.Event()

    def put(item):
        while not stop.is_set():
            try:
                items.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce():
        try:
            for item in iterable:
                if not put(item):
                    return
        except BaseException as error:  # handed to the consumer, which re-raises it
            put(_Failure(error))
            return
        put(_DONE)

    thread = threading.Thread(target=produce, name="ringsky-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            item = items.get()
            if item is _DONE:
                return
            if isinstance(item, _Failure):
                raise item.error
            yield item
    finally:
        stop.set()
        thread.join()
