"""Sending a selection to TOPCAT: a real astropy SAMP hub and a real receiving client."""
import time

import pytest
from astropy.samp import SAMPHubServer, SAMPIntegratedClient
from astropy.table import Table

from ringsky import RingskyError
from ringsky.explore.samp import send_table


@pytest.fixture
def samp_home(tmp_path, monkeypatch):
    """SAMP finds its hub through ~/.samp: keep it in a private home."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("SAMP_HUB", raising=False)
    return tmp_path


def test_selection_arrives_at_a_subscribed_client(samp_home, tmp_path):
    hub = SAMPHubServer(web_profile=False, addr="127.0.0.1")
    hub.start()
    received = []
    receiver = SAMPIntegratedClient(name="receiver", addr="127.0.0.1")
    try:
        receiver.connect()
        receiver.bind_receive_notification("table.load.votable",
                                           lambda private_key, sender_id, mtype, params, extra: received.append(params))
        table = Table({"source_id": ["a", "b"], "ra": [150.1, 150.2], "dec": [2.0, 2.1]})
        recipients = send_table(table, "selection", directory=tmp_path)
        for _ in range(100):
            if received:
                break
            time.sleep(0.05)
        assert len(recipients) == 1
        assert received and received[0]["name"] == "selection"
        sent = Table.read(received[0]["url"].removeprefix("file://"), format="votable")
        assert sent["source_id"].tolist() == ["a", "b"]
    finally:
        if receiver.is_connected:
            receiver.disconnect()
        hub.stop()


def test_no_hub_is_one_clear_error(samp_home):
    with pytest.raises(RingskyError, match="no SAMP hub is running"):
        send_table(Table({"ra": [1.0]}), "x")
