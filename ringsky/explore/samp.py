"""Send a table to TOPCAT (or any SAMP client) through a running SAMP hub."""
import tempfile
from pathlib import Path

from astropy.samp import SAMPHubError, SAMPIntegratedClient

from .. import RingskyError


def send_table(table, name, directory=None):
    """Broadcast ``table`` as a VOTable (``table.load.votable``); returns the clients that
    subscribe to it. The file stays in ``directory`` (default: a temporary folder) for them
    to read."""
    client = SAMPIntegratedClient(name="ringsky", description="ringsky catalogue explorer")
    try:
        client.connect()
    except SAMPHubError as error:
        raise RingskyError("no SAMP hub is running: start TOPCAT (or another hub) first") from error
    try:
        folder = Path(directory or tempfile.mkdtemp(prefix="ringsky-samp-"))
        path = folder / f"{name}.vot"
        table.write(path, format="votable", overwrite=True)
        recipients = client.get_subscribed_clients("table.load.votable")
        client.notify_all({"samp.mtype": "table.load.votable",
                           "samp.params": {"url": path.resolve().as_uri(), "name": name}})
        return list(recipients)
    finally:
        client.disconnect()
