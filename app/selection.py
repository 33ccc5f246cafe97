"""Which candidate a click opens: the sky's markers and the table's rows both report clicks."""


def newest_click(clicks, last_at):
    """The newest click ({'row', 'at'}) among ``clicks`` that names a row and came after
    ``last_at``, else None. Components keep returning their last value on every rerun, so an
    old click must not reopen its candidate, nor two old clicks take turns."""
    newest = max((click for click in clicks if click and click.get("row") is not None),
                 key=lambda click: click["at"], default=None)
    return newest if newest and newest["at"] > last_at else None
